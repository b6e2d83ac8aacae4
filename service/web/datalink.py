"""DataLink {links} (``/datalink/links``): the links of one or more exposure solutions."""

from __future__ import annotations

from flask import Blueprint, Response

from service.faults import NotFoundFault, UsageFault
from service.vo import datalink, soda
from service.vo.votable import table_response
from service.web.context import base_url, request_params, services

blueprint = Blueprint("datalink", __name__, url_prefix="/datalink")


@blueprint.route("/links", methods=["GET", "POST"])
def links() -> Response:
    """Rows for every ID (none: an empty links document); an ID that cannot be resolved
    gets an error row; past ``vo.max_ids`` IDs the document says OVERFLOW."""
    svc = services()
    limit = svc.settings.vo.max_ids
    values = datalink.table(limit).parse(request_params())
    ids, (mime,) = values["ID"], values["RESPONSEFORMAT"]
    base = base_url()
    rows, found = [], []
    for identifier in ids[:limit]:
        try:
            obs_id = soda.obs_id_of(identifier, svc.settings)
            exposure = svc.catalog.exposure(obs_id)
            if exposure is None:
                raise NotFoundFault(f"{obs_id} is not in the catalog")
        except (NotFoundFault, UsageFault) as fault:
            rows.append(datalink.error_row(identifier, fault))
            continue
        c = svc.settings.cutout
        preview = datalink.preview_url(
            base, exposure, c.preview_size, c.default_size * c.default_scale_arcsec
        )
        rows += datalink.rows(identifier, exposure, base, preview)
        found.append(exposure)
    one = found[0] if len(found) == 1 and len(ids) == 1 else None
    descriptors = [
        soda.descriptor(f"{base}/soda/sync", "ID", svc.settings, one),
        soda.descriptor(f"{base}/soda/async", "ID", svc.settings, one, several=True),
    ]
    return table_response(
        datalink.FIELDS,
        rows,
        infos=[("standardID", datalink.DATALINK_LINKS)],
        descriptors=descriptors if found else [],
        overflow=len(ids) > limit,
        mimetype=mime,
    )
