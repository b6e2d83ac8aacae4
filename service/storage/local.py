"""Objects as files under a local directory (the embedded default)."""

from __future__ import annotations

import os
from pathlib import Path

from service.faults import NotFoundFault
from service.storage.base import FetchStats, ObjectInfo, StaleObject


class LocalStore:
    """Files under ``root``; the ETag is made of the file's size and modification time."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root).resolve()
        self.identity = self.root.as_uri()

    def close(self) -> None:
        """Nothing to close for local files."""

    def _path(self, key: str) -> Path:
        parts = Path(key).parts
        if not parts or Path(key).is_absolute() or ".." in parts:
            raise NotFoundFault(f"object {key!r} is outside the archive")
        return self.root / key

    def stat(self, key: str, stats: FetchStats | None = None) -> ObjectInfo:
        """Return size and ETag of ``key``."""
        if stats is not None:
            stats.add(stats_calls=1)
        try:
            st = self._path(key).stat()
        except FileNotFoundError as exc:
            raise NotFoundFault(f"object {key!r} not found") from exc
        return ObjectInfo(key, st.st_size, f"{st.st_mtime_ns:x}-{st.st_size:x}")

    def read_range(
        self, key: str, start: int, stop: int, etag: str | None, stats: FetchStats
    ) -> bytes:
        """Return bytes ``[start, stop)`` of ``key``."""
        path = self._path(key)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError as exc:
            raise NotFoundFault(f"object {key!r} not found") from exc
        try:
            st = os.fstat(fd)
            if etag is not None and f"{st.st_mtime_ns:x}-{st.st_size:x}" != etag:
                raise StaleObject(key)
            data = os.pread(fd, stop - start, start)
        finally:
            os.close(fd)
        stats.add(gets=1, bytes_fetched=len(data))
        if len(data) != stop - start:
            raise StaleObject(f"{key}: short read at {start}")
        return data

    def list(self, prefix: str) -> list[str]:
        """Keys under ``prefix`` (a folder), sorted."""
        base = self._path(prefix) if prefix else self.root
        if not base.is_dir():
            return []
        keys = []
        for folder, _, names in os.walk(base, followlinks=True):
            keys += [str((Path(folder) / n).relative_to(self.root)) for n in names]
        return sorted(keys)

    def read_head(self, key: str, nbytes: int, stats: FetchStats) -> tuple[bytes, ObjectInfo]:
        """Return the first ``nbytes`` and the object's size and ETag."""
        info = self.stat(key)
        return self.read_range(key, 0, min(nbytes, info.size), info.etag, stats), info

    def read_all(self, key: str, stats: FetchStats) -> bytes:
        """Return the whole object."""
        try:
            data = self._path(key).read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundFault(f"object {key!r} not found") from exc
        stats.add(gets=1, bytes_fetched=len(data))
        return data
