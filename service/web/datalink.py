"""DataLink {links} (``/datalink/links``): parse, resolve the identifiers with the links
service, render their rows (an identifier that cannot be resolved is an error row)."""

from __future__ import annotations

from flask import Blueprint, Response

from service.catalog.records import ExposureRecord
from service.vo import datalink, soda
from service.vo.votable import table_response
from service.web.context import base_url, request_params, services

blueprint = Blueprint("datalink", __name__, url_prefix="/datalink")


@blueprint.route("/links", methods=["GET", "POST"])
def links() -> Response:
    """Rows for every ID (none: an empty links document); past ``vo.max_ids`` IDs the
    document says OVERFLOW."""
    svc = services()
    settings = svc.settings
    values = datalink.table(settings.vo.max_ids).parse(request_params())
    ids, (mime,) = values["ID"], values["RESPONSEFORMAT"]
    resolved = svc.links.resolve(ids, settings.vo.max_ids)
    base = base_url()
    c = settings.cutout
    rows = []
    for identifier, found in resolved.entries:
        if not isinstance(found, ExposureRecord):
            rows.append(datalink.error_row(identifier, found))
            continue
        field = c.default_size * c.default_scale_arcsec
        preview = datalink.preview_url(base, found, c.preview_size, field)
        rows += datalink.rows(identifier, found, base, preview)
    records = [r for r in resolved.records if r.solved]  # those with cutouts
    one = records[0] if len(records) == 1 and len(ids) == 1 else None
    descriptors = [
        soda.descriptor(f"{base}/soda/sync", "ID", settings, one),
        soda.descriptor(f"{base}/soda/async", "ID", settings, one, several=True),
    ]
    return table_response(
        datalink.FIELDS,
        rows,
        infos=[("standardID", datalink.DATALINK_LINKS)],
        descriptors=descriptors if records else [],
        overflow=resolved.overflow,
        mimetype=mime,
    )
