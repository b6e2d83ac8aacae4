"""SIA 2.0 queries: the parameter table, parameters to a catalog query, and which rows
pass the constraints the catalog does not store (they are the same for every plate).

Repeated values of a parameter OR, different parameters AND (SIA 2.0 section 2.1).
"""

from __future__ import annotations

import dataclasses

from service.catalog.query import ExposureQuery
from service.faults import NotFoundFault
from service.identifiers import obs_id_of
from service.settings import ServiceSettings
from service.times import mjd, mjd_to_iso
from service.vo import obscore
from service.vo.parameters import Descriptor, Param, ParamTable
from service.vo.values import Params
from service.vo.votable import VOTABLE_MIME

SIA2_QUERY = "ivo://ivoa.net/std/SIA#query-2.0"
TABLEDATA = "application/x-votable+xml;serialization=tabledata"


def table(default_maxrec: int, max_maxrec: int) -> ParamTable:
    """The parameters of SIA 2.0 section 2 (all accepted)."""
    return ParamTable(
        "sia2",
        (
            Param("POS", "shape", "Region: CIRCLE ra dec r, RANGE ra1 ra2 dec1 dec2 (-Inf/+Inf "
                  "open) or POLYGON ra dec ... (convex), degrees, ICRS", "pos.outline;obs",
                  "deg", multiple=True),
            Param("BAND", "interval", "Wavelength interval (one value: a wavelength)",
                  "em.wl;stat.interval", "m", low=0.0, multiple=True),
            Param("TIME", "interval", "Observation time, MJD (one value: an instant)",
                  "time.interval;obs.exposure", "d", multiple=True),
            Param("POL", "text", "Polarisation state (plates have none: matches nothing)",
                  "meta.code;phys.polarization", multiple=True),
            Param("FOV", "interval", "Field of view", "phys.angSize;instr.fov", "deg", low=0.0,
                  high=360.0, multiple=True),
            Param("SPATRES", "interval", "Spatial resolution (the pixel scale)",
                  "pos.angResolution", "arcsec", low=0.0, multiple=True),
            Param("EXPTIME", "interval", "Exposure time", "time.duration;obs.exposure", "s",
                  low=0.0, multiple=True),
            Param("ID", "text", "obs_publisher_did of an exposure solution", "meta.ref.ivoid",
                  multiple=True),
            Param("COLLECTION", "text", "Plate series (e.g. a, mc, ac)", "meta.id",
                  multiple=True),
            Param("FACILITY", "text", "Telescope", "meta.id;instr.tel", multiple=True),
            Param("INSTRUMENT", "text", "Instrument (photographic plate)", "meta.id;instr",
                  multiple=True),
            Param("DPTYPE", "keyword", "Data product type (plates are images)",
                  "meta.code.class", options=("image", "cube"), multiple=True),
            Param("CALIB", "integer", "Calibration level (2: an astrometric solution; 1: the "
                  "logbook's centre only)", "meta.code;obs.calib", low=0, high=4,
                  multiple=True),
            Param("TARGET", "text", "Target name (plates have none: matches nothing)",
                  "meta.id;src", multiple=True),
            Param("TIMERES", "interval", "Time resolution (the exposure time)", "time.resolution",
                  "s", low=0.0, multiple=True),
            Param("SPECRP", "interval", "Spectral resolving power (plates have none)",
                  "spect.resolution", low=0.0, multiple=True),
            Param("FORMAT", "text", "Format of the data products (image/fits, "
                  f"application/fits, {obscore.DATALINK_MIME} or all)", "meta.code.mime",
                  multiple=True),
            Param("MAXREC", "integer", f"Most rows returned (larger values are lowered to "
                  f"{max_maxrec}; 0: columns only)", default=default_maxrec, low=0),
            Param("RESPONSEFORMAT", "keyword", "Format of the response (VOTable)",
                  default=VOTABLE_MIME, options=(VOTABLE_MIME, TABLEDATA, "text/xml"),
                  aliases={"votable": VOTABLE_MIME}),
        ),
    )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Sia2Query:
    """A parsed SIA 2.0 query.

    Attributes
    ----------
    catalog
        What the catalog evaluates: regions, times, exposure times, ... (a constraint
        on a column that is the same for every row, such as BAND, POL, DPTYPE, TARGET,
        SPECRP, FORMAT or INSTRUMENT, makes it ``impossible`` when it excludes that
        value).
    maxrec
        Rows to return at most.
    response_format
        The media type of the answer (the requested one, DALI).
    """

    catalog: ExposureQuery
    maxrec: int
    response_format: str = VOTABLE_MIME
    hints: tuple[str, ...] = ()  # for the answer's INFO: likely mistakes, not refusals


