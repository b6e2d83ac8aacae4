"""SIA 1.0 image generation: POS/SIZE/INTERSECT to a catalog search, and for each
plate that qualifies a virtual image, a cutout on the grid the request describes
(NAXIS, CDELT, CRVAL, ROTANG, PROJ), made by SODA when its access reference is read.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from service.catalog.query import ExposureQuery
from service.catalog.records import ExposureRecord
from service.cutout.grid import PROJECTIONS, TargetGrid
from service.faults import UsageFault
from service.sky import Circle, Polygon, contains, orient, unit
from service.vo import soda
from service.vo.parameters import Param, ParamTable
from service.vo.values import Params, number, position, shown
from service.vo.votable import Field, text

INTERSECTS = ("OVERLAPS", "COVERS", "ENCLOSED", "CENTER")
FITS_FORMATS = ("image/fits", "application/fits")


def table(default_scale_arcsec: float, default_size: int) -> ParamTable:
    """SIA 1.0's parameters (image query and image generation)."""
    return ParamTable(
        "sia1",
        (
            Param("POS", "pair", "Centre: ra,dec (degrees, ICRS)", "pos.eq", "deg",
                  required=True),
            Param("SIZE", "pair", "Image size: one or two values, degrees (0: the images "
                  "that contain the position, each of the default cutout size)", "", "deg",
                  required=True),
            Param("INTERSECT", "keyword", "How plates must meet the image", default="OVERLAPS",
                  options=INTERSECTS),
            Param("FORMAT", "text", "ALL or image/fits (FITS), GRAPHIC or image/png, "
                  "image/jpeg, METADATA", default="ALL"),
            Param("NAXIS", "pair", "Image size in pixels: n or n,m (default: SIZE at the scale; "
                  f"{default_size} px for SIZE=0)", "", "pix"),
            Param("CDELT", "pair", f"Pixel scale, degrees (default {default_scale_arcsec}\")",
                  "", "deg"),
            Param("CRVAL", "pair", "Image centre if not POS: ra,dec", "pos.eq", "deg"),
            Param("ROTANG", "real", "Rotation of the image, east of north", "pos.posAng", "deg",
                  default=0.0, low=-360.0, high=360.0),
            Param("PROJ", "keyword", "Projection", default="TAN", options=PROJECTIONS),
            Param("VERB", "integer", "Verbosity (the columns are the same at every level)",
                  default=1, low=0, high=3),
        ),
    )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class Sia1Query:
    """A parsed SIA 1.0 query: the requested image grid and how plates must meet it."""

    grid: TargetGrid
    intersect: str
    metadata: bool  # FORMAT=METADATA
    mime: str | None  # image/fits, image/png or image/jpeg; None if FORMAT asks for none
    verb: int


def _pair(field: str, text_: str, low: float, high: float, kind: type = float) -> tuple:
    words = text_.replace(",", " ").split()
    if len(words) not in (1, 2):
        raise UsageFault(f"Field {field}: Invalid value {shown(text_)} (need one or two numbers)")
    values = [number(field, w, low, high, kind) for w in words]
    return (values[0], values[-1])


def parse(params: Params, default_scale_arcsec: float, default_size: int) -> Sia1Query:
    """Parse a SIA 1.0 query (POS and SIZE are required unless FORMAT=METADATA).

    Raises
    ------
    UsageFault
    """
    fmt = [f.strip().upper() for v in params.all("FORMAT") for f in v.split(",")]
    metadata = "METADATA" in fmt
    mime = _mime(fmt)
    spec = table(default_scale_arcsec, default_size)
    verb = spec.one(params, "VERB")
    if metadata:
        return Sia1Query(
            TargetGrid(0.0, 0.0, 1, 1, default_scale_arcsec), "OVERLAPS", True, None, verb
        )
    v = spec.parse(params)
    (pos_text,), (size_text,) = v["POS"], v["SIZE"]
    ra, dec = position("POS", pos_text)
    width, height = _pair("SIZE", size_text, 0, 180)
    cra, cdec = position("CRVAL", v["CRVAL"][0]) if v["CRVAL"] else (ra, dec)
    cdelt = v["CDELT"]
    scale = default_scale_arcsec
    if cdelt:
        step = abs(_pair("CDELT", cdelt[0], -1, 1)[0])
        if step < 1e-7:
            raise UsageFault(f"Field CDELT: Invalid value {shown(cdelt[0])} (below 1e-7 deg)")
        scale = step * 3600
    point = width == 0 or height == 0  # SIZE=0: the images containing the position
    if v["NAXIS"]:
        nx, ny = _pair("NAXIS", v["NAXIS"][0], 1, 1e6, int)
    elif point:
        nx = ny = default_size
    else:
        nx, ny = math.ceil(width * 3600 / scale), math.ceil(height * 3600 / scale)
    grid = TargetGrid(cra % 360, cdec, int(nx), int(ny), scale, v["ROTANG"][0], v["PROJ"][0])
    intersect = "CENTER" if point else v["INTERSECT"][0]
    return Sia1Query(grid, intersect, False, mime, verb)


def _mime(formats: list[str]) -> str | None:
    """The one format made for FORMAT: FITS for ALL or FITS types, PNG for GRAPHIC."""
    if not formats or any(f in ("ALL", "IMAGE/FITS", "APPLICATION/FITS") for f in formats):
        return FITS_FORMATS[0]
    if any(f in ("GRAPHIC", "GRAPHIC-ALL", "IMAGE/PNG") for f in formats):
        return "image/png"
    return "image/jpeg" if "IMAGE/JPEG" in formats else None


