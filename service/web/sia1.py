"""SIA 1.0 query (``/sia/v1/query``): an image generation service whose images are
cutouts of every covering plate on the requested grid."""

from __future__ import annotations

from flask import Blueprint, Response

from service.cutout.engine import CutoutRequest
from service.vo import sia1
from service.vo.votable import Field, table_response, text
from service.web.context import base_url, request_params, services

blueprint = Blueprint("sia1", __name__, url_prefix="/sia/v1")

INPUTS = (
    (text("INPUT:POS", "Centre: ra,dec (deg, ICRS)"), "0,0"),
    (text("INPUT:SIZE", "Image size: one or two values (deg)"), "0.1"),
    (text("INPUT:INTERSECT", "OVERLAPS, COVERS, ENCLOSED or CENTER"), "OVERLAPS"),
    (
        text(
            "INPUT:FORMAT", "ALL or image/fits (FITS), GRAPHIC or image/png, image/jpeg, METADATA"
        ),
        "ALL",
    ),
    (text("INPUT:NAXIS", "Image size in pixels: n or n,m"), ""),
    (text("INPUT:CDELT", "Pixel scale (deg)"), ""),
    (text("INPUT:CRVAL", "Image centre if not POS: ra,dec (deg)"), ""),
    (Field("INPUT:ROTANG", "double", "Rotation (deg)", unit="deg"), "0"),
    (text("INPUT:PROJ", "Projection: TAN, SIN, ARC, STG, ZEA"), "TAN"),
    (Field("INPUT:VERB", "int", "Verbosity 0-3"), "1"),
)


@blueprint.route("/query", methods=["GET", "POST"])
def query() -> Response:
    """One virtual image per covering exposure solution."""
    svc = services()
    parsed = sia1.parse(request_params(), svc.settings.cutout.default_scale_arcsec)
    if parsed.metadata:
        return table_response(sia1.FIELDS, [], params=INPUTS, field_ids=False)
    rows, overflow = [], False
    if parsed.mime:
        svc.cutouts.check(CutoutRequest(parsed.grid))  # size limits, before searching
        limit = svc.settings.vo.default_maxrec
        result = svc.catalog.search(sia1.catalog_query(parsed, None))
        kept = sia1.keep(result.rows, parsed)
        overflow, rows = len(kept) > limit, kept[:limit]
    base = base_url()
    return table_response(
        sia1.FIELDS,
        (sia1.row(r, parsed.grid, base, parsed.mime or "") for r in rows),
        overflow=overflow,
        field_ids=False,
    )
