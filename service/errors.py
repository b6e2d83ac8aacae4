"""The one place where faults become HTTP responses.

A user's mistake is logged at INFO; an unexpected error at ERROR with its
traceback, and the client only sees a generic message, never a traceback.
"""

from __future__ import annotations

from flask import Flask, Response
from werkzeug.exceptions import HTTPException


def _http_error(exc: HTTPException) -> Response:
    return Response(f"{exc.name}: {exc.description}\n", status=exc.code, mimetype="text/plain")


def _unexpected(exc: Exception) -> Response:
    from flask import current_app

    current_app.logger.error("unexpected error", exc_info=exc)
    return Response(
        "Internal server error: the fault was logged.\n", status=500, mimetype="text/plain"
    )


def init_app(app: Flask) -> None:
    """Install the error handlers on the app (not a blueprint, which misses routing 404s)."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
