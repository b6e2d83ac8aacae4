"""DASCH's DR7 API (``/dasch/dr7/queryexps``, ``/dasch/dr7/cutout``): what DASCH's
client daschlab calls (it reads its base URL from ``DASCHLAB_API_BASE_URL``). JSON in,
JSON out; errors are ``{"status_code": N, "error": "..."}`` (:mod:`service.errors`).
Parse, one call of :mod:`service.dasch_api`, answer."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from service import dasch_api
from service.faults import UsageFault
from service.web.context import services

blueprint = Blueprint("dasch", __name__, url_prefix="/dasch/dr7")


def _body() -> object:
    """The JSON body, or None when there is none (DASCH: "no request payload").

    Raises
    ------
    UsageFault
        For a body that is no JSON.
    """
    if not request.get_data():
        return None
    body = request.get_json(force=True, silent=True)
    if body is None:
        raise UsageFault("invalid request payload: not JSON")
    return body


@blueprint.post("/queryexps")
def queryexps() -> Response:
    """Every exposure whose frame holds the position: CSV lines, header first."""
    return jsonify(dasch_api.queryexps(services().catalog, _body()))


@blueprint.post("/cutout")
def cutout() -> Response:
    """A cutout on DASCH's grid: base64 of the gzipped FITS file."""
    svc = services()
    return jsonify(dasch_api.cutout(svc.catalog, svc.cutouts, _body()))
