"""AWS Lambda entry point: the same Flask app behind API Gateway (REST v1 or HTTP v2
events) or a Lambda function URL, through apig-wsgi; binary bodies (FITS, PNG) are
returned base64-encoded. Settings come from the environment (``PLATECUT_*``) and
``PLATECUT_CONFIG``, read once per cold start.

Handler: ``service.lambda_handler.handler``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apig_wsgi import make_lambda_handler

from service.app import create_app
from service.settings import Settings
from service.wiring import settle

#: MIME type prefixes returned as text; every other body is base64 (FITS, PNG, JPEG)
TEXT = ("text/", "application/json", "application/xml", "application/x-votable+xml")


def build_handler(settings: Settings | None = None) -> Callable[[dict, Any], dict]:
    """A Lambda handler over an app made from ``settings`` (default: environment)."""
    handler = make_lambda_handler(
        create_app(settings), binary_support=True, non_binary_content_type_prefixes=TEXT
    )
    settle()
    return handler


def __getattr__(name: str) -> Callable[[dict, Any], dict]:
    """``handler`` is built on first use, so importing the module reads no settings."""
    if name == "handler":
        globals()["handler"] = made = build_handler()
        return made
    raise AttributeError(name)
