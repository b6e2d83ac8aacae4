"""The catalog interface, implemented by SQLite and DynamoDB."""

from __future__ import annotations

from typing import Protocol

from service.catalog.query import ExposureQuery, SearchResult
from service.catalog.records import ExposureRecord, PlateRecord


class Catalog(Protocol):
    """Plates and exposure solutions, searchable by region and attributes."""

    def create(self) -> None:
        """Create the tables (idempotent)."""
        ...

    def put_plate(self, plate: PlateRecord, exposures: list[ExposureRecord]) -> None:
        """Insert or replace a plate and all its exposures, atomically."""
        ...

    def plate(self, plate_id: str) -> PlateRecord | None:
        """One plate, or None."""
        ...

    def plates(self) -> list[PlateRecord]:
        """Every plate, in identifier order."""
        ...

    def exposure(self, obs_id: str) -> ExposureRecord | None:
        """One exposure solution by ``obs_id``, or None."""
        ...

    def search(self, query: ExposureQuery) -> SearchResult:
        """Exposures matching the query, ordered by observation date."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
