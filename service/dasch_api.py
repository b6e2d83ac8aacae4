"""DASCH's own DR7 API, the two calls its client ``daschlab`` makes, answered from the
catalog (either archive layout) and the cutout service: no second model.

* ``queryexps`` (body ``ra_deg``, ``dec_deg``, and as daschlab 1.1 sends them
  ``midpoint_min``/``midpoint_max``): every exposure whose frame holds the position,
  solved or not, as CSV lines (header first) with the columns daschlab 1.1 reads
  (``daschlab/exposures.py``); the photometric columns are empty (what daschlab reads
  as missing), as are scan dates.
* ``cutout`` (``plate_id``, ``solution_number``, ``center_ra_deg``,
  ``center_dec_deg``): DASCH's grid (835 x 835 px, 0.0004 deg/px, TAN at the centre,
  CD diagonal, north up), int16 with BLANK = 0 off the plate as DASCH's Lambda writes
  it (bilinear values truncated toward zero), plus Platecut's provenance cards; the
  answer is base64 of the gzipped FITS file.

Bodies are checked against DASCH's JSON schemas (types, required fields, no others);
refusals carry DASCH's messages (``service/faults``: 400, 404, 422).

Depends on the catalog, the cutout service and the sky geometry.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import io
import math
from typing import Any

import numpy as np
from astropy.io import fits

from service.catalog.base import Catalog
from service.catalog.query import ExposureQuery
from service.catalog.records import ExposureRecord, obs_id
from service.cutout.engine import CutoutRequest, NoOverlap
from service.cutout.grid import TargetGrid
from service.cutout.service import CutoutService
from service.faults import NotFoundFault, UsageFault
from service.sky import Circle, plane_distances, tangent_plane, unit
from service.times import instant, mjd_of_instant, mjd_to_iso

PIXELS_PER_CM = 909.09  # DASCH's 90.909 px/mm
CUTOUT_SIDE, CUTOUT_SCALE_DEG = 835, 0.0004
COLUMNS = (
    "series", "platenum", "scannum", "mosnum", "expnum", "solnum", "class", "ra", "dec",
    "exptime", "expdate", "epoch", "wcssource", "scandate", "mosdate", "centerdist", "edgedist",
    "limMagApass", "limMagAtlas", "medianColortermApass", "medianColortermAtlas",
    "nMagdepApass", "nMagdepAtlas", "nSolutionsApass", "nSolutionsAtlas", "resultIdApass",
    "resultIdAtlas",
)  # fmt: skip
#: DASCH's request schemas: field -> (JSON type, required)
QUERYEXPS = {"ra_deg": ("number", True), "dec_deg": ("number", True),
             "midpoint_min": ("string", False), "midpoint_max": ("string", False)}  # fmt: skip
CUTOUT = {"plate_id": ("string", True), "solution_number": ("integer", True),
          "center_ra_deg": ("number", True), "center_dec_deg": ("number", True)}  # fmt: skip


class NotProcessable(UsageFault):
    """A well-formed request the archive cannot answer (no such solution, no overlap):
    HTTP 422, as DASCH's API sends it."""

    status = 422


def _typed(value: object, kind: str) -> bool:
    if kind == "string":
        return isinstance(value, str)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return kind == "number" or float(value).is_integer()


def checked(body: object, schema: dict[str, tuple[str, bool]]) -> dict[str, Any]:
    """The body, if DASCH's schema admits it.

    Raises
    ------
    UsageFault
        For no body, another type, a missing field, a field of another type, or a
        field the schema does not have.
    """
    if body is None:
        raise UsageFault("no request payload")
    if not isinstance(body, dict):
        raise UsageFault("invalid request payload: expected a JSON object")
    unknown = sorted(set(body) - set(schema))
    if unknown:
        expected = ", ".join(f"`{name}`" for name in schema)
        raise UsageFault(f"unknown field `{unknown[0]}`, expected one of {expected}")
    for name, (kind, required) in schema.items():
        if name not in body:
            if required:
                raise UsageFault(f"missing field `{name}`")
        elif not _typed(body[name], kind):
            raise UsageFault(f"invalid type for field `{name}`: expected {kind}")
    return body


def _position(ra: float, dec: float, names: tuple[str, str]) -> None:
    """DASCH's early, NaN-proof checks."""
    if not 0.0 <= ra <= 360.0:
        raise UsageFault(f"illegal {names[0]} parameter")
    if not -90.0 <= dec <= 90.0:
        raise UsageFault(f"illegal {names[1]} parameter")


def _midpoint(body: dict[str, Any], name: str) -> float | None:
    if name not in body:
        return None
    try:
        return mjd_of_instant(instant(body[name]))
    except ValueError:
        raise UsageFault(f"illegal {name} parameter") from None


@dataclasses.dataclass(frozen=True)
class Placed:
    """An exposure and where the position falls on its plate (cm, as DASCH measures)."""

    record: ExposureRecord
    centre_cm: float
    edge_cm: float


def placements(records: list[ExposureRecord], ra: float, dec: float) -> list[Placed]:
    """Distances of the position from each exposure's frame centre and nearest edge, in
    cm on the plate: in the tangent plane at the frame's centre (where the frame's edges,
    great circles, are straight), at the exposure's pixel scale. Exact for DASCH's
    approximate frames; for solved ones, within the distortion's few per cent."""
    if not records:
        return []
    centres = unit(np.array([r.ra for r in records]), np.array([r.dec for r in records]))
    polygons = np.stack([r.footprint_vectors() for r in records])
    point = np.broadcast_to(unit(ra, dec), centres.shape)
    at = tangent_plane(point[:, None, :], centres)[:, 0, :]
    edges = tangent_plane(polygons, centres)
    step = np.radians(np.array([r.pixel_scale_arcsec for r in records]) / 3600.0)
    centre_px = np.hypot(at[:, 0], at[:, 1]) / step
    edge_px = plane_distances(at, edges) / step
    return [
        Placed(r, float(c) / PIXELS_PER_CM, float(e) / PIXELS_PER_CM)
        for r, c, e in zip(records, centre_px, edge_px, strict=True)
    ]


