"""SIA 2.0 query (``/sia/v2/query``): parse, search the catalog, render ObsCore rows
with the SODA descriptor and the query's own self-description."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, Response

from service.vo import obscore, sia2, soda
from service.vo.votable import table_response
from service.web.context import base_url, request_params, services

blueprint = Blueprint("sia2", __name__, url_prefix="/sia/v2")


@blueprint.route("/query", methods=["GET", "POST"])
def query() -> Response:
    """Exposure solutions matching the constraints, one ObsCore row each."""
    params = request_params()
    svc = services()
    vo = svc.settings.vo
    parsed = sia2.parse(params, vo.default_maxrec, vo.max_maxrec)
    base = base_url()
    rows, overflow = [], parsed.maxrec == 0  # DALI: MAXREC=0 always says OVERFLOW
    if parsed.maxrec > 0 and parsed.constant_match:
        limit = None if parsed.timeres else parsed.maxrec
        result = svc.catalog.search(dataclasses.replace(parsed.catalog, maxrec=limit))
        rows = [r for r in result.rows if sia2.passes_timeres(r.exptime_s, parsed.timeres)]
        overflow = result.overflow or len(rows) > parsed.maxrec
        rows = rows[: parsed.maxrec]
    descriptors = [
        soda.descriptor(f"{base}/soda/sync", "obs_publisher_did", svc.settings),
        soda.descriptor(f"{base}/soda/async", "obs_publisher_did", svc.settings, several=True),
        sia2.self_description(base, vo.default_maxrec, vo.max_maxrec),
    ]
    return table_response(
        obscore.FIELDS,
        (obscore.row(r, base) for r in rows),
        overflow=overflow,
        infos=[("standardID", sia2.SIA2_QUERY)],
        descriptors=descriptors,
        mimetype=parsed.response_format,
    )
