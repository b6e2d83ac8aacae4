"""The store interfaces: the archive's read-only :class:`ObjectStore`, the writable
:class:`ResultBucket` where the service keeps what it made (large responses, job
results), the per-request fetch counters and the retry policy; :class:`StaleObject`
(an object replaced since its ETag was read) is raised by every store."""

from __future__ import annotations

import dataclasses
import threading
from typing import Protocol

from service.faults import FatalFault

#: largest object read whole (sidecars, header files, job results are far smaller)
WHOLE_OBJECT_LIMIT = 1 << 31


@dataclasses.dataclass(frozen=True)
class ObjectInfo:
    """Size and version of a stored object."""

    key: str
    size: int
    etag: str


class ObjectStore(Protocol):
    """Read-only access to objects by key, with ranged reads.

    Implementations raise :class:`service.faults.NotFoundFault` for a missing
    object, :class:`service.faults.TransientFault` once retries are exhausted, and
    :class:`StaleObject` (below) when ``etag`` no longer matches.
    """

    #: identity of the store (e.g. ``s3://bucket/prefix``), part of replica keys
    identity: str

    def stat(self, key: str, stats: FetchStats | None = None) -> ObjectInfo:
        """Return size and ETag of ``key``."""
        ...

    def read_range(
        self, key: str, start: int, stop: int, etag: str | None, stats: FetchStats
    ) -> bytes:
        """Return bytes ``[start, stop)`` of ``key``, exactly ``stop - start`` of them."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...

    def list(self, prefix: str) -> list[str]:
        """Keys under ``prefix``, sorted."""
        ...

    def read_head(self, key: str, nbytes: int, stats: FetchStats) -> tuple[bytes, ObjectInfo]:
        """Return the first ``nbytes`` (fewer if the object is smaller) and the object's
        size and ETag, in one request."""
        ...

    def read_all(self, key: str, stats: FetchStats) -> bytes:
        """Return the whole (small) object, e.g. a header file."""
        ...

    def presigned_url(self, key: str, expires_s: int) -> str | None:
        """A URL a client may GET the object from itself until it expires (None: the
        store has none, serve the bytes)."""
        ...


class ResultBucket(ObjectStore, Protocol):
    """A bucket the service writes to (S3): what it made, never the archive."""

    def put(self, key: str, body: bytes, content_type: str, filename: str) -> None:
        """Write an object (replacing one of the same key)."""
        ...

    def presigned_url(self, key: str, expires_s: int) -> str:
        """A URL anyone can GET the object with until it expires."""
        ...

    def delete_prefix(self, prefix: str) -> None:
        """Delete every object under ``prefix``."""
        ...


def read_whole(store: ObjectStore, key: str, stats: FetchStats) -> bytes:
    """The whole of a remote object: one ranged GET from byte 0 (``read_head``), whose
    length the store checks against the object's size (Content-Range), so that a body
    cut short is retried like a ranged read's, never taken for the object."""
    data, info = store.read_head(key, WHOLE_OBJECT_LIMIT, stats)
    if len(data) != info.size:
        raise FatalFault(f"{key}: {info.size} bytes, too large to read whole")
    return data


@dataclasses.dataclass
class FetchStats:
    """Counters of one request's reads: for logs and benchmarks.

    Thread-safe: fetches of one phase run concurrently.
    """

    gets: int = 0
    bytes_fetched: int = 0
    phases: int = 0
    retries: int = 0
    stats_calls: int = 0
    replica_hit_bytes: int = 0
    memory_hits: int = 0
    _lock: threading.Lock = dataclasses.field(
        default_factory=threading.Lock, repr=False, compare=False
    )

    def add(self, **counts: int) -> None:
        """Add to counters by name."""
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, int]:
        """The counters as a plain dict (for logs and JSON)."""
        return {
            f.name: getattr(self, f.name)
            for f in dataclasses.fields(self)
            if not f.name.startswith("_")
        }


class StaleObject(Exception):
    """The object changed since its ETag was read: the caller must re-read its metadata."""


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How transient failures are retried: exponential backoff with jitter."""

    max_attempts: int
    backoff_base_s: float
    backoff_max_s: float
    connect_timeout_s: float
    read_timeout_s: float