def _number(value: float, digits: int) -> str:
    return "" if math.isnan(value) else f"{value:.{digits}f}"


def csv_line(placed: Placed) -> str:
    """One exposure as DASCH's queryexps writes it."""
    r = placed.record
    middle = (r.t_min + r.t_max) / 2.0
    cells = [
        r.series, str(r.plate_number), str(r.scan_num), str(r.mosnum), str(r.exposure),
        str(r.solnum), r.plate_class, f"{r.ra:.6f}", f"{r.dec:.6f}",
        _number(r.exptime_s / 60.0, 2), "" if math.isnan(middle) else mjd_to_iso(middle),
        "2000.0", r.wcs_source, "", r.mos_date, f"{placed.centre_cm:.1f}",
        f"{placed.edge_cm:.1f}",
    ]  # fmt: skip
    cells += [""] * (len(COLUMNS) - len(cells))
    return ",".join(c.replace(",", ";") for c in cells)


def queryexps(catalog: Catalog, body: object) -> list[str]:
    """DASCH's queryexps from the catalog: CSV lines, the header first. Exposures of
    plates whose identifiers are not a series and a number (possible in an archive of
    our own layout) cannot be named in DASCH's API and are left out.

    Raises
    ------
    UsageFault
    """
    body = checked(body, QUERYEXPS)
    ra, dec = float(body["ra_deg"]), float(body["dec_deg"])
    _position(ra, dec, ("ra_deg", "dec_deg"))
    low, high = _midpoint(body, "midpoint_min"), _midpoint(body, "midpoint_max")
    rows = catalog.search(ExposureQuery(regions=(Circle(ra % 360.0, dec, 1e-7),))).rows
    if low is not None or high is not None:  # DASCH filters on the logged midpoint
        lo, hi = low if low is not None else -math.inf, high if high is not None else math.inf
        rows = [r for r in rows if lo <= (r.t_min + r.t_max) / 2.0 <= hi]
    rows = [r for r in rows if r.plate_number is not None]  # DASCH's API cannot name others
    return [",".join(COLUMNS)] + [csv_line(p) for p in placements(rows, ra % 360.0, dec)]


def cutout(catalog: Catalog, cutouts: CutoutService, body: object) -> str:
    """DASCH's cutout: base64 of the gzipped FITS file.

    Raises
    ------
    UsageFault, NotFoundFault, NotProcessable
    """
    body = checked(body, CUTOUT)
    ra, dec = float(body["center_ra_deg"]), float(body["center_dec_deg"])
    _position(ra, dec, ("center_ra_deg", "center_dec_deg"))
    plate_id, number = body["plate_id"], int(body["solution_number"])
    plate = catalog.plate(plate_id)
    if plate is None:
        raise NotFoundFault(f"no such plate_id `{plate_id}`")
    if not plate.object_key:
        raise NotFoundFault(
            f"plate `{plate_id}` has no registered FITS mosaic information (never scanned?)"
        )
    if plate.solutions < 1:
        raise NotFoundFault(f"plate `{plate_id}` has no registered astrometric solutions")
    if not 0 <= number < plate.solutions:
        raise NotProcessable(
            f"requested astrometric solution #{number} (0-based) for plate `{plate_id}` but "
            f"it only has {plate.solutions} solutions"
        )
    source = cutouts.resolve(obs_id(plate_id, plate.mosnum, number))
    grid = TargetGrid(ra % 360.0, dec, CUTOUT_SIDE, CUTOUT_SIDE, CUTOUT_SCALE_DEG * 3600.0)
    result = cutouts.cut(source, CutoutRequest(grid))
    if isinstance(result, NoOverlap) or not np.isfinite(result.data).any():
        raise NotProcessable(
            f"plate `{plate_id}` solnum {number} does not overlap the target region"
        )
    data = np.nan_to_num(np.trunc(np.clip(result.data, -32768, 32767)), nan=0.0)
    header = fits.Header()
    header["BLANK"] = (0, "off the plate")
    for name, value in (("CTYPE1", "RA---TAN"), ("CTYPE2", "DEC--TAN"), ("CUNIT1", "deg"),
                        ("CUNIT2", "deg"), ("CRVAL1", ra % 360.0), ("CRVAL2", dec),
                        ("CD1_1", -CUTOUT_SCALE_DEG), ("CD2_2", CUTOUT_SCALE_DEG),
                        ("CRPIX1", (CUTOUT_SIDE + 1) / 2.0),
                        ("CRPIX2", (CUTOUT_SIDE + 1) / 2.0)):  # fmt: skip
        header[name] = value
    for card in result.header.cards:  # Platecut's provenance
        if card.keyword not in header and not card.keyword.startswith(_WCS):
            header[card.keyword] = (card.value, card.comment)
    buffer = io.BytesIO()
    fits.PrimaryHDU(data.astype(np.int16), header).writeto(buffer, output_verify="exception")
    return base64.b64encode(gzip.compress(buffer.getvalue(), 6)).decode("ascii")


_WCS = ("WCSAXES", "CTYPE", "CUNIT", "CRVAL", "CRPIX", "CDELT", "CD1_", "CD2_", "PC1_", "PC2_",
        "LONPOLE", "LATPOLE", "MJDREF", "RADESYS", "EQUINOX", "DATEREF")  # fmt: skip
