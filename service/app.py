"""The Flask application factory.

Settings are read here (once) unless the caller passes its own; services are built
from them and attached to the app; blueprints stay thin and reach them through
:func:`service.web.context.services`.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask, Response, current_app, request
from werkzeug.exceptions import RequestURITooLarge

from service import errors, logs, readiness
from service.settings import PROJECT_ROOT, Settings, load_settings
from service.web import (
    context,
    dasch,
    datalink,
    files,
    landing,
    metrics,
    previews,
    registry,
    results,
    sia1,
    sia2,
    soda,
    soda_async,
    vosi,
    xmlsafe,
)

TEMPLATES = PROJECT_ROOT / "votable_templates"


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Platecut WSGI application.

    Parameters
    ----------
    settings
        Typed settings; default: :func:`service.settings.load_settings`.

    Returns
    -------
    Flask
        The application, with every blueprint and error handler registered.
    """
    settings = settings or load_settings()
    logs.route_library_messages()
    app = Flask("service", template_folder=str(Path(TEMPLATES)), static_folder=None)
    app.config["PLATECUT_SETTINGS"] = settings
    app.jinja_env.finalize = xmlsafe.finalize  # every rendered value fit for XML 1.0
    context.init_app(app, settings, observer=metrics.observe_cutout)
    for module in (landing, sia2, sia1, soda, soda_async, datalink, files, previews, vosi,
                   registry, dasch):  # fmt: skip
        app.register_blueprint(module.blueprint)
    app.register_blueprint(metrics.blueprint)
    errors.init_app(app)
    metrics.init_app(app)  # its answer hook runs last, on every answer as sent
    app.config["MAX_CONTENT_LENGTH"] = settings.vo.max_request_bytes  # bodies: 413
    app.config["TRUSTED_HOSTS"] = settings.vo.trusted_hosts()  # links from Host: 400 others
    app.before_request(_limit_query)
    app.after_request(_cors)
    results.init_app(app)  # registered last: runs before CORS, which then marks the 303
    for problem in readiness.problems(context.services_of(app), reach=False):
        app.logger.warning("not ready: %s", problem)
    return app


def _limit_query() -> None:
    """A query string longer than ``vo.max_request_bytes`` is refused (414) with the
    protocol's error document, before anything parses it."""
    limit = current_app.config["PLATECUT_SETTINGS"].vo.max_request_bytes
    if len(request.query_string) > limit:
        raise RequestURITooLarge(f"the query string is longer than {limit} bytes")


def _cors(response: Response) -> Response:
    """Let browser clients (Aladin Lite) call every endpoint from any origin."""
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = "Content-Disposition, Content-Length"
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = request.headers.get(
            "Access-Control-Request-Headers", "Content-Type"
        )
        response.headers["Access-Control-Max-Age"] = "86400"
    return response
