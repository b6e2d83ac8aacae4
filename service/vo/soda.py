"""SODA 1.0: the parameter table, parameters to cutout specifications, and the service
descriptor that tells clients (pyvo ``processed()``, TOPCAT "Invoke Service") how to
call it.

A region (POS, CIRCLE or POLYGON) sets the grid's centre and, unless WIDTH/HEIGHT
are given, its size (the cutout is then trimmed to the part on the plate, SODA 1.0
section 3.3); without a region the cutout is ``cutout.default_size`` pixels around
the exposure centre. The custom parameters set the common grid. Sync takes one ID
and one region; async (and stacks) take several.
"""

from __future__ import annotations

import dataclasses
import math
from urllib.parse import urlencode

import numpy as np

from service.catalog.records import ExposureRecord
from service.cutout.engine import INTERPOLATIONS
from service.cutout.grid import PROJECTIONS
from service.cutout.preview import DASCH, LIMITS, STRETCHES, STYLES, PreviewOptions
from service.cutout.service import FITS, CutoutSpec
from service.faults import MultiValuedParamNotSupported, UsageFault
from service.identifiers import obs_id_of
from service.jobs.formats import STACK_ALIASES, STACK_MEDIA, stack_format
from service.jobs.requests import CutoutsRequest, JobRequest, StackRequest, Submission
from service.settings import Settings
from service.sky import Circle, Polygon, Range, Region, angle, radec, unit
from service.vo import sia2
from service.vo.parameters import Descriptor, Param, ParamTable
from service.vo.values import Params

SODA_SYNC = "ivo://ivoa.net/std/SODA#sync-1.0"
SODA_ASYNC = "ivo://ivoa.net/std/SODA#async-1.0"
MEDIA = (FITS, "image/fits", "image/png", "image/jpeg")
MEDIA_ALIASES = {"fits": FITS, "png": "image/png", "jpeg": "image/jpeg"}
REGIONS = ("POS", "CIRCLE", "POLYGON")
#: SIA 2.0 constraints a stack takes (its position is SODA's region; ID makes cutouts)
STACK_FILTERS = ("TIME", "COLLECTION", "FACILITY", "EXPTIME", "SPATRES", "FOV", "BAND",
                 "CALIB", "DPTYPE", "INSTRUMENT", "TIMERES", "POL", "TARGET", "SPECRP",
                 "FORMAT")  # fmt: skip


def _response_format(several: bool) -> Param:
    if not several:
        return Param("RESPONSEFORMAT", "keyword", "Format of the cutout", default=FITS,
                     options=MEDIA, aliases=MEDIA_ALIASES)  # fmt: skip
    return Param(
        "RESPONSEFORMAT", "keyword", "Format of each cutout (with ID: "
        f"{', '.join(MEDIA)}) or of the stack (without ID)", default=FITS,
        options=tuple(dict.fromkeys(MEDIA + STACK_MEDIA)), aliases=STACK_ALIASES,
    )  # fmt: skip


def _stack_filters() -> tuple[Param, ...]:
    """SIA 2.0's constraints, as a stack (async, no ID) takes them."""
    return tuple(
        dataclasses.replace(p, description=f"Stack (no ID): {p.description}", std=False)
        for p in sia2.table(1, 1).params
        if p.name in STACK_FILTERS
    )


