"""The catalog interface, implemented by SQLite and DynamoDB."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol

from service.catalog.query import ExposureQuery, SearchResult
from service.catalog.records import CutoutSource, ExposureRecord, PixelSource, PlateRecord


class Catalog(Protocol):
    """Plates and exposure solutions, searchable by region and attributes."""

    def create(self) -> None:
        """Create the tables (idempotent)."""
        ...

    def put_plate(
        self,
        plate: PlateRecord,
        exposures: list[ExposureRecord],
        pixels: Mapping[str, PixelSource] | None = None,
    ) -> None:
        """Insert or replace a plate, all its exposures and the sources of their pixels
        (by ``obs_id``), atomically."""
        ...

    def plate(self, plate_id: str) -> PlateRecord | None:
        """One plate, or None."""
        ...

    def plates(self, limit: int | None = None) -> list[PlateRecord]:
        """Every plate (the first ``limit``), in identifier order."""
        ...

    def exposure(self, obs_id: str) -> ExposureRecord | None:
        """One exposure solution by ``obs_id``, or None."""
        ...

    def source(self, obs_id: str) -> CutoutSource | None:
        """An exposure solution with the source of its pixels, or None (one lookup)."""
        ...

    def sources(self, obs_ids: Sequence[str]) -> dict[str, CutoutSource]:
        """The exposure solutions among ``obs_ids`` with the sources of their pixels, by
        obs_id (unknown ones left out): what a job reads once when it is planned."""
        ...

    def flag_replaced(self, source: CutoutSource, etag: str) -> None:
        """Record that the mosaic of ``source`` is now at version ``etag`` in the store
        (every solution of that mosaic), until the plate is re-ingested."""
        ...

    def index_cells(self) -> list[tuple[int, int]]:
        """Every (order, cell) of the HEALPix index: where footprints are."""
        ...

    def put_coverage(self, moc: str) -> None:
        """Keep the archive's coverage (an IVOA MOC, ASCII), made at ingest."""
        ...

    def coverage(self) -> str:
        """The coverage kept by :meth:`put_coverage` ('' if none)."""
        ...

    def search(self, query: ExposureQuery) -> SearchResult:
        """Exposures matching the query, ordered by observation date."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...
