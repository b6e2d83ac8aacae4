"""Filling a catalog from an archive, whatever its layout: an ingest source
(:class:`IngestSource`: Platecut's sidecars, :mod:`service.archive.sidecars`; DASCH
DR7's plates table, :mod:`service.archive.dr7_source`) yields plates, and this module
files them.

Idempotent (a plate is replaced whole), resumable (a plate whose fingerprint is the one
recorded at its last ingest is skipped without reading it further), parallel (one
thread per part of the source), and tolerant: a plate that cannot be read is reported
with the reason and skipped, never half-written.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
from collections.abc import Callable, Iterable, Sized
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TextIO

import numpy as np

from service.archive.layout import LayoutError
from service.catalog.base import Catalog
from service.catalog.records import ExposureRecord, PixelSource, PlateRecord
from service.faults import Fault
from service.progress import draw


@dataclasses.dataclass(frozen=True)
class PlateRecords:
    """The catalog records of one plate, and what ingest should tell of it."""

    plate: PlateRecord
    exposures: list[ExposureRecord]
    pixels: dict[str, PixelSource]
    note: str = ""  # e.g. a plate never scanned: its logged exposures only


@dataclasses.dataclass(frozen=True)
class Prepared:
    """One plate of a source, before its records are built: its fingerprint (an
    identity of its content) decides whether :attr:`build` runs."""

    key: str  # where it came from, for the report
    plate_id: str
    fingerprint: str
    build: Callable[[], PlateRecords]


class IngestSource(Protocol):
    """Where plates come from."""

    def segments(self, count: int) -> list[Iterable[Any]]:
        """The source's units (sidecars, items...) in ``count`` parts, read in
        parallel."""
        ...

    def prepare(self, unit: Any) -> Prepared:  # noqa: ANN401
        """A unit's plate and fingerprint (cheap: the expensive reads are in ``build``).

        Raises
        ------
        Fault, LayoutError, ValueError
            If the unit cannot be read.
        """
        ...


@dataclasses.dataclass
class IngestReport:
    """What an ingest did."""

    ingested: list[str] = dataclasses.field(default_factory=list)
    unchanged: list[str] = dataclasses.field(default_factory=list)
    skipped: dict[str, str] = dataclasses.field(default_factory=dict)  # key -> why
    notes: dict[str, str] = dataclasses.field(default_factory=dict)  # plate -> what of it

    def summary(self) -> str:
        """One paragraph for people."""
        lines = [
            f"ingested {len(self.ingested)} plates, {len(self.unchanged)} unchanged, "
            f"{len(self.skipped)} skipped"
        ]
        lines += [f"  skipped {key}: {why}" for key, why in sorted(self.skipped.items())]
        lines += [f"  note {key}: {what}" for key, what in sorted(self.notes.items())]
        return "\n".join(lines)


def ingest_unit(
    source: IngestSource,
    catalog: Catalog,
    unit: Any,
    force: bool = False,  # noqa: ANN401
) -> tuple[str, str, str]:
    """Ingest one unit of a source: (outcome, plate id or reason, note)."""
    try:
        prepared = source.prepare(unit)
        old = catalog.plate(prepared.plate_id)
        if old is not None and old.source_etag == prepared.fingerprint and not force:
            return "unchanged", prepared.plate_id, ""
        records = prepared.build()
    except (Fault, LayoutError, ValueError, UnicodeDecodeError) as exc:
        return "skipped", f"{type(exc).__name__}: {exc}", ""
    plate = records.plate.summarised(records.exposures)
    catalog.put_plate(plate, records.exposures, records.pixels)
    return "ingested", prepared.plate_id, records.note


#: the finest order of the coverage map (0.46 degree cells)
COVERAGE_ORDER = 7


def coverage_moc(cells: list[tuple[int, int]]) -> str:
    """The archive's coverage as an IVOA MOC (ASCII serialisation), from the catalog's
    HEALPix index cells (each footprint's, a superset of it), at most COVERAGE_ORDER."""
    from mocpy import MOC

    if not cells:
        return ""
    orders = np.array([min(o, COVERAGE_ORDER) for o, _ in cells], dtype=np.uint8)
    ipix = np.array([c >> (2 * (o - min(o, COVERAGE_ORDER))) for o, c in cells], np.uint64)
    moc = MOC.from_healpix_cells(ipix, orders, max_depth=COVERAGE_ORDER)
    return moc.to_string(format="ascii")


def run_ingest(
    source: IngestSource,
    catalog: Catalog,
    workers: int = 4,
    force: bool = False,
    progress: TextIO | None | bool = True,
    expected: int = 0,
) -> IngestReport:
    """Ingest every plate of a source.

    Parameters
    ----------
    source
        The archive's plates.
    catalog
        Where records go (created if needed).
    workers
        Parts of the source read in parallel.
    force
        Re-ingest plates even when their fingerprint is unchanged.
    progress
        Where to draw the progress bar (True: standard error at the time of the call;
        None: nowhere).
    expected
        Plates expected, for the progress bar (0: count as they come).
    """
    if progress is True:
        progress = sys.stderr
    catalog.create()
    report = IngestReport()
    lock = threading.Lock()
    done = 0

    def part(units: Iterable[Any]) -> None:
        nonlocal done
        for unit in units:
            outcome, detail, note = ingest_unit(source, catalog, unit, force)
            with lock:
                done += 1
                if outcome == "skipped":
                    report.skipped[str(getattr(unit, "key", unit))] = detail
                else:
                    getattr(report, outcome).append(detail)
                    if note:
                        report.notes[detail] = note
                total = max(expected, done)
                draw(progress, "ingest", done, total, "plates", f"{len(report.skipped)} skipped")

    segments = source.segments(max(1, workers))
    expected = expected or sum(len(s) for s in segments if isinstance(s, Sized))
    with ThreadPoolExecutor(max(1, len(segments))) as pool:
        list(pool.map(part, segments))
    if progress is not None:
        progress.write("\n")
    if report.ingested or not catalog.coverage():
        catalog.put_coverage(coverage_moc(catalog.index_cells()))
    report.ingested.sort()
    report.unchanged.sort()
    return report
