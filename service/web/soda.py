"""SODA sync (``/soda/sync``): one cutout of one exposure solution, as FITS."""

from __future__ import annotations

from flask import Blueprint, Response

from service.cutout.engine import NoOverlap
from service.faults import NotFoundFault
from service.vo import soda
from service.web.context import request_params, services

blueprint = Blueprint("soda", __name__, url_prefix="/soda")


@blueprint.route("/sync", methods=["GET", "POST"])
def sync() -> Response:
    """The cutout (200, FITS), or 204 with no body when the region misses the plate."""
    svc = services()
    parsed = soda.parse(request_params(), svc.settings)
    exposure = svc.catalog.exposure(parsed.obs_id)
    if exposure is None:
        raise NotFoundFault(f"no exposure solution {parsed.obs_id!r} in the catalog")
    cutout = soda.cutout_request(parsed, exposure, svc.settings.cutout.default_size)
    result = svc.engine.make(cutout)
    if isinstance(result, NoOverlap):
        return Response(status=204)
    body = result.to_fits()
    g = cutout.grid
    name = f"{exposure.obs_id}_{g.ra:.5f}{g.dec:+.5f}.fits"
    return Response(
        body,
        mimetype=soda.FITS,
        headers={
            "Content-Length": str(len(body)),
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )
