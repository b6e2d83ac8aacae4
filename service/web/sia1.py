"""SIA 1.0 query (``/sia/v1/query``): an image generation service whose images are
cutouts of every covering plate on the requested grid. Parse, one discovery call,
render."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, Response

from service.vo import sia1
from service.vo.votable import table_response
from service.web.context import base_url, request_params, services

blueprint = Blueprint("sia1", __name__, url_prefix="/sia/v1")


@blueprint.route("/query", methods=["GET", "POST"])
def query() -> Response:
    """One virtual image per covering exposure solution."""
    svc = services()
    c = svc.settings.cutout
    parsed = sia1.parse(request_params(), c.default_scale_arcsec, c.default_size)
    if parsed.metadata:
        inputs = [
            (dataclasses.replace(p.field, name=f"INPUT:{p.name}"), _default(p.default))
            for p in sia1.table(c.default_scale_arcsec, c.default_size).params
        ]
        return table_response(sia1.FIELDS, [], params=inputs, field_ids=False)
    rows, overflow = [], False
    if parsed.mime:
        found = svc.discovery.images(
            sia1.catalog_query(parsed),
            parsed.grid,
            svc.settings.vo.default_maxrec,
            keep=lambda found: sia1.keep(found, parsed),
        )
        rows, overflow = found.rows, found.overflow
    base = base_url()
    return table_response(
        sia1.FIELDS,
        (sia1.row(r, parsed.grid, base, parsed.mime or "") for r in rows),
        overflow=overflow,
        field_ids=False,
    )


def _default(value: object) -> str:
    """A default as a METADATA PARAM value (SIA 1.0 gives the defaults there)."""
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)
