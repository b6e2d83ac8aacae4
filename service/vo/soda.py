"""SODA 1.0 sync: parameters to one cutout specification, and the service descriptor
that tells clients (pyvo ``processed()``, TOPCAT "Invoke Service") how to call it.

A region (POS, CIRCLE or POLYGON) sets the grid's centre and, unless WIDTH/HEIGHT
are given, its size (the cutout is then trimmed to the part on the plate, SODA 1.0
section 3.3); without a region the cutout is ``cutout.default_size`` pixels around
the exposure centre. The custom parameters set the common grid.
"""

from __future__ import annotations

import dataclasses
import math
from urllib.parse import urlencode

import numpy as np

from service.catalog.geometry import Circle, Polygon, Range, Region, angle, radec, unit
from service.catalog.records import ExposureRecord
from service.cutout.engine import INTERPOLATIONS
from service.cutout.grid import PROJECTIONS
from service.cutout.preview import LIMITS, STRETCHES, PreviewOptions
from service.cutouts import FITS, CutoutSpec
from service.faults import MultiValuedParamNotSupported, NotFoundFault, UsageFault
from service.settings import Settings
from service.vo.params import Params, boolean, choice, circle, number, polygon, pos
from service.vo.votable import Descriptor, Field, text

SODA_SYNC = "ivo://ivoa.net/std/SODA#sync-1.0"
RESPONSE_FORMATS = (FITS, "image/fits", "image/png", "image/jpeg")


@dataclasses.dataclass(frozen=True)
class SodaRequest:
    """A parsed SODA sync request: the exposure's identifier and the cutout asked for."""

    obs_id: str
    spec: CutoutSpec


def _preview(params: Params) -> PreviewOptions:
    """Rendering options of PNG/JPEG answers."""
    low = number("LOW", params.one("LOW") or "0.5", 0, 100)
    high = number("HIGH", params.one("HIGH") or "99.5", 0, 100)
    if not low < high:
        raise UsageFault(f"Fields LOW, HIGH: LOW ({low:g}) must be below HIGH ({high:g})")
    return PreviewOptions(
        limits=choice("LIMITS", params.one("LIMITS") or "zscale", LIMITS) or "zscale",
        low=low,
        high=high,
        stretch=choice("STRETCH", params.one("STRETCH") or "linear", STRETCHES) or "linear",
        invert=boolean("INVERT", params.one("INVERT")),
        annotate=boolean("ANNOTATE", params.one("ANNOTATE"), default=True),
    )


def sync_url(base: str, params: dict[str, object]) -> str:
    """The SODA sync call with these parameters."""
    return f"{base}/soda/sync?{urlencode(params)}"


def obs_id_of(identifier: str, settings: Settings) -> str:
    """The obs_id of a publisher DID of this service (or of a bare obs_id).

    Raises
    ------
    NotFoundFault
        For an identifier of another service.
    """
    identifier = identifier.strip()
    if "?" not in identifier and "/" not in identifier:
        return identifier
    prefix = settings.service.publisher_did("")
    if not identifier.startswith(prefix) or len(identifier) == len(prefix):
        raise NotFoundFault(f"{identifier} is not an identifier of this service ({prefix}...)")
    return identifier[len(prefix) :]


def parse(params: Params, settings: Settings) -> SodaRequest:
    """Parse a SODA sync request.

    Raises
    ------
    UsageFault, MultiValuedParamNotSupported, NotFoundFault
    """
    async_hint = "several cutouts need the async endpoint (not available yet)"
    ids = params.all("ID")
    if not ids:
        raise UsageFault("Field ID: missing (the publisher DID of an exposure solution)")
    if len(ids) > 1:
        raise MultiValuedParamNotSupported(f"Field ID: given {len(ids)} times; {async_hint}")
    regions: list[Region] = [pos("POS", v) for v in params.all("POS")]
    regions += [circle("CIRCLE", v) for v in params.all("CIRCLE")]
    regions += [polygon("POLYGON", v) for v in params.all("POLYGON")]
    if len(regions) > 1:
        raise MultiValuedParamNotSupported(
            f"POS, CIRCLE, POLYGON: {len(regions)} regions given; {async_hint}"
        )
    c = settings.cutout
    side = int(math.isqrt(c.max_output_pixels))
    width, height = params.one("WIDTH"), params.one("HEIGHT")
    fmt = choice("RESPONSEFORMAT", params.one("RESPONSEFORMAT"), RESPONSE_FORMATS) or FITS
    spec = CutoutSpec(
        circle=_bounding_circle(regions[0]) if regions else None,
        scale_arcsec=number(
            "SCALE", params.one("SCALE") or str(c.default_scale_arcsec), 1e-3, 3600
        ),
        width=int(number("WIDTH", width, 1, side, int)) if width else None,
        height=int(number("HEIGHT", height, 1, side, int)) if height else None,
        rotation_deg=number("ROTATION", params.one("ROTATION") or "0", -360, 360),
        projection=choice("PROJECTION", params.one("PROJECTION") or "TAN", PROJECTIONS) or "TAN",
        interpolation=choice(
            "INTERPOLATION", params.one("INTERPOLATION") or "bilinear", INTERPOLATIONS
        )
        or "bilinear",
        native=boolean("NATIVE", params.one("NATIVE")),
        response_format=FITS if fmt == "image/fits" else fmt,
        preview=_preview(params),
    )
    return SodaRequest(obs_id_of(ids[0], settings), spec)


