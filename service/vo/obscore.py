"""ObsCore 1.1 columns of discovery rows, and the values of one exposure solution.

Names, units, UCDs and utypes follow the ObsCore 1.1 TAP_SCHEMA tables (appendix C);
the ``plate_id``..``wcs_source`` columns after them are Platecut's own. Constant
columns describe what every plate of a photographic archive is: an image, one optical
band (em_min/em_max below), no polarisation. An exposure described by an astrometric
solution is calib_level 2; one known only from its logbook centre is calib_level 1,
its footprint DASCH's approximate frame.
"""

from __future__ import annotations

import dataclasses
import math
from urllib.parse import quote

from service.catalog.records import ExposureRecord
from service.vo.votable import Field, text

DATALINK_MIME = "application/x-votable+xml;content=datalink"
DATAPRODUCT_TYPE = "image"
CALIB_LEVELS = (1, 2)  # 1: the logbook's centre only; 2: an astrometric solution
# The catalog holds no emulsion or filter: every plate is listed as 350-700 nm (blue
# to red-sensitive emulsions), so BAND constraints overlapping it match.
EM_MIN, EM_MAX = 3.5e-7, 7.0e-7
INSTRUMENT = "photographic plate"
FORMATS = ("image/fits", "application/fits", DATALINK_MIME, "all")

_D = "obscore:"


def _double(name: str, description: str, unit: str, ucd: str, utype: str) -> Field:
    return Field(name, "double", description, ucd, _D + utype, unit)


def _long(name: str, description: str, ucd: str, utype: str = "", unit: str = "") -> Field:
    return Field(name, "long", description, ucd, _D + utype if utype else "", unit, null="-1")


FIELDS = (
    text(
        "dataproduct_type",
        "Data product type",
        "meta.code.class",
        _D + "ObsDataset.dataProductType",
    ),
    Field(
        "calib_level",
        "int",
        "Calibration level (2: an astrometric solution; 1: the logbook's centre only)",
        "meta.code;obs.calib",
        _D + "ObsDataset.calibLevel",
    ),
    text("obs_collection", "Plate series", "meta.id", _D + "DataID.collection"),
    text(
        "obs_id",
        "Exposure: <plate>m<mosaic>s<solution>, or <plate>m<mosaic>u<exposure> without a solution",
        "meta.id",
        _D + "DataID.observationID",
    ),
    text(
        "obs_publisher_did",
        "IVOA publisher dataset identifier",
        "meta.ref.ivoid",
        _D + "Curation.publisherDID",
    ),
    text(
        "access_url",
        "DataLink document of this exposure solution",
        "meta.ref.url",
        _D + "Access.reference",
    ),
    text("access_format", "Format of access_url", "meta.code.mime", _D + "Access.format"),
    _long(
        "access_estsize",
        "Size of the uncompressed 16-bit mosaic",
        "phys.size;meta.file",
        "Access.size",
        "kbyte",
    ),
    text("target_name", "Target (not recorded for plates)", "meta.id;src", _D + "Target.name"),
    _double(
        "s_ra",
        "RA of the exposure centre (ICRS)",
        "deg",
        "pos.eq.ra",
        "Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C1",
    ),
    _double(
        "s_dec",
        "Dec of the exposure centre (ICRS)",
        "deg",
        "pos.eq.dec",
        "Char.SpatialAxis.Coverage.Location.Coord.Position2D.Value2.C2",
    ),
    _double(
        "s_fov",
        "Diameter of a circle containing the footprint",
        "deg",
        "phys.angSize;instr.fov",
        "Char.SpatialAxis.Coverage.Bounds.Extent.diameter",
    ),
    text(
        "s_region",
        "Footprint of the solution over the mosaic (STC-S)",
        "pos.outline;obs.field",
        _D + "Char.SpatialAxis.Coverage.Support.Area",
        xtype="adql:REGION",
    ),
    _double(
        "s_resolution",
        "Pixel scale (no PSF measurement in the catalog)",
        "arcsec",
        "pos.angResolution",
        "Char.SpatialAxis.Resolution.Refval.value",
    ),
    _long("s_xel1", "Mosaic width", "meta.number", "Char.SpatialAxis.numBins1"),
    _long("s_xel2", "Mosaic height", "meta.number", "Char.SpatialAxis.numBins2"),
    _double(
        "t_min",
        "Exposure start",
        "d",
        "time.start;obs.exposure",
        "Char.TimeAxis.Coverage.Bounds.Limits.StartTime",
    ),
    _double(
        "t_max",
        "Exposure end",
        "d",
        "time.end;obs.exposure",
        "Char.TimeAxis.Coverage.Bounds.Limits.StopTime",
    ),
    _double(
        "t_exptime",
        "Exposure time",
        "s",
        "time.duration;obs.exposure",
        "Char.TimeAxis.Coverage.Support.Extent",
    ),
    _double(
        "t_resolution",
        "Time resolution (the exposure time)",
        "s",
        "time.resolution",
        "Char.TimeAxis.Resolution.Refval.value",
    ),
    _long("t_xel", "Time bins", "meta.number", "Char.TimeAxis.numBins"),
    _double(
        "em_min",
        "Shortest wavelength (assumed, see README)",
        "m",
        "em.wl;stat.min",
        "Char.SpectralAxis.Coverage.Bounds.Limits.LoLimit",
    ),
    _double(
        "em_max",
        "Longest wavelength (assumed, see README)",
        "m",
        "em.wl;stat.max",
        "Char.SpectralAxis.Coverage.Bounds.Limits.HiLimit",
    ),
    _double(
        "em_res_power",
        "Spectral resolving power (none)",
        "",
        "spect.resolution",
        "Char.SpectralAxis.Resolution.ResolPower.refVal",
    ),
    _long("em_xel", "Spectral bins", "meta.number", "Char.SpectralAxis.numBins"),
    text("o_ucd", "What the pixels measure", "meta.ucd", _D + "Char.ObservableAxis.ucd"),
    text(
        "pol_states",
        "Polarisation states (none)",
        "meta.code;phys.polarization",
        _D + "Char.PolarizationAxis.stateList",
    ),
    _long("pol_xel", "Polarisation bins (none)", "meta.number", "Char.PolarizationAxis.numBins"),
    text(
        "facility_name", "Telescope", "meta.id;instr.tel", _D + "Provenance.ObsConfig.Facility.name"
    ),
    text(
        "instrument_name",
        "Instrument",
        "meta.id;instr",
        _D + "Provenance.ObsConfig.Instrument.name",
    ),
    text("plate_id", "Plate identifier", "meta.id"),
    _long("mosnum", "Mosaic number of the scan", "meta.number"),
    _long("solnum", "WCS solution number (0-based; -1: no solution)", "meta.number"),
    _long("exposure_num", "Exposure number on the plate", "meta.number"),
    text("date_obs", "Exposure start (ISO 8601, UTC)", "time.start", xtype="timestamp"),
    text(
        "wcs_source",
        "Where the footprint comes from: imwcs (an astrometric solution) or the logbook "
        "centre's source (DASCH's centerSource)",
        "meta.code",
    ),
)


