"""VOSI capabilities and availability, at the root and beside each service."""

from __future__ import annotations

import datetime

from flask import Blueprint, Response, render_template

from service.readiness import problems
from service.vo.capabilities import VOSI_PREFIXES, capabilities
from service.web.context import base_url, services

blueprint = Blueprint("vosi", __name__)
XML = "application/xml"
_STARTED = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _capabilities(prefix: str) -> Response:
    caps = capabilities(prefix, services().settings)
    body = render_template("capabilities.xml", capabilities=caps, base=base_url())
    return Response(body, mimetype=XML)


def _availability() -> Response:
    found = problems(services())
    notes = found or ["catalog and object store answer"]
    body = render_template("availability.xml", available=not found, up_since=_STARTED, notes=notes)
    return Response(body, mimetype=XML)


for _prefix in VOSI_PREFIXES:
    _name = _prefix.strip("/").replace("/", "_") or "root"
    blueprint.add_url_rule(
        f"{_prefix}/capabilities",
        f"capabilities_{_name}",
        lambda p=_prefix: _capabilities(p),
    )
    blueprint.add_url_rule(f"{_prefix}/availability", f"availability_{_name}", _availability)
