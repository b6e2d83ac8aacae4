"""The one place where faults become HTTP responses.

* SODA (``soda`` blueprint): text/plain starting with the SODA error word.
* Other IVOA endpoints: a DALI VOTable error document (``QUERY_STATUS`` ERROR,
  message starting with the DALI fault word).
* DASCH's API (``dasch`` blueprint): JSON ``{"status_code": N, "error": message}``, as
  DASCH's own API answers.
* Everything else: text/plain.

Status: usage 400, not found 404, transient 503 (with Retry-After), server 500. A
user's mistake is logged at INFO; a server fault at ERROR with its traceback, and the
client sees a generic message, never a traceback.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException, SecurityError

from service.faults import FatalFault, Fault
from service.vo.votable import error_response

#: blueprints that answer errors as DALI VOTable documents
VOTABLE_BLUEPRINTS = frozenset({"sia2", "sia1", "datalink", "vosi"})
#: paths under which an unrouted request (404, 405) also gets a VOTable
VOTABLE_PATHS = ("/sia/", "/datalink/")
#: DASCH's API: errors as its JSON
JSON_PATHS = ("/dasch/",)
RETRY_AFTER_S = 5


def _respond(label: str, dali_label: str, message: str, status: int) -> Response:
    if request.path.startswith(JSON_PATHS):
        response = jsonify(status_code=status, error=message)
        response.status_code = status
    elif request.blueprint in VOTABLE_BLUEPRINTS or request.path.startswith(VOTABLE_PATHS):
        response = error_response(f"{dali_label}: {message}", status)
    else:
        response = Response(f"{label}: {message}\n", status=status, mimetype="text/plain")
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def _fault(exc: Fault) -> Response:
    where = f" [{exc.detail}]" if exc.detail else ""
    if isinstance(exc, FatalFault) or exc.status >= 500 and exc.status != 503:
        current_app.logger.error("server fault: %s%s", exc, where, exc_info=exc)
    else:
        log = current_app.logger.warning if exc.status == 503 else current_app.logger.info
        log("%s (%s %s): %s%s", exc.label, request.method, request.path, exc, where)
    return _respond(exc.label, exc.dali_label, str(exc), exc.status)


def _http_error(exc: HTTPException) -> Response:
    if isinstance(exc, SecurityError) and "is not trusted" in str(exc.description):
        current_app.logger.warning(
            "request for host %r refused (%s %s): it is not in vo.allowed_hosts "
            "(PLATECUT_VO_ALLOWED_HOSTS); list the names clients use, or set vo.base_url "
            "(PLATECUT_VO_BASE_URL)",
            request.environ.get("HTTP_HOST", ""),
            request.method,
            request.path,
        )
    label = "UsageError" if exc.code and exc.code < 500 else "Error"
    dali = "NotFoundFault" if exc.code == 404 else "UsageFault"
    response = _respond(label, dali, f"{exc.name}: {exc.description}", exc.code or 500)
    if exc.code == 405:
        response.headers["Allow"] = ", ".join(getattr(exc, "valid_methods", None) or [])
    return response


def _unexpected(exc: Exception) -> Response:
    current_app.logger.error("unexpected error", exc_info=exc)
    return _respond("Error", "FatalFault", "internal server error; the fault was logged", 500)


def init_app(app: Flask) -> None:
    """Install the error handlers on the app (not a blueprint, which misses routing 404s)."""
    app.register_error_handler(Fault, _fault)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)