def s_region(record: ExposureRecord) -> str:
    """The footprint as an STC-S polygon (what Aladin Lite draws)."""
    return "POLYGON ICRS " + " ".join(f"{ra:.6f} {dec:.6f}" for ra, dec in record.footprint)


def datalink_url(base: str, record: ExposureRecord) -> str:
    """The DataLink {links} URL of one exposure solution."""
    return f"{base}/datalink/links?ID={quote(record.publisher_did, safe='')}"


@dataclasses.dataclass(frozen=True)
class ObsCoreRow:
    """One exposure solution as an ObsCore row (attributes named as :data:`FIELDS`)."""

    dataproduct_type: str
    calib_level: int
    obs_collection: str
    obs_id: str
    obs_publisher_did: str
    access_url: str
    access_format: str
    access_estsize: int
    target_name: str | None
    s_ra: float
    s_dec: float
    s_fov: float
    s_region: str
    s_resolution: float
    s_xel1: int
    s_xel2: int
    t_min: float
    t_max: float
    t_exptime: float
    t_resolution: float
    t_xel: int
    em_min: float
    em_max: float
    em_res_power: float | None
    em_xel: int
    o_ucd: str
    pol_states: str | None
    pol_xel: int
    facility_name: str
    instrument_name: str
    plate_id: str
    mosnum: int
    solnum: int
    exposure_num: int
    date_obs: str
    wcs_source: str


def row(record: ExposureRecord, base: str) -> ObsCoreRow:
    """The ObsCore row of one exposure solution."""
    return ObsCoreRow(
        dataproduct_type=DATAPRODUCT_TYPE,
        calib_level=record.calib_level,
        obs_collection=record.series,
        obs_id=record.obs_id,
        obs_publisher_did=record.publisher_did,
        access_url=datalink_url(base, record),
        access_format=DATALINK_MIME,
        access_estsize=math.ceil(record.width * record.height * 2 / 1024),
        target_name=None,
        s_ra=record.ra,
        s_dec=record.dec,
        s_fov=record.fov_deg,
        s_region=s_region(record),
        s_resolution=record.pixel_scale_arcsec,
        s_xel1=record.width,
        s_xel2=record.height,
        t_min=record.t_min,
        t_max=record.t_max,
        t_exptime=record.exptime_s,
        t_resolution=record.exptime_s,
        t_xel=1,
        em_min=EM_MIN,
        em_max=EM_MAX,
        em_res_power=None,
        em_xel=1,
        o_ucd="phot.count",
        pol_states=None,
        pol_xel=-1,
        facility_name=record.telescope,
        instrument_name=INSTRUMENT,
        plate_id=record.plate_id,
        mosnum=record.mosnum,
        solnum=record.solnum,
        exposure_num=record.exposure,
        date_obs=record.date_obs,
        wcs_source=record.wcs_source,
    )
