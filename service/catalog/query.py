"""What a discovery query asks, and the filters every catalog backend applies the same way."""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from service.catalog.records import ExposureRecord
from service.sky import Region, intersects

Interval = tuple[float, float]  # closed [low, high]; +-inf for open ends


@dataclasses.dataclass(frozen=True)
class ExposureQuery:
    """Constraints of a search. Repeated values of one constraint OR, constraints AND.

    Attributes
    ----------
    regions
        Sky regions (an exposure matches if its footprint intersects any).
    times
        MJD intervals that the exposure [t_min, t_max] must overlap.
    exptimes, fovs, spatres, timeres
        Intervals for exposure time (s), field of view (deg), pixel scale (deg), time
        resolution (s: the exposure time again, a constraint of its own).
    collections, facilities, ids
        Allowed series, telescopes and identifiers (obs_id or publisher DID).
    calib_levels
        Allowed calibration levels (2: a solution; 1: the logged centre only).
    maxrec
        Most rows returned; ``None`` for no limit.
    impossible
        A constraint on what is the same for every exposure (SIA 2.0's BAND, POL,
        CALIB...) excludes them all: nothing matches.
    """

    regions: tuple[Region, ...] = ()
    times: tuple[Interval, ...] = ()
    exptimes: tuple[Interval, ...] = ()
    fovs: tuple[Interval, ...] = ()
    spatres: tuple[Interval, ...] = ()
    timeres: tuple[Interval, ...] = ()
    collections: tuple[str, ...] = ()
    facilities: tuple[str, ...] = ()
    ids: tuple[str, ...] = ()
    calib_levels: tuple[int, ...] = ()
    maxrec: int | None = None
    impossible: bool = False


@dataclasses.dataclass(frozen=True)
class SearchResult:
    """Rows in order of observation date, and whether MAXREC cut the list."""

    rows: list[ExposureRecord]
    overflow: bool
    candidates: int  # rows read before the exact tests, for benchmarks
    requests: dict[str, int] = dataclasses.field(default_factory=dict)  # backend calls


def _within(value: float, intervals: tuple[Interval, ...]) -> bool:
    return not intervals or any(lo <= value <= hi for lo, hi in intervals)


def _overlaps(lo: float, hi: float, intervals: tuple[Interval, ...]) -> bool:
    return not intervals or any(a <= hi and lo <= b for a, b in intervals)


def matches_attributes(row: ExposureRecord, query: ExposureQuery) -> bool:
    """Every non-spatial constraint."""
    if query.impossible:
        return False
    if query.collections and row.series not in query.collections:
        return False
    if query.facilities and row.telescope not in query.facilities:
        return False
    if query.calib_levels and row.calib_level not in query.calib_levels:
        return False
    if query.ids and row.obs_id not in query.ids and row.publisher_did not in query.ids:
        return False
    return (
        _overlaps(row.t_min, row.t_max, query.times)
        and _within(row.exptime_s, query.exptimes)
        and _within(row.exptime_s, query.timeres)
        and _within(row.fov_deg, query.fovs)
        and _within(row.pixel_scale_arcsec / 3600.0, query.spatres)
    )


def date_order(row: ExposureRecord) -> tuple[bool, float, str]:
    """Sort key: observation date, then obs_id; exposures of unknown date last."""
    unknown = math.isnan(row.t_min)
    return unknown, 0.0 if unknown else row.t_min, row.obs_id


def finish(
    candidates: list[ExposureRecord], query: ExposureQuery, requests: dict[str, int] | None = None
) -> SearchResult:
    """Apply the exact spatial test and the filters, order and cut at MAXREC."""
    unique = {row.obs_id: row for row in candidates}
    rows = [row for row in unique.values() if matches_attributes(row, query)]
    if query.regions and rows:
        polys = np.stack([row.footprint_vectors() for row in rows])
        keep = np.zeros(len(rows), bool)
        for region in query.regions:
            keep |= intersects(polys, region)
        rows = [row for row, k in zip(rows, keep, strict=True) if k]
    rows.sort(key=date_order)
    overflow = query.maxrec is not None and len(rows) > query.maxrec
    if overflow:
        rows = rows[: query.maxrec]
    return SearchResult(rows, overflow, len(unique), requests or {})
