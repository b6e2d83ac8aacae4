"""Platecut's own archive layout as an ingest source: one sidecar per plate
(:mod:`service.archive.layout`), its mosaics' WCS header files and mosaic headers.

A plate's fingerprint is the ETags of its sidecar, header files and mosaics, so a plate
whose files did not change is skipped without reading them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TextIO

from service.archive.layout import PlateMeta, plate_from_json
from service.catalog.base import Catalog
from service.catalog.footprint import exposure_geometry
from service.catalog.ingest import IngestReport, PlateRecords, Prepared, ingest_unit, run_ingest
from service.catalog.records import ExposureRecord, PixelSource, PlateRecord, obs_id
from service.rangeread.fitsmeta import layout_to_json
from service.rangeread.head import HEADER_INITIAL_BYTES, read_header
from service.settings import ServiceSettings
from service.storage.base import FetchStats, ObjectInfo, ObjectStore
from service.wcs.solutions import cards_of, parse_solutions, read_header_file, select


@dataclasses.dataclass(frozen=True)
class MosaicFiles:
    """What ingest read of one mosaic: its header file and its image's version and layout."""

    header_text: str
    header_size: int
    mosaic: ObjectInfo
    layout: str


def _scan_num(scan_id: str) -> int:
    """The scan number ending a scan identifier (``a03393_00_1``), or -1."""
    tail = scan_id.rsplit("_", 1)[-1]
    return int(tail) if tail.isdigit() else -1


def plate_records(
    plate: PlateMeta,
    files: dict[int, MosaicFiles],
    source_etag: str,
    service: ServiceSettings,
) -> PlateRecords:
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
        sum(1 for e in plate.exposures if e.mosnum == first.mosnum),
    )
    exposures, pixels = [], {}
    for exposure in plate.exposures:
        mosaic = plate.mosaic(exposure.mosnum)
        read = files[exposure.mosnum]
        solution = select(solutions[exposure.mosnum], exposure.solnum)
        vertices, centre, fov, scale = exposure_geometry(solution)
        ident = obs_id(plate.plate_id, exposure.mosnum, exposure.solnum)
        key, cards = solution.key, cards_of(solution)
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
                pixel_scale_arcsec=scale,
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
                plate_class=plate.plate_class,
                scan_num=_scan_num(mosaic.scan_id),
            )
        )
    return PlateRecords(record, exposures, pixels)


class SidecarSource:
    """The plates of an archive in Platecut's layout, local or in a bucket.

    Parameters
    ----------
    store
        The archive.
    service
        For public identifiers.
    header_bytes
        Leading bytes of a mosaic read first (``storage.header_initial_bytes``).
    """

    def __init__(
        self, store: ObjectStore, service: ServiceSettings, header_bytes: int = HEADER_INITIAL_BYTES
    ) -> None:
        self.store = store
        self.service = service
        self.header_bytes = header_bytes

    def segments(self, count: int) -> list[Iterable[str]]:
        """The sidecar keys, dealt into ``count`` parts."""
        keys = [k for k in self.store.list("plates") if k.endswith(".json")]
        return [keys[i::count] for i in range(max(1, count))]

    def prepare(self, key: str) -> Prepared:
        """The plate of a sidecar and its fingerprint (the ETags of its files)."""
        stats = FetchStats()
        sidecar_etag = self.store.stat(key, stats).etag
        plate = plate_from_json(self.store.read_all(key, stats).decode())
        etags = [sidecar_etag]
        for mosaic in plate.mosaics:
            etags.append(self.store.stat(mosaic.header_key, stats).etag)
            etags.append(self.store.stat(mosaic.object_key, stats).etag)
        fingerprint = "/".join(etags)

        def build() -> PlateRecords:
            files = {
                m.mosnum: self._files(m.header_key, m.object_key, stats) for m in plate.mosaics
            }
            return plate_records(plate, files, fingerprint, self.service)

        return Prepared(key, plate.plate_id, fingerprint, build)

    def _files(self, header_key: str, object_key: str, stats: FetchStats) -> MosaicFiles:
        raw = self.store.read_all(header_key, stats)
        _, info, image = read_header(self.store, object_key, self.header_bytes, stats)
        return MosaicFiles(read_header_file(raw), len(raw), info, layout_to_json(image))


def ingest(
    store: ObjectStore,
    catalog: Catalog,
    service: ServiceSettings,
    workers: int = 4,
    force: bool = False,
    progress: TextIO | None | bool = True,
    header_bytes: int = HEADER_INITIAL_BYTES,
) -> IngestReport:
    """Ingest every sidecar under ``plates/`` of an archive in Platecut's layout (see
    :func:`service.catalog.ingest.run_ingest` for the parameters)."""
    source = SidecarSource(store, service, header_bytes)
    return run_ingest(source, catalog, workers, force, progress)


def ingest_one(
    store: ObjectStore, catalog: Catalog, key: str, service: ServiceSettings, force: bool = False
) -> tuple[str, str]:
    """Ingest one sidecar; returns (outcome, plate id or reason)."""
    outcome, detail, _ = ingest_unit(SidecarSource(store, service), catalog, key, force)
    return outcome, detail
