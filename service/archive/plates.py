"""Listing the plates of the configured archive (local archives until storage lands)."""

from __future__ import annotations

from service.archive.layout import PlateMeta, iter_local_plates
from service.settings import Settings


def list_plates(settings: Settings) -> list[PlateMeta]:
    """Return the plates of the configured archive, or an empty list if it is absent.

    Parameters
    ----------
    settings
        Platecut settings; only local archive roots are read here.
    """
    if not settings.archive_is_local:
        return []
    root = settings.local_archive_path()
    return list(iter_local_plates(root)) if root.is_dir() else []
