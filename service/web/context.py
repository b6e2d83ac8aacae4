"""The services a request needs, built once per process from the settings.

Blueprints call :func:`services` and never construct a catalog, store or engine
themselves; nothing here keeps request state, so any worker can answer any request.
"""

from __future__ import annotations

import threading
from functools import cached_property

from flask import Flask, current_app, request

from service.catalog.base import Catalog
from service.catalog.factory import open_catalog
from service.cutout.engine import CutoutEngine, open_engine
from service.settings import Settings
from service.storage import open_store
from service.storage.base import ObjectStore
from service.storage.factory import open_results
from service.storage.s3 import S3Store
from service.vo.params import Params

_EXTENSION = "platecut"


class Services:
    """Lazily opened catalog, object store and cutout engine of one process.

    Parameters
    ----------
    settings
        The application's settings.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()

    @cached_property
    def store(self) -> ObjectStore:
        """The archive's object store."""
        with self._lock:
            return open_store(self.settings)

    @cached_property
    def catalog(self) -> Catalog:
        """The exposure catalog."""
        with self._lock:
            return open_catalog(self.settings)

    @cached_property
    def results(self) -> S3Store | None:
        """Where large responses are written, if configured."""
        with self._lock:
            return open_results(self.settings)

    @cached_property
    def engine(self) -> CutoutEngine:
        """The cutout engine (over :attr:`store`)."""
        store = self.store
        with self._lock:
            return open_engine(self.settings, store)

    def close(self) -> None:
        """Close what was opened."""
        for name in ("catalog", "store", "results"):
            if name in self.__dict__:
                opened = self.__dict__.pop(name)
                if opened is not None:
                    opened.close()
        self.__dict__.pop("engine", None)


def init_app(app: Flask, settings: Settings) -> None:
    """Attach the services to the app."""
    app.extensions[_EXTENSION] = Services(settings)


def services() -> Services:
    """The current app's services."""
    return current_app.extensions[_EXTENSION]


def base_url() -> str:
    """Public URL of the service root, without a trailing slash."""
    configured = services().settings.vo.base_url
    return (configured or request.url_root).rstrip("/")


def request_params() -> Params:
    """The request's parameters: query string and form body, names case-insensitive."""
    pairs = list(request.args.items(multi=True))
    if request.method == "POST":
        pairs += list(request.form.items(multi=True))
    return Params(pairs)
