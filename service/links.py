"""The links service: the exposure solutions a DataLink request names, each resolved
or with the fault that stops it (a bad identifier is a row of its own, never a failed
document), and whether more identifiers were given than are answered.

Depends on the catalog interface and the identifiers.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from service.catalog.base import Catalog
from service.catalog.query import ExposureQuery
from service.catalog.records import ExposureRecord
from service.faults import Fault, NotFoundFault
from service.identifiers import obs_id_of
from service.settings import ServiceSettings


@dataclasses.dataclass(frozen=True)
class Resolved:
    """Each identifier answered, in order, with its record or its fault."""

    entries: list[tuple[str, ExposureRecord | Fault]]
    overflow: bool

    @property
    def records(self) -> list[ExposureRecord]:
        """The records found."""
        return [r for _, r in self.entries if isinstance(r, ExposureRecord)]


class LinksService:
    """Identifiers to exposure records, with one catalog lookup for all of them.

    Parameters
    ----------
    catalog
        Where identifiers are resolved.
    service
        The service's identity (its publisher DIDs).
    """

    def __init__(self, catalog: Catalog, service: ServiceSettings) -> None:
        self.catalog = catalog
        self.service = service

    def resolve(self, identifiers: Sequence[str], limit: int) -> Resolved:
        """The first ``limit`` identifiers, resolved."""
        answered = list(identifiers[:limit])
        obs_ids: dict[str, str | Fault] = {}
        for identifier in answered:
            try:
                obs_ids[identifier] = obs_id_of(identifier, self.service)
            except NotFoundFault as fault:
                obs_ids[identifier] = fault
        wanted = tuple({o for o in obs_ids.values() if isinstance(o, str)})
        found = self.catalog.search(ExposureQuery(ids=wanted)).rows if wanted else []
        records = {r.obs_id: r for r in found}
        entries: list[tuple[str, ExposureRecord | Fault]] = []
        for identifier in answered:
            obs_id = obs_ids[identifier]
            if isinstance(obs_id, Fault):
                entries.append((identifier, obs_id))
            elif obs_id in records:
                entries.append((identifier, records[obs_id]))
            else:
                entries.append((identifier, NotFoundFault(f"{obs_id} is not in the catalog")))
        return Resolved(entries, len(identifiers) > limit)