def _any_overlap(wanted: list[tuple[float, float]], lo: float, hi: float) -> bool:
    return not wanted or any(a <= hi and lo <= b for a, b in wanted)


def _in(values: list[str], allowed: tuple[str, ...]) -> bool:
    return not values or any(v.strip().lower() in {a.lower() for a in allowed} for v in values)


def parse(
    params: Params, default_maxrec: int, max_maxrec: int, service: ServiceSettings
) -> Sia2Query:
    """Parse a SIA 2.0 query (IDs of this service become obs_ids).

    Raises
    ------
    UsageFault
        Naming the parameter and echoing the bad value.
    """
    v = table(default_maxrec, max_maxrec).parse(params)
    constant = all(
        (
            _any_overlap(v["BAND"], obscore.EM_MIN, obscore.EM_MAX),
            not v["POL"],  # plates carry no polarisation states
            not v["SPECRP"],  # nor a spectral resolving power
            not v["TARGET"],  # nor a target name
            _in(v["DPTYPE"], (obscore.DATAPRODUCT_TYPE,)),
            _in(v["INSTRUMENT"], (obscore.INSTRUMENT,)),
            _in(v["FORMAT"], obscore.FORMATS),
        )
    )
    query = ExposureQuery(
        regions=tuple(v["POS"]),
        times=tuple(v["TIME"]),
        exptimes=tuple(v["EXPTIME"]),
        fovs=tuple(v["FOV"]),
        spatres=tuple((lo / 3600.0, hi / 3600.0) for lo, hi in v["SPATRES"]),
        timeres=tuple(v["TIMERES"]),
        collections=tuple(v["COLLECTION"]),
        facilities=tuple(v["FACILITY"]),
        ids=tuple(_obs_id(i, service) for i in v["ID"]),
        calib_levels=tuple(v["CALIB"]),
        impossible=not constant,
    )
    (maxrec,) = v["MAXREC"]
    (response_format,) = v["RESPONSEFORMAT"]
    hints = tuple(year_hint(value) for value in _years(v["TIME"]))
    return Sia2Query(query, min(maxrec, max_maxrec), response_format, hints)


def _years(intervals: list[tuple[float, float]]) -> list[float]:
    """TIME values that look like years (a whole number from 1800 to 2100)."""
    values = {v for interval in intervals for v in interval}
    return sorted(v for v in values if float(v).is_integer() and 1800 <= v <= 2100)


def year_hint(value: float) -> str:
    """What a TIME that looks like a year means, and how to ask for the year."""
    year = int(value)
    first, last = mjd(str(year)), mjd(str(year + 1))
    return (
        f"TIME is MJD: {year} is MJD {year} ({mjd_to_iso(value)[:10]}); for the year {year} "
        f"ask TIME={first:g} {last:g}"
    )


def _obs_id(identifier: str, service: ServiceSettings) -> str:
    """The obs_id an ID names; an identifier of another service names none of ours."""
    try:
        return obs_id_of(identifier, service)
    except NotFoundFault:
        return identifier


def self_description(base: str, default_maxrec: int, max_maxrec: int) -> Descriptor:
    """The SIA 2.0 query's input parameters, as a service descriptor."""
    return Descriptor(
        "sia2-query",
        SIA2_QUERY,
        f"{base}/sia/v2/query",
        "This SIA 2.0 query",
        table(default_maxrec, max_maxrec),
    )
