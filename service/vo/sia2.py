"""SIA 2.0 queries: parameters to a catalog query, and which rows pass the
constraints the catalog does not store (they are the same for every plate).

Repeated values of a parameter OR, different parameters AND (SIA 2.0 section 2.1).
"""

from __future__ import annotations

import dataclasses

from service.catalog.query import ExposureQuery
from service.vo import obscore
from service.vo.params import Params, choice, intervals, maxrec, number, pos
from service.vo.votable import Descriptor, Field, text

#: parameters of SIA 2.0 section 2, all accepted
PARAMETERS = (
    "POS", "BAND", "TIME", "POL", "FOV", "SPATRES", "EXPTIME", "ID", "COLLECTION",
    "FACILITY", "INSTRUMENT", "DPTYPE", "CALIB", "TARGET", "TIMERES", "SPECRP",
    "FORMAT", "MAXREC", "RESPONSEFORMAT",
)  # fmt: skip
SIA2_QUERY = "ivo://ivoa.net/std/SIA#query-2.0"
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
    choice("RESPONSEFORMAT", params.one("RESPONSEFORMAT"), RESPONSE_FORMATS)
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


def _interval(name: str, what: str, ucd: str, unit: str = "") -> tuple:
    doc = f"{what}: interval 'low high' (-Inf/+Inf for open ends)"
    field = Field(name, "double", doc, ucd, unit=unit, arraysize="2", xtype="interval")
    return (field, "", "", None, ())


def _text(name: str, what: str, options: tuple[str, ...] = ()) -> tuple:
    return (text(name, what), "", "", None, options)


def self_description(base: str, max_maxrec: int) -> Descriptor:
    """The SIA 2.0 query's input parameters, as a service descriptor."""
    params = [
        _text("POS", "CIRCLE ra dec r, RANGE ra1 ra2 dec1 dec2 or POLYGON ra dec ... (deg)"),
        _interval("BAND", "Wavelength", "em.wl", "m"),
        _interval("TIME", "Observation time (MJD)", "time.epoch", "d"),
        _text("POL", "Polarisation state (plates have none)"),
        _interval("FOV", "Field of view", "phys.angSize;instr.fov", "deg"),
        _interval("SPATRES", "Spatial resolution", "pos.angResolution", "arcsec"),
        _interval("EXPTIME", "Exposure time", "time.duration;obs.exposure", "s"),
        _text("ID", "obs_publisher_did"),
        _text("COLLECTION", "Plate series"),
        _text("FACILITY", "Telescope"),
        _text("INSTRUMENT", "Instrument"),
        _text("DPTYPE", "Data product type", ("image", "cube")),
        (Field("CALIB", "int", "Calibration level"), "", "", ("0", "4"), ()),
        _text("TARGET", "Target name"),
        _interval("TIMERES", "Time resolution", "time.resolution", "s"),
        _interval("SPECRP", "Spectral resolving power", "spect.resolution"),
        _text("FORMAT", "Format of the data products", ("image/fits", obscore.DATALINK_MIME)),
        (Field("MAXREC", "int", "Most rows returned"), "", "", ("0", str(max_maxrec)), ()),
    ]
    return Descriptor(
        "sia2-query", SIA2_QUERY, f"{base}/sia/v2/query", "This SIA 2.0 query", params
    )
