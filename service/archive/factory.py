"""Choosing the ingest source of the configured archive layout (``archive.layout``)."""

from __future__ import annotations

from service.catalog.ingest import IngestSource
from service.settings import Settings, SettingsError
from service.storage.base import ObjectStore

LAYOUTS = ("platecut", "dasch-dr7")


def open_source(settings: Settings, store: ObjectStore) -> IngestSource:
    """The plates of the configured archive, read through ``store``.

    Raises
    ------
    SettingsError
        For an unknown layout.
    """
    layout = settings.archive.layout
    header_bytes = settings.storage.header_initial_bytes
    if layout == "platecut":
        from service.archive.sidecars import SidecarSource

        return SidecarSource(store, settings.service, header_bytes)
    if layout == "dasch-dr7":
        from service.archive.dr7_source import Dr7Source

        c = settings.catalog
        return Dr7Source(
            store,
            settings.archive.dasch_table,
            settings.service,
            c.dynamodb_endpoint_url,
            c.dynamodb_region,
            c.max_attempts,
            header_bytes,
        )
    raise SettingsError(f"archive.layout {layout!r} is not one of {', '.join(LAYOUTS)}")
