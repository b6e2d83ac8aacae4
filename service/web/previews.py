"""Whole-plate previews (``/preview/<obs_id>.png``): the plate of an exposure as PNG,
from the archive's binned copy of its mosaic (DASCH DR7's bin-16 file), never the full
mosaic. DataLink links them as #preview."""

from __future__ import annotations

from flask import Blueprint, Response

from service.cutout.preview import PreviewOptions
from service.web.context import held_tags, rendered_response, services

blueprint = Blueprint("previews", __name__, url_prefix="/preview")


@blueprint.get("/<obs_id>.png")
def plate(obs_id: str) -> Response:
    """The whole-plate preview with its ETag (304 when the client holds it; 404 when
    the archive has no binned mosaic of it)."""
    rendered = services().cutouts.plate_preview(obs_id, PreviewOptions(), held_tags())
    return rendered_response(rendered)
