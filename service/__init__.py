"""Platecut: a Virtual Observatory image service for photographic-plate archives."""

__version__ = "0.1.0"

from service.app import create_app  # noqa: E402  (after __version__, which modules import)

__all__ = ["create_app", "__version__"]
