"""SIA 2.0 queries: parameters to a catalog query, and which rows pass the
constraints the catalog does not store (they are the same for every plate).

Repeated values of a parameter OR, different parameters AND (SIA 2.0 section 2.1).
"""

from __future__ import annotations

import dataclasses

from service.catalog.query import ExposureQuery
from service.vo import obscore
from service.vo.params import Params, intervals, maxrec, number, pos

#: parameters of SIA 2.0 section 2, all accepted
PARAMETERS = (
    "POS", "BAND", "TIME", "POL", "FOV", "SPATRES", "EXPTIME", "ID", "COLLECTION",
    "FACILITY", "INSTRUMENT", "DPTYPE", "CALIB", "TARGET", "TIMERES", "SPECRP",
    "FORMAT", "MAXREC", "RESPONSEFORMAT",
)  # fmt: skip
RESPONSE_FORMATS = (
    "votable",
    "application/x-votable+xml",
    "text/xml",
    "application/x-votable+xml;serialization=tabledata",
)


@dataclasses.dataclass(frozen=True)
class Sia2Query:
    """A parsed SIA 2.0 query.

    Attributes
    ----------
    catalog
        What the catalog evaluates (regions, times, exposure times, ...).
    timeres
        TIMERES intervals, applied to the rows (t_resolution is the exposure time).
    constant_match
        False when a constraint on a column that is the same for every row (BAND,
        POL, DPTYPE, CALIB, TARGET, SPECRP, FORMAT, INSTRUMENT) excludes it: no rows.
    maxrec
        Rows to return at most.
    """

    catalog: ExposureQuery
    timeres: tuple[tuple[float, float], ...]
    constant_match: bool
    maxrec: int


def _any_overlap(wanted: tuple[tuple[float, float], ...], lo: float, hi: float) -> bool:
    return not wanted or any(a <= hi and lo <= b for a, b in wanted)


def _constants_match(params: Params) -> bool:
    band = intervals(params, "BAND", low=0.0)
    specrp = intervals(params, "SPECRP", low=0.0)
    calib = [int(number("CALIB", v, 0, 4, int)) for v in params.all("CALIB")]
    checks = (
        _any_overlap(band, obscore.EM_MIN, obscore.EM_MAX),
        not params.all("POL"),  # plates carry no polarisation states
        not specrp,  # nor a spectral resolving power
        not params.all("TARGET"),  # nor a target name
        not calib or obscore.CALIB_LEVEL in calib,
        _in(params, "DPTYPE", (obscore.DATAPRODUCT_TYPE,)),
        _in(params, "INSTRUMENT", (obscore.INSTRUMENT,)),
        _in(params, "FORMAT", obscore.FORMATS),
    )
    return all(checks)


def _in(params: Params, name: str, allowed: tuple[str, ...]) -> bool:
    values = params.all(name)
    return not values or any(v.strip().lower() in {a.lower() for a in allowed} for v in values)


def parse(params: Params, default_maxrec: int, max_maxrec: int) -> Sia2Query:
    """Parse a SIA 2.0 query.

    Raises
    ------
    UsageFault
        Naming the parameter and echoing the bad value.
    """
    regions = tuple(pos("POS", v) for v in params.all("POS"))
    spatres = tuple((lo / 3600.0, hi / 3600.0) for lo, hi in intervals(params, "SPATRES", low=0))
    query = ExposureQuery(
        regions=regions,
        times=intervals(params, "TIME"),
        exptimes=intervals(params, "EXPTIME", low=0.0),
        fovs=intervals(params, "FOV", low=0.0, high=360.0),
        spatres=spatres,
        collections=tuple(params.all("COLLECTION")),
        facilities=tuple(params.all("FACILITY")),
        ids=tuple(params.all("ID")),
    )
    timeres = intervals(params, "TIMERES", low=0.0)
    constant = _constants_match(params)
    limit = maxrec(params, default_maxrec, max_maxrec)
    return Sia2Query(query, timeres, constant, limit)


def passes_timeres(exptime: float, timeres: tuple[tuple[float, float], ...]) -> bool:
    """Whether an exposure's time resolution (its exposure time) is in TIMERES."""
    return not timeres or any(lo <= exptime <= hi for lo, hi in timeres)