def table(settings: Settings, several: bool = False) -> ParamTable:
    """SODA's parameters (several IDs and regions when ``several``: async, stacks)."""
    c = settings.cutout
    side = math.isqrt(c.max_output_pixels)
    return ParamTable(
        "soda-async" if several else "soda-sync",
        (
            Param("ID", "text", "Publisher DID of an exposure solution (or its obs_id)",
                  "meta.ref.url;meta.curation", required=not several, multiple=several),
            Param("POS", "shape", "Region to cut out: CIRCLE, RANGE or POLYGON (degrees)",
                  "pos.outline;obs", multiple=several),
            Param("CIRCLE", "circle", "Region to cut out: RA Dec radius", "pos.outline;obs",
                  "deg", multiple=several),
            Param("POLYGON", "polygon", "Region to cut out: RA Dec pairs (convex)",
                  "pos.outline;obs", "deg", multiple=several),
            Param("SCALE", "real", "Pixel scale of the common grid", "", "arcsec",
                  default=c.default_scale_arcsec, low=0.001, high=3600.0, std=False),
            Param("WIDTH", "integer", "Grid width in pixels (default: the region's extent, "
                  "trimmed to the plate)", "", "pix", low=1, high=side, std=False),
            Param("HEIGHT", "integer", "Grid height in pixels (default: the width)", "", "pix",
                  low=1, high=side, std=False),
            Param("ROTATION", "real", "Position angle of the grid's +y axis, east of north",
                  "pos.posAng", "deg", default=0.0, low=-360.0, high=360.0, std=False),
            Param("PROJECTION", "keyword", "Projection of the grid", default="TAN",
                  options=PROJECTIONS, std=False),
            Param("INTERPOLATION", "keyword", "Resampling", default="bilinear",
                  options=tuple(INTERPOLATIONS), std=False),
            Param("NATIVE", "boolean", "Original pixels in the bounding box, no resampling",
                  default=False, std=False),
            _response_format(several),
            Param("LIMITS", "keyword", "PNG/JPEG display limits", default="zscale",
                  options=LIMITS, std=False),
            Param("LOW", "real", "Lower percentile (LIMITS=percentile)", default=0.5, low=0.0,
                  high=100.0, std=False),
            Param("HIGH", "real", "Upper percentile (LIMITS=percentile)", default=99.5, low=0.0,
                  high=100.0, std=False),
            Param("STRETCH", "keyword", "PNG/JPEG stretch", default="linear", options=STRETCHES,
                  std=False),
            Param("INVERT", "boolean", "PNG/JPEG: dark stars on a light sky", default=False,
                  std=False),
            Param("ANNOTATE", "boolean", "PNG/JPEG: scale bar and north/east arrows",
                  default=True, std=False),
            Param("GAMMA", "real", "PNG/JPEG: gamma applied last", default=1.0, low=0.1,
                  high=10.0, std=False),
            Param("STYLE", "keyword", "PNG/JPEG preset: dasch is DASCH's grayscale (clip 2 % "
                  "/ 1 %, inverted, gamma 2.2; overrides LIMITS, LOW, HIGH, INVERT, GAMMA)",
                  default="platecut", options=STYLES, std=False),
            *(_stack_filters() if several else ()),
        ),
    )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class SodaRequest:
    """A parsed SODA request: the exposures' identifiers and the cutouts asked for (one
    specification per region; one without a region)."""

    obs_ids: tuple[str, ...]
    specs: tuple[CutoutSpec, ...]

    @property
    def obs_id(self) -> str:
        """The identifier of a sync request."""
        return self.obs_ids[0]

    @property
    def spec(self) -> CutoutSpec:
        """The specification of a sync request."""
        return self.specs[0]


def sync_url(base: str, params: dict[str, object]) -> str:
    """The SODA sync call with these parameters."""
    return f"{base}/soda/sync?{urlencode(params)}"


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


def parse(params: Params, settings: Settings, several: bool = False) -> SodaRequest:
    """Parse a SODA request (one ID and one region for sync; any number when ``several``).

    Raises
    ------
    UsageFault, MultiValuedParamNotSupported, NotFoundFault
    """
    v = table(settings, several).parse(params)
    regions: list[Region] = [r for name in REGIONS for r in v[name]]
    if len(regions) > 1 and not several:
        raise MultiValuedParamNotSupported(
            f"POS, CIRCLE, POLYGON: {len(regions)} regions given; several cutouts need the "
            "async endpoint (/soda/async)"
        )
    (low,), (high,) = v["LOW"], v["HIGH"]
    if not low < high:
        raise UsageFault(f"Fields LOW, HIGH: LOW ({low:g}) must be below HIGH ({high:g})")
    preview = PreviewOptions(
        limits=v["LIMITS"][0],
        low=low,
        high=high,
        stretch=v["STRETCH"][0],
        invert=v["INVERT"][0],
        annotate=v["ANNOTATE"][0],
        gamma=v["GAMMA"][0],
    )
    if v["STYLE"][0] == "dasch":
        preview = dataclasses.replace(DASCH, stretch=preview.stretch, annotate=preview.annotate)
    width, height = (v[n][0] if v[n] else None for n in ("WIDTH", "HEIGHT"))
    specs = tuple(
        CutoutSpec(
            circle=None if region is None else _bounding_circle(region),
            scale_arcsec=v["SCALE"][0],
            width=width,
            height=height,
            rotation_deg=v["ROTATION"][0],
            projection=v["PROJECTION"][0],
            interpolation=v["INTERPOLATION"][0],
            native=v["NATIVE"][0],
            response_format=v["RESPONSEFORMAT"][0],
            preview=preview,
        )
        for region in (regions or [None])
    )
    ids = tuple(obs_id_of(i, settings.service) for i in v["ID"])
    return SodaRequest(ids, specs)