def box(grid: TargetGrid) -> Polygon:
    """The grid's outline on the sky (its four corners)."""
    x = [0.5, grid.nx + 0.5, grid.nx + 0.5, 0.5]
    y = [0.5, 0.5, grid.ny + 0.5, grid.ny + 0.5]
    ra, dec = grid.wcs().all_pix2world(x, y, 1)
    return Polygon(tuple(zip(ra.tolist(), dec.tolist(), strict=True)))


def catalog_query(query: Sia1Query) -> ExposureQuery:
    """The catalog search: CENTER needs the centre on the plate, the others an overlap."""
    if query.intersect == "CENTER":
        return ExposureQuery(regions=(Circle(query.grid.ra, query.grid.dec, 1e-7),))
    return ExposureQuery(regions=(box(query.grid),))


def keep(rows: list[ExposureRecord], query: Sia1Query) -> list[ExposureRecord]:
    """Rows that meet COVERS (plate covers the image) or ENCLOSED (plate inside it)."""
    if query.intersect not in ("COVERS", "ENCLOSED") or not rows:
        return rows
    corners = np.array(box(query.grid).vertices)
    image = unit(corners[:, 0], corners[:, 1])
    polys = np.stack([r.footprint_vectors() for r in rows])
    if query.intersect == "COVERS":
        ok = contains(polys, image).all(axis=1)
    else:
        inside = contains(orient(image)[None], polys.reshape(-1, 3))[0]
        ok = inside.reshape(len(rows), -1).all(axis=1)
    return [r for r, k in zip(rows, ok, strict=True) if k]


FIELDS = (
    text("title", "Plate, exposure and solution", "VOX:Image_Title"),
    Field("ra", "double", "RA of the image centre", "POS_EQ_RA_MAIN", unit="deg"),
    Field("dec", "double", "Dec of the image centre", "POS_EQ_DEC_MAIN", unit="deg"),
    Field("naxes", "int", "Image axes", "VOX:Image_Naxes"),
    Field("naxis", "int", "Image size", "VOX:Image_Naxis", arraysize="2"),
    Field("scale", "double", "Pixel scale", "VOX:Image_Scale", unit="deg", arraysize="2"),
    text("format", "Image format", "VOX:Image_Format"),
    text("access_url", "The generated cutout", "VOX:Image_AccessReference"),
    Field("filesize", "long", "Estimated size", "VOX:Image_FileSize", unit="byte"),
    Field("mjd_obs", "double", "Exposure start", "VOX:Image_MJDateObs", unit="d"),
    text("instrument", "Telescope", "INST_ID"),
    text("frame", "Coordinate frame", "VOX:STC_CoordRefFrame"),
    Field("equinox", "double", "Equinox", "VOX:STC_CoordEquinox"),
    text("projection", "Projection", "VOX:WCS_CoordProjection"),
    Field("crpix", "double", "Reference pixel", "VOX:WCS_CoordRefPixel", arraysize="2"),
    Field("crval", "double", "Reference value", "VOX:WCS_CoordRefValue", unit="deg", arraysize="2"),
    Field("cd", "double", "CD matrix", "VOX:WCS_CDMatrix", unit="deg", arraysize="4"),
    text("obs_publisher_did", "Exposure solution", "meta.ref.ivoid"),
    text("plate_id", "Plate", "meta.id"),
    Field("solnum", "int", "WCS solution number", "meta.number"),
)


@dataclasses.dataclass(frozen=True)
class Sia1Row:
    """One virtual image (attributes named as :data:`FIELDS`)."""

    title: str
    ra: float
    dec: float
    naxes: int
    naxis: tuple[int, int]
    scale: tuple[float, float]
    format: str
    access_url: str
    filesize: int
    mjd_obs: float
    instrument: str
    frame: str
    equinox: float
    projection: str
    crpix: tuple[float, ...]
    crval: tuple[float, ...]
    cd: tuple[float, ...]
    obs_publisher_did: str
    plate_id: str
    solnum: int


def row(
    record: ExposureRecord, grid: TargetGrid, base: str, mime: str = FITS_FORMATS[0]
) -> Sia1Row:
    """One virtual image: the plate's solution resampled onto ``grid``."""
    wcs = grid.wcs()
    radius = max(grid.nx, grid.ny) * grid.scale_arcsec / 7200.0
    query = {
        "ID": record.publisher_did,
        "CIRCLE": f"{grid.ra!r} {grid.dec!r} {radius!r}",
        "WIDTH": grid.nx,
        "HEIGHT": grid.ny,
        "SCALE": repr(grid.scale_arcsec),
        "ROTATION": repr(grid.rotation_deg),
        "PROJECTION": grid.projection,
    }
    if mime != FITS_FORMATS[0]:
        query["RESPONSEFORMAT"] = mime
    s = grid.scale_arcsec / 3600.0
    return Sia1Row(
        title=f"{record.plate_id} exposure {record.exposure} solution {record.solnum} "
        f"({record.date_obs[:10]}), {grid.nx}x{grid.ny} {grid.projection}",
        ra=grid.ra,
        dec=grid.dec,
        naxes=2,
        naxis=(grid.nx, grid.ny),
        scale=(-s, s),
        format=mime,
        access_url=soda.sync_url(base, query),
        filesize=grid.nx * grid.ny * 4 + 8640,
        mjd_obs=record.t_min,
        instrument=record.telescope,
        frame="ICRS",
        equinox=2000.0,
        projection=grid.projection,
        crpix=tuple(float(v) for v in wcs.wcs.crpix),
        crval=tuple(float(v) for v in wcs.wcs.crval),
        cd=tuple(float(v) for v in wcs.wcs.cd.ravel()),
        obs_publisher_did=record.publisher_did,
        plate_id=record.plate_id,
        solnum=record.solnum,
    )
