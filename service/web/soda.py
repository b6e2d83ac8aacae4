"""SODA sync (``/soda/sync``): one cutout of one exposure solution (FITS, PNG, JPEG)."""

from __future__ import annotations

from flask import Blueprint, Response

from service.vo import soda
from service.web.context import (
    file_response,
    held_tags,
    rendered_response,
    request_params,
    services,
)

blueprint = Blueprint("soda", __name__, url_prefix="/soda")


@blueprint.route("/sync", methods=["GET", "POST"])
def sync() -> Response:
    """The cutout (200, with its ETag), 204 with no body when the region misses the
    plate, or 304 when the client holds the current one (If-None-Match)."""
    svc = services()
    parsed = soda.parse(request_params(), svc.settings)
    rendered = svc.cutouts.cutout(parsed.obs_id, parsed.spec, held_tags())
    if rendered is None:  # no body, so no body type
        empty = Response(status=204)
        empty.headers.remove("Content-Type")
        return empty
    return rendered_response(rendered)


@blueprint.route("/stack", methods=["GET", "POST"])
def stack() -> Response:
    """A small stack at once (at most ``stacks.max_sync_frames`` exposures): every
    exposure covering the region's centre, on one grid, in the RESPONSEFORMAT asked for."""
    svc = services()
    request = soda.parse_stack(request_params(), svc.settings)
    body, mime, name = svc.job_service.sync_stack(request)
    return file_response(body, mime, f"stack-{name}")
