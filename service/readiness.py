"""Whether a process can serve what it promises: its archive and catalog exist, answer,
and are not empty. Logged when the app starts; ``/availability`` (VOSI) says it, with
the reason.

Depends on the process's parts (:mod:`service.wiring`) only.
"""

from __future__ import annotations

from service.faults import NotFoundFault
from service.wiring import Services

PROBE_KEY = "plates/.availability-probe"


def _check(name: str, probe) -> str | None:  # noqa: ANN001
    """None if ``probe()`` reached the dependency, else what went wrong."""
    try:
        probe()
    except NotFoundFault:
        return None  # reachable; the probe key need not exist
    except Exception as exc:  # noqa: BLE001 - any failure means unavailable
        return f"{name}: {type(exc).__name__}: {str(exc)[:200]}"
    return None


def problems(services: Services, reach: bool = True) -> list[str]:
    """What keeps the process from serving; empty when nothing does.

    Parameters
    ----------
    services
        The process's parts.
    reach
        Also ask the catalog and the store over the network (not at start-up).
    """
    settings = services.settings
    found = []
    if settings.archive_is_local and not settings.local_archive_path().is_dir():
        found.append(
            f"archive: no directory {settings.local_archive_path()} (archive.root; "
            "`platecut demo-archive` writes the demo there)"
        )
    elif reach:
        found.append(_check("object store", lambda: services.store.stat(PROBE_KEY)))
    if settings.catalog.backend == "sqlite" or reach:
        problem = _check("catalog", lambda: services.catalog.plates(limit=1))
        if problem is None and not services.catalog.plates(limit=1):
            problem = "catalog: empty, no plate to serve (run `platecut ingest`)"
        found.append(problem)
    return [p for p in found if p]
