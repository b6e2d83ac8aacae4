"""The Flask application factory.

Settings are read here (once) unless the caller passes its own; services are built
from them and attached to the app; blueprints stay thin and reach them through
:func:`service.web.context.services`.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from service import errors
from service.settings import PROJECT_ROOT, Settings, load_settings
from service.web import landing

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
    app = Flask("service", template_folder=str(Path(TEMPLATES)))
    app.config["PLATECUT_SETTINGS"] = settings
    app.register_blueprint(landing.blueprint)
    errors.init_app(app)
    return app
