"""Filling a catalog from an archive in the documented layout (local or S3).

Idempotent (a plate is replaced whole), resumable (plates whose sidecar, header file
and mosaic have the same ETags as at their last ingest are skipped), parallel, and
tolerant: a plate that cannot be read is reported and skipped, never half-written.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TextIO

import numpy as np

from service.archive.layout import LayoutError, PlateMeta, plate_from_json
from service.catalog.base import Catalog
from service.catalog.footprint import footprint
from service.catalog.records import ExposureRecord, PixelSource, PlateRecord, obs_id
from service.faults import Fault
from service.progress import draw
from service.rangeread.fitsmeta import layout_to_json
from service.rangeread.head import HEADER_INITIAL_BYTES, read_header
from service.settings import ServiceSettings
from service.sky import angle, unit
from service.storage.base import FetchStats, ObjectInfo, ObjectStore
from service.wcs.solutions import (
    Solution,
    parse_solutions,
    read_header_file,
    select,
    solution_cards,
)


@dataclasses.dataclass
class IngestReport:
    """What an ingest did."""

    ingested: list[str] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)  # key -> why

    def summary(self) -> str:
        """One paragraph for people."""
        lines = [
            f"ingested {len(self.ingested)} plates, {len(self.unchanged)} unchanged, "
            f"{len(self.skipped)} skipped"
        ]
        lines += [f"  skipped {key}: {why}" for key, why in sorted(self.skipped.items())]
        return "\n".join(lines)


def _scale_arcsec(solution: Solution) -> float:
    ny, nx = solution.shape
    x = np.array([nx / 2, nx / 2 + 1, nx / 2])
    y = np.array([ny / 2, ny / 2, ny / 2 + 1])
    ra, dec = solution.pixel_to_world(x, y)
    v = unit(ra, dec)
    return float(np.degrees(angle(v[0], v[1:]).mean()) * 3600.0)


@dataclasses.dataclass(frozen=True)
class MosaicFiles:
    """What ingest read of one mosaic: its header file and its image's version and layout."""

    header_text: str
    header_size: int
    mosaic: ObjectInfo
    layout: str


def plate_records(
    plate: PlateMeta,
    files: dict[int, MosaicFiles],
    source_etag: str,
    service: ServiceSettings,
) -> tuple[PlateRecord, list[ExposureRecord], dict[str, PixelSource]]:
    """Catalog records of one plate from its sidecar, header files and mosaic headers."""
    solutions = {n: parse_solutions(f.header_text) for n, f in files.items()}
    first = plate.mosaics[0]
    record = PlateRecord(
        plate.plate_id,
        plate.series,
        plate.number,
        plate.telescope,
        plate.plate_class,
        first.scan_id,
        first.mosnum,
        first.rotation_delta,
        first.object_key,
        first.header_key,
        first.width,
        first.height,
        source_etag,
    )
    exposures, pixels = [], {}
    for exposure in plate.exposures:
        mosaic = plate.mosaic(exposure.mosnum)
        read = files[exposure.mosnum]
        solution = select(solutions[exposure.mosnum], exposure.solnum)
        vertices, centre, fov = footprint(solution)
        ident = obs_id(plate.plate_id, exposure.mosnum, exposure.solnum)
        key, cards = solution_cards(read.header_text, exposure.solnum)
        pixels[ident] = PixelSource(
            read.mosaic.etag, read.layout, mosaic.rotation_delta, key, cards
        )
        exposures.append(
            ExposureRecord(
                obs_id=ident,
                publisher_did=service.publisher_did(ident),
                plate_id=plate.plate_id,
                series=plate.series,
                telescope=plate.telescope,
                mosnum=exposure.mosnum,
                solnum=exposure.solnum,
                exposure=exposure.exposure,
                ra=centre[0],
                dec=centre[1],
                footprint=tuple((float(a), float(b)) for a, b in vertices),
                fov_deg=fov,
                pixel_scale_arcsec=_scale_arcsec(solution),
                t_min=exposure.mjd_start,
                t_max=exposure.mjd_end,
                exptime_s=exposure.exptime_s,
                date_obs=exposure.date_obs,
                width=mosaic.width,
                height=mosaic.height,
                object_key=mosaic.object_key,
                header_key=mosaic.header_key,
                object_size=read.mosaic.size,
                header_size=read.header_size,
            )
        )
    return record, exposures, pixels


def _mosaic_files(
    store: ObjectStore, header_key: str, object_key: str, stats: FetchStats, header_bytes: int
) -> MosaicFiles:
    raw = store.read_all(header_key, stats)
    _, info, image = read_header(store, object_key, header_bytes, stats)
    return MosaicFiles(read_header_file(raw), len(raw), info, layout_to_json(image))


def ingest_one(
    store: ObjectStore,
    catalog: Catalog,
    key: str,
    service: ServiceSettings,
    force: bool = False,
    header_bytes: int = HEADER_INITIAL_BYTES,
) -> tuple[str, str]:
    """Ingest one sidecar; returns (outcome, plate id or reason)."""
    stats = FetchStats()
    try:
        sidecar_etag = store.stat(key, stats).etag
        plate = plate_from_json(store.read_all(key, stats).decode())
        etags = [sidecar_etag]
        for mosaic in plate.mosaics:
            etags.append(store.stat(mosaic.header_key, stats).etag)
            etags.append(store.stat(mosaic.object_key, stats).etag)
        source_etag = "/".join(etags)
        old = catalog.plate(plate.plate_id)
        if old is not None and old.source_etag == source_etag and not force:
            return "unchanged", plate.plate_id
        files = {
            m.mosnum: _mosaic_files(store, m.header_key, m.object_key, stats, header_bytes)
            for m in plate.mosaics
        }
        record, exposures, pixels = plate_records(plate, files, source_etag, service)
    except (Fault, LayoutError, ValueError, UnicodeDecodeError) as exc:
        return "skipped", f"{type(exc).__name__}: {exc}"
    catalog.put_plate(record, exposures, pixels)
    return "ingested", plate.plate_id


def ingest(
    store: ObjectStore,
    catalog: Catalog,
    service: ServiceSettings,
    workers: int = 4,
    force: bool = False,
    progress: TextIO | None | bool = True,
    header_bytes: int = HEADER_INITIAL_BYTES,
) -> IngestReport:
    """Ingest every sidecar under ``plates/`` of the archive.

    Parameters
    ----------
    store
        The archive.
    catalog
        Where records go (created if needed).
    service
        For public identifiers.
    workers
        Plates ingested in parallel.
    force
        Re-ingest plates even when their files are unchanged.
    progress
        Where to draw the progress bar (True: standard error at the time of the call;
        None: nowhere).
    header_bytes
        Leading bytes of a mosaic read first (``storage.header_initial_bytes``).
    """
    if progress is True:
        progress = sys.stderr
    catalog.create()
    keys = [k for k in store.list("plates") if k.endswith(".json")]
    report = IngestReport()
    lock = threading.Lock()
    done = 0

    def one(key: str) -> None:
        nonlocal done
        outcome, detail = ingest_one(store, catalog, key, service, force, header_bytes)
        with lock:
            done += 1
            if outcome == "skipped":
                report.skipped[key] = detail
            else:
                getattr(report, outcome).append(detail)
            draw(progress, "ingest", done, len(keys), "plates", f"{len(report.skipped)} skipped")

    with ThreadPoolExecutor(max(1, workers)) as pool:
        list(pool.map(one, keys))
    if progress is not None:
        progress.write("\n")
    report.ingested.sort()
    report.unchanged.sort()
    return report
