"""Platecut: a Virtual Observatory image service for photographic-plate archives."""

from service.app import create_app

__version__ = "0.1.0"
__all__ = ["create_app", "__version__"]
