"""The landing page: a search form for astronomers (position, radius, dates) with the
exposures that cover it, and what the service is, its endpoints, and its plates; and
the health check."""

from __future__ import annotations

import math

from flask import Blueprint, Response, current_app, jsonify, render_template, request

from service.catalog.query import ExposureQuery
from service.faults import NotFoundFault, UsageFault
from service.settings import Settings
from service.sky import Circle
from service.vo.values import number
from service.web import search, skymap
from service.web.context import base_url, file_response, services

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
    ("/coverage", "Where the archive has plates: an IVOA MOC (FITS; ?format=ascii)."),
    ("/metrics", "Counters for Prometheus: requests, latency, cutouts, bytes read, jobs."),
    ("/sia/v2/query", "SIA 2.0 discovery of exposure solutions (TOPCAT, Aladin, pyvo)."),
    ("/sia/v1/query", "SIA 1.0 image generation: cutouts of every covering plate."),
    ("/soda/sync", "SODA cutouts on a common sky grid (FITS, PNG, JPEG)."),
    ("/soda/async", "SODA async (UWS): many cutouts, or a stack of every exposure of a position."),
    ("/datalink/links", "DataLink: mosaic, cutout service, WCS header and preview of a solution."),
    (
        "/dasch/dr7/queryexps",
        "DASCH's own API (POST JSON), for its client daschlab; and .../cutout.",
    ),
    ("/capabilities", "VOSI capabilities (and /availability)."),
    ("/registry/record", "VOResource record; OAI-PMH at /registry/oai."),
)


#: endpoints that answer a bare GET (the others need parameters: shown, not linked)
LINKED = ("/", "/health", "/coverage", "/metrics", "/capabilities", "/registry/record",
          "/soda/async")  # fmt: skip
PLATES_SHOWN = 200  # plates listed on the page (the catalog may hold 430,000)


#: half-size of the grid of a stack started from a search (its radius, at most this)
STACK_RADIUS_DEG = 0.1


def _settings() -> Settings:
    return current_app.config["PLATECUT_SETTINGS"]


def _cutout_scale(settings: Settings, radius_deg: float) -> float:
    """The pixel scale of the page's cutout links: the default, or coarser when the
    search circle at the default would exceed the output limit (the page links to no
    request the server refuses)."""
    c = settings.cutout
    side = math.isqrt(c.max_output_pixels)
    return max(c.default_scale_arcsec, 2 * radius_deg * 3600.0 / (side - 2))


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
        "rows": search.rows(result.rows, ra, dec, radius, base, _cutout_scale(settings, radius)),
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
    catalog = services().catalog
    plates = catalog.plates(limit=PLATES_SHOWN)
    context = {
        "service": settings.service,
        "endpoints": ENDPOINTS,
        "linked": LINKED,
        "plates": plates,
        "plates_shown": PLATES_SHOWN,
        "places": skymap.places(plates),
        "cells": skymap.cell_paths(catalog.coverage()),
        "map": {"width": skymap.WIDTH, "height": skymap.HEIGHT},
    }
    status = 200
    if "pos" in request.args:
        try:
            context["found"] = _search(settings)
        except UsageFault as exc:
            context["error"], status = str(exc), 400
    return render_template("landing.html", form=request.args, **context), status


@blueprint.get("/coverage")
def coverage() -> Response:
    """The archive's coverage as an IVOA MOC (FITS; ``?format=ascii`` for text), made
    at ingest; the VOResource record links it as its footprint.

    Raises
    ------
    NotFoundFault
        Before the first ingest.
    """
    text = services().catalog.coverage()
    if not text:
        raise NotFoundFault("no coverage yet: run `platecut ingest`")
    if request.args.get("format", "").lower() == "ascii":
        return Response(text + "\n", mimetype="text/plain")
    return file_response(_moc_fits(text), "application/fits", "coverage.fits")


def _moc_fits(text: str) -> bytes:
    import tempfile

    from mocpy import MOC

    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/coverage.fits"
        MOC.from_string(text, format="ascii").save(path, format="fits")
        with open(path, "rb") as saved:
            return saved.read()


@blueprint.get("/health")
def health() -> tuple[object, int]:
    """Answer 200 while the process can serve requests."""
    return jsonify(status="ok"), 200
