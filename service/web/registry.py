"""The VOResource record (``/registry/record``) and the OAI-PMH endpoint
(``/registry/oai``) through which the VO registry harvests it."""

from __future__ import annotations

import datetime

from flask import Blueprint, Response, render_template

from service.vo import registry
from service.vo.capabilities import capabilities
from service.web.context import base_url, request_params, services

blueprint = Blueprint("registry", __name__, url_prefix="/registry")
XML = "application/xml"


def _context() -> dict:
    s = services().settings
    records = registry.records(s.service, s.vo.registry_updated)
    return {
        "s": s.service,
        "base": base_url(),
        "capabilities": capabilities("", services().settings),
        "records": records,
    }


@blueprint.get("/record")
def record() -> Response:
    """The service's own VOResource record."""
    context = _context()
    body = render_template("vor_record.xml", r=context["records"][0], **context)
    return Response(body, mimetype=XML)


@blueprint.route("/oai", methods=["GET", "POST"])
def oai() -> Response:
    """One OAI-PMH request; errors are OAI-PMH error elements with status 200."""
    params = request_params()
    context = _context()
    answer = registry.answer(params, context["records"])
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    args = (
        []
        if answer.error and answer.error[0] in ("badVerb", "badArgument")
        else [
            (name, value)
            for name in ("verb", "identifier", "metadataPrefix", "from", "until", "set")
            if (value := params.one(name))
        ]
    )
    body = render_template(
        "oai.xml",
        now=now,
        request_args=args,
        verb=answer.verb,
        error=answer.error,
        records=answer.records,
        prefix=answer.prefix,
        earliest=context["records"][0].created,
        registry=context["records"][1],
        s=context["s"],
        base=context["base"],
        capabilities=context["capabilities"],
    )
    return Response(body, mimetype="text/xml")