def _bounding_circle(region: Region) -> tuple[float, float, float]:
    """Centre and radius (deg) of a circle containing the region."""
    if isinstance(region, Circle):
        return region.ra, region.dec, region.radius
    if isinstance(region, Range):
        if region.full_ra:
            raise UsageFault("Field POS: a RANGE over every RA cannot be cut out")
        ra_max = region.ra_max if region.ra_max >= region.ra_min else region.ra_max + 360.0
        ras = np.linspace(region.ra_min, ra_max, 9)
        corners = [(r, d) for r in ras for d in (region.dec_min, region.dec_max)]
        region = Polygon(tuple(corners))
    ra, dec = np.array(region.vertices).T
    vectors = unit(ra, dec)
    centre = vectors.sum(axis=0)
    centre /= np.linalg.norm(centre)
    cra, cdec = radec(centre)
    radius = float(np.degrees(angle(vectors, centre).max()))
    return float(cra), float(cdec), radius


def descriptor(
    access_url: str, ref: str, settings: Settings, exposure: ExposureRecord | None = None
) -> Descriptor:
    """The SODA sync service descriptor; with ``exposure``, the spatial parameters carry
    the extent of that exposure in VALUES."""
    c = settings.cutout
    side = str(int(math.isqrt(c.max_output_pixels)))
    circle_max = polygon_max = None
    if exposure is not None:
        circle_max = ("", f"{exposure.ra!r} {exposure.dec!r} {exposure.fov_deg / 2!r}")
        polygon_max = ("", " ".join(f"{ra!r} {dec!r}" for ra, dec in exposure.footprint))
    params = [
        (
            text("ID", "Publisher DID of the exposure solution", "meta.id;meta.dataset"),
            "",
            ref,
            None,
            (),
        ),
        (
            text("POS", "Region to cut out: CIRCLE, RANGE or POLYGON (degrees)", "pos.outline;obs"),
            "",
            "",
            None,
            (),
        ),
        (
            Field(
                "CIRCLE",
                "double",
                "Region to cut out: RA Dec radius",
                "obs.field",
                unit="deg",
                arraysize="3",
                xtype="circle",
            ),
            "",
            "",
            circle_max,
            (),
        ),
        (
            Field(
                "POLYGON",
                "double",
                "Region to cut out: RA Dec pairs",
                "obs.field",
                unit="deg",
                arraysize="*",
                xtype="polygon",
            ),
            "",
            "",
            polygon_max,
            (),
        ),
        (
            Field("SCALE", "double", "Pixel scale of the common grid", unit="arcsec"),
            str(c.default_scale_arcsec),
            "",
            ("0.001", "3600"),
            (),
        ),
        (
            Field("WIDTH", "int", "Grid width (default: the region's extent)"),
            "",
            "",
            ("1", side),
            (),
        ),
        (Field("HEIGHT", "int", "Grid height (default: the width)"), "", "", ("1", side), ()),
        (
            Field(
                "ROTATION",
                "double",
                "Position angle of the grid's +y axis, east of north",
                unit="deg",
            ),
            "0",
            "",
            ("-360", "360"),
            (),
        ),
        (text("PROJECTION", "Projection of the grid"), "TAN", "", None, PROJECTIONS),
        (text("INTERPOLATION", "Resampling"), "bilinear", "", None, tuple(INTERPOLATIONS)),
        (
            text("NATIVE", "Original pixels in the bounding box, no resampling"),
            "false",
            "",
            None,
            ("true", "false"),
        ),
        (text("RESPONSEFORMAT", "Format of the cutout"), FITS, "", None, RESPONSE_FORMATS),
        (text("LIMITS", "PNG/JPEG display limits"), "zscale", "", None, LIMITS),
        (
            Field("LOW", "double", "Lower percentile (LIMITS=percentile)"),
            "0.5",
            "",
            ("0", "100"),
            (),
        ),
        (
            Field("HIGH", "double", "Upper percentile (LIMITS=percentile)"),
            "99.5",
            "",
            ("0", "100"),
            (),
        ),
        (text("STRETCH", "PNG/JPEG stretch"), "linear", "", None, STRETCHES),
        (
            text("INVERT", "PNG/JPEG: dark stars on a light sky"),
            "false",
            "",
            None,
            ("true", "false"),
        ),
        (
            text("ANNOTATE", "PNG/JPEG: scale bar and north/east arrows"),
            "true",
            "",
            None,
            ("true", "false"),
        ),
    ]
    return Descriptor(
        "soda-sync", SODA_SYNC, access_url, "Cutouts on a common sky grid (SODA sync)", params
    )
