"""Reading an archive's sidecars and WCS header files through an object store (cached)."""

from __future__ import annotations

import threading
import time

from service.archive.layout import LayoutError, PlateMeta, plate_from_json, sidecar_key
from service.faults import CorruptDataFault, NotFoundFault
from service.storage.base import FetchStats, ObjectStore
from service.wcs.solutions import Solution, parse_solutions, read_header_file


class ArchiveReader:
    """Plates and their solutions, read through ``store`` and kept for ``ttl_s`` seconds.

    Parameters
    ----------
    store
        The archive's object store.
    ttl_s
        How long a sidecar or header file read is reused without asking again.
    """

    def __init__(self, store: ObjectStore, ttl_s: float = 300.0) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self._cache: dict[str, tuple[float, object]] = {}
        self._lock = threading.Lock()

    def _cached(self, key: str, load):  # noqa: ANN001, ANN202
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(key)
        if hit and now - hit[0] < self.ttl_s:
            return hit[1]
        value = load()
        with self._lock:
            self._cache[key] = (now, value)
            if len(self._cache) > 4096:
                self._cache.pop(next(iter(self._cache)))
        return value

    def plate(self, plate_id: str, stats: FetchStats | None = None) -> PlateMeta:
        """The sidecar of ``plate_id``.

        Raises
        ------
        NotFoundFault
            If the identifier is malformed or the plate is not in the archive.
        """
        try:
            key = sidecar_key(plate_id)
        except LayoutError as exc:
            raise NotFoundFault(str(exc)) from exc

        def load() -> PlateMeta:
            try:
                text = self.store.read_all(key, stats or FetchStats()).decode()
            except NotFoundFault:
                raise NotFoundFault(f"plate {plate_id} is not in this archive") from None
            try:
                return plate_from_json(text)
            except LayoutError as exc:
                raise CorruptDataFault(f"plate {plate_id}: {exc}") from exc

        return self._cached(key, load)

    def solutions(
        self, plate: PlateMeta, mosnum: int = 0, stats: FetchStats | None = None
    ) -> list[Solution]:
        """Every WCS solution of one mosaic of ``plate``."""
        header_key = plate.mosaic(mosnum).header_key

        def load() -> list[Solution]:
            text = read_header_file(self.store.read_all(header_key, stats or FetchStats()))
            try:
                return parse_solutions(text)
            except CorruptDataFault as exc:
                raise CorruptDataFault(f"plate {plate.plate_id}: {exc}") from exc

        return self._cached(header_key, load)
