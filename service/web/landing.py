"""The landing page: what the service is, its endpoints, and the plates it serves."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, render_template

from service.archive.plates import list_plates
from service.settings import Settings

blueprint = Blueprint("landing", __name__, template_folder="templates")

ENDPOINTS = (
    ("/", "This page: the service and the plates it serves."),
    ("/health", "Health check for load balancers and containers (JSON)."),
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
