"""VOSI capabilities and availability, at the root and beside each service."""

from __future__ import annotations

import datetime

from flask import Blueprint, Response, render_template

from service.faults import NotFoundFault
from service.vo.capabilities import VOSI_PREFIXES, capabilities
from service.web.context import base_url, services

blueprint = Blueprint("vosi", __name__)
XML = "application/xml"
_STARTED = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
PROBE_KEY = "plates/.availability-probe"


def _capabilities(prefix: str) -> Response:
    caps = capabilities(prefix, services().settings)
    body = render_template("capabilities.xml", capabilities=caps, base=base_url())
    return Response(body, mimetype=XML)


def _check(name: str, probe) -> str | None:  # noqa: ANN001
    """None if ``probe()`` reached the dependency, else what went wrong."""
    try:
        probe()
    except NotFoundFault:
        return None  # reachable; the probe key need not exist
    except Exception as exc:  # noqa: BLE001 - any failure means unavailable
        return f"{name}: {type(exc).__name__}: {str(exc)[:200]}"
    return None


def _availability() -> Response:
    svc = services()
    problems = [
        p
        for p in (
            _check("catalog", lambda: svc.catalog.exposure("availability-probe")),
            _check("object store", lambda: svc.store.stat(PROBE_KEY)),
        )
        if p
    ]
    notes = problems or ["catalog and object store answer"]
    body = render_template(
        "availability.xml", available=not problems, up_since=_STARTED, notes=notes
    )
    return Response(body, mimetype=XML)


for _prefix in VOSI_PREFIXES:
    _name = _prefix.strip("/").replace("/", "_") or "root"
    blueprint.add_url_rule(
        f"{_prefix}/capabilities",
        f"capabilities_{_name}",
        lambda p=_prefix: _capabilities(p),
    )
    blueprint.add_url_rule(f"{_prefix}/availability", f"availability_{_name}", _availability)