def _submission(params: Params) -> Submission:
    """PHASE=RUN (the only phase a new job takes), RUNID and the parameters as given."""
    run = [v.strip().upper() for v in params.all("PHASE")]
    if any(v != "RUN" for v in run):
        raise UsageFault(f"Field PHASE: Invalid value {run[-1][:30]!r} (a new job takes RUN)")
    return Submission(
        parameters=tuple((n, v) for n, v in params.pairs() if n not in ("PHASE", "RUNID")),
        run_id=(params.all("RUNID") or [""])[0][:64],
        run=bool(run),
    )


def parse_job(params: Params, settings: Settings) -> JobRequest:
    """A new SODA async job: cutouts with IDs (one per ID x region), a stack without.

    Raises
    ------
    UsageFault, MultiValuedParamNotSupported, NotFoundFault
    """
    submission = _submission(params)
    if not params.all("ID"):
        return parse_stack(params, settings, submission)
    parsed = parse(params, settings, several=True)
    if parsed.spec.response_format not in MEDIA:
        raise UsageFault(
            f"Field RESPONSEFORMAT: {parsed.spec.response_format} is a stack format (cutouts "
            f"with ID are one of {', '.join(MEDIA)})"
        )
    return CutoutsRequest(parsed.obs_ids, parsed.specs, parsed.spec.response_format, submission)


def parse_stack(
    params: Params, settings: Settings, submission: Submission | None = None
) -> StackRequest:
    """A stack: one region (its centre is the stack's position, its extent the grid's
    unless WIDTH/HEIGHT say otherwise), SIA 2.0's filters, a stack format. A stack has
    the exposures described by an astrometric solution (calib_level 2) only: the others
    have no cutout.

    Raises
    ------
    UsageFault
        Without exactly one region, with a bad filter or format.
    """
    parsed = parse(params, settings, several=True)
    fmt = stack_format(parsed.spec.response_format)
    if fmt is None:
        raise UsageFault(
            f"Field RESPONSEFORMAT: {parsed.spec.response_format} is no stack format (a "
            f"stack is one of {', '.join(STACK_MEDIA)})"
        )
    if len(parsed.specs) != 1 or parsed.spec.circle is None:
        raise UsageFault("Fields POS, CIRCLE, POLYGON: a stack needs exactly one region")
    ra, dec, _ = parsed.spec.circle
    spec = dataclasses.replace(parsed.spec.pinned(), response_format=FITS)
    filters = Params([(n, v) for n, v in params.pairs() if n.upper() in STACK_FILTERS])
    limit = settings.stacks.max_frames + 1
    query = sia2.parse(filters, limit, limit, settings.service).catalog
    point = Circle(ra % 360.0, dec, 1e-7)  # exposures covering the position itself
    solved = not query.calib_levels or 2 in query.calib_levels  # only solutions have frames
    query = dataclasses.replace(
        query, regions=(point,), calib_levels=(2,), impossible=query.impossible or not solved
    )
    return StackRequest((ra % 360.0, dec), spec, query, fmt, submission or Submission())


def descriptor(
    access_url: str,
    ref: str,
    settings: Settings,
    exposure: ExposureRecord | None = None,
    several: bool = False,
) -> Descriptor:
    """The SODA service descriptor; with ``exposure``, the spatial parameters carry the
    extent of that exposure in VALUES."""
    limits = {}
    if exposure is not None:
        limits["CIRCLE"] = ("", f"{exposure.ra!r} {exposure.dec!r} {exposure.fov_deg / 2!r}")
        limits["POLYGON"] = ("", " ".join(f"{ra!r} {dec!r}" for ra, dec in exposure.footprint))
    return Descriptor(
        "soda-async" if several else "soda-sync",
        SODA_ASYNC if several else SODA_SYNC,
        access_url,
        "Cutouts on a common sky grid (SODA " + ("async)" if several else "sync)"),
        table(settings, several),
        refs={"ID": ref},
        limits=limits,
    )
