"""The services a request needs, built once per process (by :mod:`service.wiring`).

Blueprints call :func:`services` and never construct a catalog, store or engine
themselves; nothing here keeps request state, so any worker can answer any request.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

from service.cutout.service import Observer
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


def file_response(body: bytes, mime: str, filename: str) -> Response:
    """A file as a client gets it: shown where a browser can (images, JSON), downloaded
    otherwise (FITS, zip, PDF)."""
    kind = "inline" if mime.startswith("image/") or mime == "application/json" else "attachment"
    return Response(
        body,
        mimetype=mime,
        headers={
            "Content-Length": str(len(body)),
            "Content-Disposition": f'{kind}; filename="{filename}"',
        },
    )


def see_other(url: str, body: str = "") -> Response:
    """303 See Other to ``url`` (a result in the bucket, a job, a presigned object)."""
    return Response(body, status=303, mimetype="text/plain", headers={"Location": url})
