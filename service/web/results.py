"""Large responses to S3: a response above ``results.redirect_above_bytes`` is written
to ``results.s3_url`` (keyed by its SHA-256, so a repeated request rewrites the same
object) and answered with 303 See Other to a presigned URL. AWS Lambda needs this
(6 MB cap on a response); a container may use it to keep big transfers off its
workers."""

from __future__ import annotations

import hashlib
import re

from flask import Flask, Response

from service.web.context import see_other, services

_FILENAME = re.compile(r'filename="([^"]+)"')


def _offload(response: Response) -> Response:
    svc = services()
    limit = svc.settings.results.redirect_above_bytes
    if (
        not limit
        or response.status_code != 200
        or response.is_streamed
        or response.direct_passthrough
        or (response.content_length or 0) <= limit
    ):
        return response
    store = svc.results
    if store is None:
        return response
    body = response.get_data()
    found = _FILENAME.search(response.headers.get("Content-Disposition", ""))
    filename = found.group(1) if found else "result"
    digest = hashlib.sha256(body).hexdigest()
    key = f"{digest[:2]}/{digest}/{filename}"
    store.put(key, body, response.mimetype or "application/octet-stream", filename)
    url = store.presigned_url(key, svc.settings.results.url_expiry_s)
    return see_other(url, f"See {url}\n")


def init_app(app: Flask) -> None:
    """Install the hook (after the others, so that it runs first)."""
    app.after_request(_offload)
