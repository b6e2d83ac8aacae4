"""SIA 2.0 query (``/sia/v2/query``): parse, one discovery call, render ObsCore rows
with the SODA descriptors and the query's own self-description."""

from __future__ import annotations

from flask import Blueprint, Response

from service.vo import obscore, sia2, soda
from service.vo.votable import table_response
from service.web.context import base_url, request_params, services

blueprint = Blueprint("sia2", __name__, url_prefix="/sia/v2")


@blueprint.route("/query", methods=["GET", "POST"])
def query() -> Response:
    """Exposure solutions matching the constraints, one ObsCore row each."""
    svc = services()
    settings = svc.settings
    vo = settings.vo
    parsed = sia2.parse(request_params(), vo.default_maxrec, vo.max_maxrec, settings.service)
    found = svc.discovery.search(parsed.catalog, parsed.maxrec)
    base = base_url()
    descriptors = [
        soda.descriptor(f"{base}/soda/sync", "obs_publisher_did", settings),
        soda.descriptor(f"{base}/soda/async", "obs_publisher_did", settings, several=True),
        sia2.self_description(base, vo.default_maxrec, vo.max_maxrec),
    ]
    return table_response(
        obscore.FIELDS,
        (obscore.row(r, base) for r in found.rows),
        overflow=found.overflow,
        infos=[("standardID", sia2.SIA2_QUERY), *(("HINT", h) for h in parsed.hints)],
        descriptors=descriptors,
        mimetype=parsed.response_format,
    )
