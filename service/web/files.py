"""Archive objects (``/files/<key>``): the mosaics and WCS header files that DataLink
links to, streamed from the object store in parts (never whole in memory)."""

from __future__ import annotations

from collections.abc import Iterator

from flask import Blueprint, Response

from service.faults import NotFoundFault
from service.storage.base import FetchStats
from service.web.context import cache_control, held_tags, not_modified, see_other, services

blueprint = Blueprint("files", __name__, url_prefix="/files")
PREFIXES = ("mosaics/", "headers/")
PART = 8 * 1024 * 1024


@blueprint.get("/<path:key>")
def get(key: str) -> Response:
    """The object, with its length, ETag and a download filename (304 when the client
    holds the store's version)."""
    if not key.startswith(PREFIXES) or ".." in key.split("/"):
        raise NotFoundFault(f"/files/{key}: only mosaics/ and headers/ objects are served")
    svc = services()
    store = svc.store
    info = store.stat(key)
    if info.etag in held_tags():  # the store's version is the client's
        return not_modified(info.etag)
    limit = svc.settings.results.redirect_above_bytes
    if limit and info.size > limit:  # e.g. on Lambda: from S3 itself, when it can
        url = store.presigned_url(key, svc.settings.results.url_expiry_s)
        if url:
            return see_other(url)

    def parts() -> Iterator[bytes]:
        stats = FetchStats()
        for start in range(0, info.size, PART):
            yield store.read_range(key, start, min(info.size, start + PART), info.etag, stats)

    mime = "application/gzip" if key.endswith(".gz") else "application/fits"
    name = key.rsplit("/", 1)[-1]
    return Response(
        parts(),
        mimetype=mime,
        headers={
            "Content-Length": str(info.size),
            "ETag": f'"{info.etag}"',
            "Cache-Control": cache_control(),
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )
