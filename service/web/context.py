"""The services a request needs, built once per process (by :mod:`service.wiring`).

Blueprints call :func:`services` and never construct a catalog, store or engine
themselves; nothing here keeps request state, so any worker can answer any request.
"""

from __future__ import annotations

from collections.abc import Container

from flask import Flask, Response, current_app, request

from service.cutout.service import NotModified, Observer, Rendered
from service.jobs.dask import DaskExecutor
from service.settings import Settings
from service.vo.values import Params
from service.wiring import Services

_EXTENSION = "platecut"


def init_app(app: Flask, settings: Settings, observer: Observer | None = None) -> None:
    """Attach the services to the app (jobs go to the Dask cluster of the settings;
    ``observer`` hears of every cutout made in the web process)."""
    app.extensions[_EXTENSION] = Services(
        settings, executor=DaskExecutor(settings), observer=observer
    )


def services() -> Services:
    """The current app's services."""
    return services_of(current_app)


def services_of(app: Flask) -> Services:
    """An app's services (outside a request)."""
    return app.extensions[_EXTENSION]


def base_url() -> str:
    """Public URL of the service root, without a trailing slash."""
    configured = services().settings.vo.base_url
    return (configured or request.url_root).rstrip("/")


def request_params() -> Params:
    """The request's parameters: query string and form body, names case-insensitive."""
    pairs = list(request.args.items(multi=True))
    if request.method == "POST":
        pairs += list(request.form.items(multi=True))
    return Params(pairs)


class _Any:
    """If-None-Match: * (any version the server has)."""

    def __contains__(self, tag: object) -> bool:
        return True


def held_tags() -> Container[str]:
    """The ETags the client holds (If-None-Match), compared weakly (RFC 9110 13.1.2:
    a cache that compressed our answer may have weakened its tag); empty: none."""
    tags = request.if_none_match
    return _Any() if tags.star_tag else frozenset(tags.as_set(include_weak=True))


def cache_control(private: bool = False) -> str:
    """Cache-Control of an answer identified by a strong ETag (``private``: a job's,
    for its owner's cache only, never a shared one)."""
    age = services().settings.cache.http_max_age_s
    if age <= 0:
        return "no-cache"
    return f"{'private' if private else 'public'}, max-age={age}"


def not_modified(tag: str, private: bool = False) -> Response:
    """304: the client's copy is current (no body, so no body type)."""
    headers = {"ETag": f'"{tag}"', "Cache-Control": cache_control(private)}
    answer = Response(status=304, headers=headers)
    answer.headers.remove("Content-Type")
    return answer


def file_response(
    body: bytes, mime: str, filename: str, tag: str = "", private: bool = False
) -> Response:
    """A file as a client gets it: shown where a browser can (images, JSON), downloaded
    otherwise (FITS, zip, PDF); with ``tag``, its strong ETag and Cache-Control."""
    kind = "inline" if mime.startswith("image/") or mime == "application/json" else "attachment"
    headers = {
        "Content-Length": str(len(body)),
        "Content-Disposition": f'{kind}; filename="{filename}"',
    }
    if tag:
        headers |= {"ETag": f'"{tag}"', "Cache-Control": cache_control(private)}
    return Response(body, mimetype=mime, headers=headers)


def rendered_response(rendered: Rendered | NotModified) -> Response:
    """A cutout or preview as the client gets it: the file, or 304."""
    if isinstance(rendered, NotModified):
        return not_modified(rendered.tag)
    return file_response(rendered.body, rendered.mime, rendered.filename, rendered.tag)


def see_other(url: str, body: str = "") -> Response:
    """303 See Other to ``url`` (a result in the bucket, a job, a presigned object)."""
    return Response(body, status=303, mimetype="text/plain", headers={"Location": url})
