"""A shared local replica of fetched byte ranges, one sparse file per object version.

Each object version (store, key, ETag) has three files in the cache directory:
``<h>.data`` (the object's size; holes where nothing was fetched), ``<h>.ranges``
(the fetched ranges, as text ``start stop`` lines, replaced atomically) and
``<h>.lock`` (``flock``: shared while reading, exclusive while recording).
Processes and threads share it through these files only. The total of fetched
bytes is kept under a budget by evicting the least recently used versions.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from service.rangeread.ranges import Range, merge, subtract, total
from service.storage.base import ObjectInfo

POISON = bytes(range(0xA5, 0xA5 + 16)) * 4096  # 64 KiB pattern for tests


class ReplicaFile:
    """The replica of one object version."""

    def __init__(self, cache: Replica, digest: str, size: int) -> None:
        self.cache = cache
        self.size = size
        base = cache.root / digest
        self.data_path = base.with_suffix(".data")
        self.ranges_path = base.with_suffix(".ranges")
        self.lock_path = base.with_suffix(".lock")

    @contextlib.contextmanager
    def _locked(self, mode: int) -> Iterator[None]:
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, mode)
            yield
        finally:
            os.close(fd)

    def _ensure_data(self) -> None:
        if self.data_path.exists():
            return
        tmp = self.data_path.with_name(
            f"{self.data_path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
        )
        with open(tmp, "wb") as out:
            if self.cache.poison:
                for start in range(0, self.size, len(POISON)):
                    out.write(POISON[: min(len(POISON), self.size - start)])
            else:
                out.truncate(self.size)
        os.replace(tmp, self.data_path)

    def present(self) -> list[Range]:
        """Ranges already fetched."""
        try:
            text = self.ranges_path.read_text()
        except FileNotFoundError:
            return []
        return [(int(a), int(b)) for a, b in (line.split() for line in text.splitlines())]

    def missing(self, ranges: list[Range]) -> list[Range]:
        """The parts of ``ranges`` not in the replica yet."""
        return subtract(merge(ranges), self.present())

    def write(self, parts: list[tuple[int, bytes]]) -> None:
        """Store fetched parts and record them, atomically for other readers.

        Parameters
        ----------
        parts
            (offset, bytes) of complete, verified fetches.
        """
        with self._locked(fcntl.LOCK_EX):
            self._ensure_data()
            fd = os.open(self.data_path, os.O_WRONLY)
            try:
                for offset, data in parts:
                    os.pwrite(fd, data, offset)
            finally:
                os.close(fd)
            ranges = merge(self.present() + [(o, o + len(d)) for o, d in parts])
            tmp = self.ranges_path.with_name(
                f"{self.ranges_path.name}.{os.getpid()}.tmp"
            )  # under lock
            tmp.write_text("".join(f"{a} {b}\n" for a, b in ranges))
            os.replace(tmp, self.ranges_path)
        self.cache.evict_if_needed(keep=self)

    def drop(self, ranges: list[Range]) -> None:
        """Forget ``ranges`` (e.g. bytes that did not decode): they will be fetched again."""
        with self._locked(fcntl.LOCK_EX):
            kept = subtract(self.present(), merge(ranges))
            tmp = self.ranges_path.with_name(f"{self.ranges_path.name}.{os.getpid()}.tmp")
            tmp.write_text("".join(f"{a} {b}\n" for a, b in kept))
            os.replace(tmp, self.ranges_path)

    def pread(self, start: int, stop: int) -> bytes:
        """Read bytes that are present; raise if any of them is not.

        Raises
        ------
        LookupError
            If part of ``[start, stop)`` was never fetched.
        """
        if self.missing([(start, stop)]):
            raise LookupError(f"bytes {start}-{stop} are not in the replica")
        with open(self.data_path, "rb") as f:
            f.seek(start)
            return f.read(stop - start)

    @contextlib.contextmanager
    def reading(self, needed: list[Range]) -> Iterator[Path]:
        """Hold the replica against eviction while cfitsio reads it.

        Raises
        ------
        LookupError
            If a needed range is missing: nothing may be read from holes.
        """
        with self._locked(fcntl.LOCK_SH):
            gaps = self.missing(needed)
            if gaps:
                raise LookupError(f"replica lacks planned bytes {gaps[:3]}")
            os.utime(self.ranges_path)
            yield self.data_path


class Replica:
    """The cache directory of replicas, with its budget.

    Parameters
    ----------
    root
        Cache directory (created).
    budget_bytes
        Most fetched bytes kept over all replicas.
    poison
        Fill holes with a poison pattern instead of zeros (tests).
    """

    def __init__(self, root: Path, budget_bytes: int, poison: bool = False) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.budget = budget_bytes
        self.poison = poison
        self._evicting = threading.Lock()

    def open(self, identity: str, key: str, etag: str, size: int) -> ReplicaFile:
        """The replica of one object version (files are created on first write)."""
        digest = hashlib.sha256(f"{identity}\0{key}\0{etag}".encode()).hexdigest()[:40]
        return ReplicaFile(self, digest, size)

    def _index_path(self, identity: str, key: str) -> Path:
        digest = hashlib.sha256(f"{identity}\0{key}".encode()).hexdigest()[:40]
        return self.root / "index" / digest

    def note_version(self, identity: str, info: ObjectInfo) -> None:
        """Record the version of an object just seen, for other processes."""
        path = self._index_path(identity, info.key)
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_text(json.dumps({"etag": info.etag, "size": info.size, "seen": time.time()}))
        os.replace(tmp, path)

    def noted_version(self, identity: str, key: str, ttl_s: float) -> ObjectInfo | None:
        """The version of ``key`` some process saw less than ``ttl_s`` seconds ago."""
        try:
            noted = json.loads(self._index_path(identity, key).read_text())
        except (FileNotFoundError, ValueError):
            return None
        if time.time() - noted["seen"] > ttl_s:
            return None
        return ObjectInfo(key, int(noted["size"]), str(noted["etag"]))

    def usage(self) -> int:
        """Fetched bytes held over all replicas."""
        return sum(total(self._ranges_of(p)) for p in self.root.glob("*.ranges"))

    @staticmethod
    def _ranges_of(path: Path) -> list[Range]:
        try:
            return [
                (int(a), int(b))
                for a, b in (ln.split() for ln in path.read_text().split("\n") if ln)
            ]
        except FileNotFoundError:
            return []

    def evict_if_needed(self, keep: ReplicaFile | None = None) -> int:
        """Evict least recently used replicas until usage fits the budget.

        Replicas being read (shared lock held) are skipped. Returns bytes freed.
        """
        if not self._evicting.acquire(blocking=False):
            return 0
        try:
            entries = []
            for path in self.root.glob("*.ranges"):
                try:
                    entries.append((path.stat().st_mtime, path, total(self._ranges_of(path))))
                except FileNotFoundError:
                    continue
            used = sum(e[2] for e in entries)
            freed = 0
            for _, path, size in sorted(entries):
                if used - freed <= self.budget:
                    break
                if keep is not None and path == keep.ranges_path:
                    continue
                freed += self._evict(path, size)
            return freed
        finally:
            self._evicting.release()

    def _evict(self, ranges_path: Path, size: int) -> int:
        lock_path = ranges_path.with_suffix(".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return 0  # in use by a reader
            ranges_path.unlink(missing_ok=True)
            ranges_path.with_suffix(".data").unlink(missing_ok=True)
            return size
        finally:
            os.close(fd)
