"""Objects as files under a local directory (the embedded default).

A key names a regular file whose real path (symbolic links resolved) is under the
root: a link out of the archive, a directory, a NUL byte or an over-long name is an
object that does not exist (NotFoundFault), never a read elsewhere."""

from __future__ import annotations

import os
import stat
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
        if not parts or "\0" in key or Path(key).is_absolute() or ".." in parts:
            raise NotFoundFault(f"object {key[:80]!r} is outside the archive")
        try:
            path = (self.root / key).resolve()
        except (OSError, RuntimeError):  # a name too long, a loop of links
            raise NotFoundFault(f"object {key[:80]!r} not found") from None
        if not path.is_relative_to(self.root):
            raise NotFoundFault(f"object {key[:80]!r} is outside the archive")
        return path

    def _file(self, key: str) -> tuple[int, os.stat_result]:
        """An open descriptor of the regular file ``key`` and its status.

        Raises
        ------
        NotFoundFault
            Missing, not a regular file, or not a file name this system takes.
        """
        try:
            fd = os.open(self._path(key), os.O_RDONLY)
        except OSError:
            raise NotFoundFault(f"object {key[:80]!r} not found") from None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise NotFoundFault(f"object {key[:80]!r} not found")
        return fd, st

    def stat(self, key: str, stats: FetchStats | None = None) -> ObjectInfo:
        """Return size and ETag of ``key``."""
        if stats is not None:
            stats.add(stats_calls=1)
        fd, st = self._file(key)
        os.close(fd)
        return ObjectInfo(key, st.st_size, f"{st.st_mtime_ns:x}-{st.st_size:x}")

    def read_range(
        self, key: str, start: int, stop: int, etag: str | None, stats: FetchStats
    ) -> bytes:
        """Return bytes ``[start, stop)`` of ``key``."""
        fd, st = self._file(key)
        try:
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

    def presigned_url(self, key: str, expires_s: int) -> None:
        """None: objects of this store are served through the service."""
        return None

    def read_all(self, key: str, stats: FetchStats) -> bytes:
        """Return the whole object."""
        fd, st = self._file(key)
        try:
            data = os.pread(fd, st.st_size, 0)
        finally:
            os.close(fd)
        stats.add(gets=1, bytes_fetched=len(data))
        return data
