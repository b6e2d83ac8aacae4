"""A shared local replica of fetched byte ranges, one sparse file per object version.

Each object version (store, key, ETag) has four files in the cache directory:
``<h>.data`` (the object's size; holes where nothing was fetched), ``<h>.ranges``
(the fetched ranges, as text ``start stop`` lines, replaced atomically), ``<h>.sums``
(a CRC-32 per stored part, ``start stop crc`` lines) and ``<h>.lock`` (``flock``:
shared while reading, exclusive while recording). A part is checked against its sum
the first time a process reads it; a part that fails (a damaged disk, a stray write)
or has no sum is dropped and fetched again, never decoded.
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
import zlib
from collections.abc import Iterator
from pathlib import Path

from service.rangeread.ranges import ByteRange, merge, subtract, total
from service.storage.base import ObjectInfo

#: the replicas are listed for eviction when this process's estimate of the usage
#: passes this fraction of the budget, or its last listing is older than RESCAN_S
SCAN_AT = 0.9
RESCAN_S = 2.0
#: a cache over its budget is evicted down to this fraction of it, so that the next
#: writes do not each list it again
EVICT_TO = 0.8

VERIFIED_KEPT = 200_000  # parts a process remembers as checked (~20 MB at most)
POISON = bytes(range(0xA5, 0xA5 + 16)) * 4096  # 64 KiB pattern for tests


class ReplicaFile:
    """The replica of one object version."""

    def __init__(self, cache: Replica, digest: str, size: int) -> None:
        self.cache = cache
        self.size = size
        base = cache.root / digest
        self.data_path = base.with_suffix(".data")
        self.ranges_path = base.with_suffix(".ranges")
        self.sums_path = base.with_suffix(".sums")
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

    def present(self) -> list[ByteRange]:
        """Ranges already fetched."""
        try:
            text = self.ranges_path.read_text()
        except FileNotFoundError:
            return []
        return [(int(a), int(b)) for a, b in (line.split() for line in text.splitlines())]

    def missing(self, ranges: list[ByteRange]) -> list[ByteRange]:
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
            sums = self.sums() + [(o, o + len(d), zlib.crc32(d)) for o, d in parts]
            self._record(merge(self.present() + [(o, o + len(d)) for o, d in parts]), sums)
        self.cache.evict_if_needed(keep=self, added=sum(len(d) for _, d in parts))

    def _record(self, ranges: list[ByteRange], sums: list[tuple[int, int, int]]) -> None:
        """Replace the sums, then the ranges (under the exclusive lock)."""
        tmp = self.sums_path.with_name(f"{self.sums_path.name}.{os.getpid()}.tmp")
        tmp.write_text("".join(f"{a} {b} {c:08x}\n" for a, b, c in sums))
        os.replace(tmp, self.sums_path)
        tmp = self.ranges_path.with_name(f"{self.ranges_path.name}.{os.getpid()}.tmp")
        tmp.write_text("".join(f"{a} {b}\n" for a, b in ranges))
        os.replace(tmp, self.ranges_path)

    def sums(self) -> list[tuple[int, int, int]]:
        """(start, stop, CRC-32) of every stored part."""
        try:
            text = self.sums_path.read_text()
        except FileNotFoundError:
            return []
        return [
            (int(a), int(b), int(c, 16)) for a, b, c in (ln.split() for ln in text.splitlines())
        ]

    def damaged(self, needed: list[ByteRange]) -> list[ByteRange]:
        """Stored parts overlapping ``needed`` that fail their sum (or bytes with no
        sum); parts that pass are remembered by this process and not read again."""
        wanted = merge(needed)
        parts = [p for p in self.sums() if any(p[0] < b and a < p[1] for a, b in wanted)]
        bad = subtract(wanted, merge([(a, b) for a, b, _ in parts]))  # no sum: unknown bytes
        try:
            inode = os.stat(self.data_path).st_ino
        except FileNotFoundError:
            return wanted
        if len(self.cache.verified) > VERIFIED_KEPT:
            self.cache.verified.clear()
        with open(self.data_path, "rb") as f:
            for start, stop, crc in parts:
                token = (str(self.data_path), inode, start, stop, crc)
                if token in self.cache.verified:
                    continue
                if zlib.crc32(os.pread(f.fileno(), stop - start, start)) != crc:
                    bad.append((start, stop))
                else:
                    self.cache.verified.add(token)
        return merge(bad)

    def drop(self, ranges: list[ByteRange]) -> None:
        """Forget ``ranges`` (bytes that did not decode or failed their sum), with every
        stored part they touch: they will be fetched again."""
        with self._locked(fcntl.LOCK_EX):
            sums = self.sums()
            touched = [(a, b) for a, b, _ in sums if any(a < y and x < b for x, y in ranges)]
            gone = merge(list(ranges) + touched)
            kept = [p for p in sums if not any(p[0] < y and x < p[1] for x, y in gone)]
            self._record(subtract(self.present(), gone), kept)

    def checksum(self, ranges: list[ByteRange]) -> int | None:
        """CRC-32 of the bytes of ``ranges`` (None when they are no longer held)."""
        crc = 0
        try:
            for start, stop in ranges:
                crc = zlib.crc32(self.pread(start, stop), crc)
        except LookupError:
            return None
        return crc

    def pread(self, start: int, stop: int) -> bytes:
        """Read bytes that are present; raise if any of them is not.

        Raises
        ------
        LookupError
            If part of ``[start, stop)`` was never fetched.
        """
        if self.missing([(start, stop)]):
            raise LookupError(f"bytes {start}-{stop} are not in the replica")
        with self._locked(fcntl.LOCK_SH):
            bad = self.damaged([(start, stop)])
            if not bad:
                with open(self.data_path, "rb") as f:
                    return os.pread(f.fileno(), stop - start, start)
        self.drop(bad)
        raise LookupError(f"replica bytes {bad[:3]} failed their checksum: to fetch again")

    @contextlib.contextmanager
    def reading(self, needed: list[ByteRange]) -> Iterator[Path]:
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
            bad = self.damaged(needed)
            if not bad:
                os.utime(self.ranges_path)
                yield self.data_path
                return
        self.drop(bad)
        raise LookupError(f"replica bytes {bad[:3]} failed their checksum: to fetch again")


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
        # usage after this process's last scan, plus what it wrote since; when that scan was
        self._usage: int | None = None
        self._scanned_at = 0.0
        self._estimating = threading.Lock()
        #: stored parts this process found whole: (data file, inode, start, stop, crc)
        self.verified: set[tuple[str, int, int, int, int]] = set()

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
    def _ranges_of(path: Path) -> list[ByteRange]:
        try:
            return [
                (int(a), int(b))
                for a, b in (ln.split() for ln in path.read_text().split("\n") if ln)
            ]
        except FileNotFoundError:
            return []

    def evict_if_needed(self, keep: ReplicaFile | None = None, added: int = 0) -> int:
        """Evict least recently used replicas until usage fits the budget (once over
        it: down to EVICT_TO of it).

        The replicas are listed (every ``.ranges`` file read) only when this process's
        estimate of the usage, its last listing plus what it wrote since (``added``
        bytes now), passes SCAN_AT of the budget, or its last listing is older than
        RESCAN_S: not on every write, which read every file of the cache each time.
        Other processes' writes count from this process's next listing on, so the
        budget can be passed by what they write in RESCAN_S.

        Replicas being read (shared lock held) are skipped. Returns bytes freed.
        """
        with self._estimating:
            if self._usage is not None:
                self._usage += added
                recent = time.monotonic() - self._scanned_at < RESCAN_S
                if recent and self._usage <= SCAN_AT * self.budget:
                    return 0
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
            goal = self.budget if used <= self.budget else EVICT_TO * self.budget
            for _, path, size in sorted(entries):
                if used - freed <= goal:
                    break
                if keep is not None and path == keep.ranges_path:
                    continue
                freed += self._evict(path, size)
            with self._estimating:
                self._usage, self._scanned_at = used - freed, time.monotonic()
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
            ranges_path.with_suffix(".sums").unlink(missing_ok=True)
            ranges_path.with_suffix(".data").unlink(missing_ok=True)
            return size
        finally:
            os.close(fd)
