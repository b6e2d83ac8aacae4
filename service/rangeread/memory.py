"""What one process remembers of the mosaics it read: each object's version and image
layout (the newest few, least recently used dropped first), and the versions seen in
the store in place of the ones callers named (a mosaic replaced in place).

Depends on nothing else of the package but the storage and FITS layout types.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
import time

from service.rangeread.fitsmeta import Image
from service.storage.base import ObjectInfo


@dataclasses.dataclass
class Known:
    """What this process remembers of one object version."""

    info: ObjectInfo
    image: Image
    checked_at: float
    descriptors: dict[int, bytes] = dataclasses.field(default_factory=dict)


class VersionMemory:
    """Object versions known to this process, safe to use from threads.

    Parameters
    ----------
    capacity
        How many objects are remembered at most.
    ttl_s
        How long a version seen in the store counts as current when no caller names one.
    """

    def __init__(self, capacity: int, ttl_s: float) -> None:
        self.capacity, self.ttl_s = capacity, ttl_s
        self._known: collections.OrderedDict[str, Known] = collections.OrderedDict()
        # (key, ETag the caller named) -> the version seen in the store instead
        self._superseded: dict[tuple[str, str], ObjectInfo] = {}
        self._lock = threading.Lock()

    def remember(self, key: str, known: Known) -> None:
        """Keep ``known`` as what this process knows of ``key``."""
        with self._lock:
            self._known[key] = known
            self._known.move_to_end(key)
            while len(self._known) > self.capacity:
                self._known.popitem(last=False)

    def forget(self, key: str) -> None:
        """Drop what is known of ``key``."""
        with self._lock:
            self._known.pop(key, None)

    def recall(self, key: str, etag: str | None) -> Known | None:
        """What is known of version ``etag`` of ``key`` (None: a recent version)."""
        with self._lock:
            known = self._known.get(key)
        if known is None:
            return None
        fresh = time.monotonic() - known.checked_at < self.ttl_s
        if (etag is not None and known.info.etag == etag) or (etag is None and fresh):
            return known
        return None

    def newer(self, key: str, etag: str) -> ObjectInfo | None:
        """The version seen in the store where a caller named ``etag``."""
        with self._lock:
            return self._superseded.get((key, etag))

    def supersede(self, key: str, etag: str, info: ObjectInfo | None) -> None:
        """Note ``info`` as seen in place of ``etag`` (None: forget that)."""
        with self._lock:
            if info is None:
                self._superseded.pop((key, etag), None)
            else:
                self._superseded[(key, etag)] = info
