"""The landing page: what the service is, its endpoints, and the plates it serves."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from service.archive.plates import list_plates
from service.settings import Settings

blueprint = Blueprint("landing", __name__, template_folder="templates")

ENDPOINTS = (
    ("/", "This page: the service and the plates it serves."),
    ("/health", "Health check for load balancers and containers (JSON)."),
    ("/sia/v2/query", "SIA 2.0 discovery of exposure solutions (TOPCAT, Aladin, pyvo)."),
    ("/sia/v1/query", "SIA 1.0 image generation: cutouts of every covering plate."),
    ("/soda/sync", "SODA cutouts on a common sky grid (FITS)."),
    ("/datalink/links", "DataLink: mosaic, cutout service and WCS header of a solution."),
    ("/capabilities", "VOSI capabilities (and /availability)."),
    ("/registry/record", "VOResource record; OAI-PMH at /registry/oai."),
)


def _settings() -> Settings:
    return current_app.config["PLATECUT_SETTINGS"]


@blueprint.get("/")
def index() -> str:
    """Render the landing page."""
    settings = _settings()
    return render_template(
        "landing.html",
        service=settings.service,
        endpoints=ENDPOINTS,
        plates=list_plates(settings),
    )


@blueprint.get("/health")
def health() -> tuple[object, int]:
    """Answer 200 while the process can serve requests."""
    return jsonify(status="ok"), 200
