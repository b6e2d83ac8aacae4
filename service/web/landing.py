"""The landing page: a search form for astronomers (position, radius, dates) with the
exposures that cover it, and what the service is, its endpoints, and its plates; and
the health check."""

from __future__ import annotations

import math

from flask import Blueprint, current_app, jsonify, render_template, request

from service.catalog.query import ExposureQuery
from service.faults import UsageFault
from service.settings import Settings
from service.sky import Circle
from service.vo.values import number
from service.web import search
from service.web.context import base_url, services

blueprint = Blueprint(
    "landing",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

ENDPOINTS = (
    ("/", "This page: search by position; the service and the plates it serves."),
    ("/health", "Health check for load balancers and containers (JSON)."),
    ("/sia/v2/query", "SIA 2.0 discovery of exposure solutions (TOPCAT, Aladin, pyvo)."),
    ("/sia/v1/query", "SIA 1.0 image generation: cutouts of every covering plate."),
    ("/soda/sync", "SODA cutouts on a common sky grid (FITS, PNG, JPEG)."),
    ("/datalink/links", "DataLink: mosaic, cutout service, WCS header and preview of a solution."),
    ("/capabilities", "VOSI capabilities (and /availability)."),
    ("/registry/record", "VOResource record; OAI-PMH at /registry/oai."),
)


PLATES_SHOWN = 200  # plates listed on the page (the catalog may hold 430,000)


#: half-size of the grid of a stack started from a search (its radius, at most this)
STACK_RADIUS_DEG = 0.1


def _settings() -> Settings:
    return current_app.config["PLATECUT_SETTINGS"]


def _search(settings: Settings) -> dict:
    """Run the search the query string asks for; the template's variables."""
    args = request.args
    ra, dec = search.parse_position(args.get("pos", ""))
    radius = number("Radius", args.get("radius") or "5", 0.01, 600) / 60.0
    start = search.parse_date("From", args.get("from", ""))
    end = search.parse_date("To", args.get("to", ""))
    times = ()
    if start is not None or end is not None:
        times = ((start if start is not None else -math.inf, end if end is not None else math.inf),)
    query = ExposureQuery(regions=(Circle(ra, dec, radius),), times=times)
    result = services().discovery.search(query, settings.vo.default_maxrec)
    base = base_url()
    return {
        "ra": ra,
        "dec": dec,
        "radius": radius,
        "rows": search.rows(result.rows, ra, dec, radius, base),
        "overflow": result.overflow,
        "sketch": search.sketch(result.rows, ra, dec, radius),
        "snippets": search.snippets(base, ra, dec, radius),
        "stack": {
            "pos": f"CIRCLE {ra!r} {dec!r} {min(radius, STACK_RADIUS_DEG)!r}",
            "time": " ".join(repr(t) for t in times[0]).replace("inf", "Inf") if times else "",
        },
    }


@blueprint.get("/")
def index() -> tuple[str, int]:
    """Render the landing page, with the results of a search if one was asked."""
    settings = _settings()
    context = {
        "service": settings.service,
        "endpoints": ENDPOINTS,
        "plates": services().catalog.plates(limit=PLATES_SHOWN),
        "plates_shown": PLATES_SHOWN,
    }
    status = 200
    if "pos" in request.args:
        try:
            context["found"] = _search(settings)
        except UsageFault as exc:
            context["error"], status = str(exc), 400
    return render_template("landing.html", form=request.args, **context), status


@blueprint.get("/health")
def health() -> tuple[object, int]:
    """Answer 200 while the process can serve requests."""
    return jsonify(status="ok"), 200
