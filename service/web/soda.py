"""SODA sync (``/soda/sync``): one cutout of one exposure solution, as FITS."""

from __future__ import annotations

from astropy.wcs import WCS
from flask import Blueprint, Response

from service.cutout.engine import NoOverlap
from service.cutout.preview import render
from service.faults import NotFoundFault
from service.vo import soda
from service.web.context import request_params, services

blueprint = Blueprint("soda", __name__, url_prefix="/soda")


@blueprint.route("/sync", methods=["GET", "POST"])
def sync() -> Response:
    """The cutout (200; FITS, PNG or JPEG), or 204 with no body when the region misses
    the plate."""
    svc = services()
    parsed = soda.parse(request_params(), svc.settings)
    exposure = svc.catalog.exposure(parsed.obs_id)
    if exposure is None:
        raise NotFoundFault(f"no exposure solution {parsed.obs_id!r} in the catalog")
    cutout = soda.cutout_request(parsed, exposure, svc.settings.cutout.default_size)
    result = svc.engine.make(cutout)
    if isinstance(result, NoOverlap):
        return Response(status=204)
    g = cutout.grid
    name = f"{exposure.obs_id}_{g.ra:.5f}{g.dec:+.5f}"
    if parsed.response_format == soda.FITS:
        body, name = result.to_fits(), f"{name}.fits"
    else:
        wcs = WCS(result.header)
        body = render(result.data, wcs, parsed.preview, parsed.response_format)
        name = f"{name}.{parsed.response_format.split('/')[1]}"
    disposition = "attachment" if parsed.response_format == soda.FITS else "inline"
    return Response(
        body,
        mimetype=parsed.response_format,
        headers={
            "Content-Length": str(len(body)),
            "Content-Disposition": f'{disposition}; filename="{name}"',
        },
    )
