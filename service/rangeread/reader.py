"""Reading a pixel box of a mosaic in two round trips, decoding it on every core.

When the caller knows the object's version and image layout (the catalog records
them at ingest: :class:`MosaicVersion`), a cold box costs two sequential round
trips: the table rows (tile descriptors) of the tiles the box touches, then those
tiles' heap bytes; one when the descriptors are already known. Without a version,
a first phase reads the leading bytes up to the image header's end (one GET that
also tells the object's size and ETag).

Every read is conditional on the version (``If-Match``): an object replaced in
place answers 412, its header is read again from the store and the box is served
from the new version, never from a mix. Fetched ranges go to the shared replica;
the tiles are then decoded from it by :mod:`service.rangeread.decode` on a pool of
threads. A repeated box costs no request; a neighbouring box fetches only the tiles
it lacks.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from service.faults import CorruptDataFault, TransientFault
from service.rangeread.decode import DecodeError, decode_box
from service.rangeread.fitsmeta import CompressedImage, FitsStructureError, Image, locate_image
from service.rangeread.head import HEADER_INITIAL_BYTES, read_header
from service.rangeread.memory import Known, VersionMemory
from service.rangeread.ranges import ByteRange, coalesce, merge, split
from service.rangeread.replica import Replica, ReplicaFile
from service.rangeread.slots import ComputeSlots
from service.storage.base import FetchStats, ObjectInfo, ObjectStore, StaleObject

log = logging.getLogger(__name__)
#: bytes of one box that would not decode, each time different (damaged in transit),
#: read before giving up; the same bytes twice are damaged in the store
DAMAGED_READS = 4


@dataclasses.dataclass(frozen=True)
class ReadOptions:
    """Tuning of ranged reads (from ``[storage]`` and ``[cache]`` settings)."""

    concurrency: int = 16
    part_size: int = 8 << 20
    max_gap: int = 16384
    header_initial_bytes: int = HEADER_INITIAL_BYTES
    stat_ttl_s: float = 300.0
    memory_mosaics: int = 64
    decode_threads: int = 0  # 0: one per core
    compute_slots: int = 0  # cutouts computing at once in the process; 0: no limit


@dataclasses.dataclass(frozen=True)
class MosaicVersion:
    """One version of a mosaic object, as the catalog recorded it: size and ETag, and
    the image's layout (None: unknown, read it from the object's header)."""

    info: ObjectInfo
    image: Image | None


class _Undecodable(Exception):
    """Bytes of a box that did not decode (they are dropped and fetched once more)."""

    def __init__(self, replica: ReplicaFile, ranges: list[ByteRange], error: DecodeError) -> None:
        super().__init__(str(error))
        self.replica, self.ranges = replica, ranges


@dataclasses.dataclass(frozen=True)
class BoxRead:
    """Pixels of a box, with what reading them cost."""

    data: np.ndarray
    box: tuple[int, int, int, int]  # (x0, x1, y0, y1) of the image the pixels are
    info: ObjectInfo  # the version the pixels come from
    stats: FetchStats
    minimum_bytes: int  # needed descriptor rows + tiles (+ header when it was read)
    fetch_s: float = 0.0  # planning and fetching
    decode_s: float = 0.0  # decompression


class MosaicReader:
    """Reads boxes of mosaics from one object store through a shared replica.

    Parameters
    ----------
    store
        Where the mosaics are.
    replica
        The local replica (shared by every process using the same directory).
    options
        Tuning.
    """

    def __init__(self, store: ObjectStore, replica: Replica, options: ReadOptions) -> None:
        self.store = store
        self.replica = replica
        self.options = options
        self._pool = ThreadPoolExecutor(
            max_workers=options.concurrency, thread_name_prefix="rangeread"
        )
        self.decode_threads = options.decode_threads or os.cpu_count() or 1
        self._decoders = ThreadPoolExecutor(
            max_workers=self.decode_threads, thread_name_prefix="decode"
        )
        self._memory = VersionMemory(options.memory_mosaics, options.stat_ttl_s)
        #: held by a cutout while it computes (:meth:`ComputeSlots.computing`), lent
        #: while this reader waits for the store
        self.slots = ComputeSlots(options.compute_slots)

    def close(self) -> None:
        """Stop the fetch and decode threads and close the store's connections."""
        self._pool.shutdown(wait=True)
        self._decoders.shutdown(wait=True)
        self.store.close()

    def __enter__(self) -> MosaicReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- metadata -------------------------------------------------------------------
    def forget(self, key: str) -> None:
        """Drop what this process knows of ``key`` (e.g. after it changed)."""
        self._memory.forget(key)

    def _head(self, key: str, stats: FetchStats) -> Known:
        """The object's version and image layout from its leading bytes (kept in the
        replica for other processes)."""
        with self.slots.waiting():
            buf, info, image = read_header(
                self.store, key, self.options.header_initial_bytes, stats
            )
        replica = self.replica.open(self.store.identity, key, info.etag, info.size)
        replica.write([(0, buf)])
        self.replica.note_version(self.store.identity, info)
        return Known(info, image, time.monotonic())

    def _from_replica(self, key: str) -> Known | None:
        """What another process already fetched: a recent version and its header bytes."""
        noted = self.replica.noted_version(self.store.identity, key, self.options.stat_ttl_s)
        if noted is None:
            return None
        replica = self.replica.open(self.store.identity, key, noted.etag, noted.size)
        present = replica.present()
        if not present or present[0][0] != 0:
            return None
        try:
            image = locate_image(replica.pread(0, present[0][1]))
        except (FitsStructureError, LookupError):
            return None
        return None if isinstance(image, int) else Known(noted, image, time.monotonic())

    def current(
        self, key: str, stats: FetchStats | None = None, refresh: bool = False
    ) -> ObjectInfo:
        """The object's version in the store, as this process saw it in the last
        ``stat_ttl_s`` seconds, else as another process noted it, else (or with
        ``refresh``) from its header: one small read, no pixels. What a read without a
        version would read.

        Raises
        ------
        NotFoundFault, TransientFault
        """
        if not refresh:
            recalled = self._memory.recall(key, None)
            if recalled is not None:
                return recalled.info
            ttl = self.options.stat_ttl_s
            noted = self.replica.noted_version(self.store.identity, key, ttl)
            if noted is not None:
                return noted
        known = self._head(key, stats or FetchStats())
        self._memory.remember(key, known)
        return known.info

    def _version(
        self, key: str, version: MosaicVersion | None, stats: FetchStats, fresh: bool
    ) -> Known:
        """What to read: the caller's version (or the one seen in its place), else a
        recent one known here or to another process, else the object's header."""
        if fresh:  # after a 412: ask the store, nothing remembered
            known = self._head(key, stats)
        elif version is not None:
            newer = self._memory.newer(key, version.info.etag)
            etag = newer.etag if newer is not None else version.info.etag
            recalled = self._memory.recall(key, etag)
            if recalled is not None:
                stats.add(memory_hits=1)
                return recalled
            if newer is None and version.image is not None:
                known = Known(version.info, version.image, time.monotonic())
            else:
                known = self._head(key, stats)
        else:
            recalled = self._memory.recall(key, None)
            if recalled is not None:
                stats.add(memory_hits=1)
                return recalled
            known = self._from_replica(key) or self._head(key, stats)
        self._memory.remember(key, known)
        return known

    def _fetch(
        self, key: str, etag: str | None, ranges: list[ByteRange], stats: FetchStats
    ) -> list[tuple[int, bytes]]:
        """Fetch ranges concurrently (one phase); return [(offset, bytes)]."""
        parts = split(ranges, self.options.part_size)
        futures = [
            self._pool.submit(self.store.read_range, key, a, b, etag, stats) for a, b in parts
        ]
        results, error = [], None
        with self.slots.waiting():
            for (a, _), future in zip(parts, futures, strict=True):
                try:
                    results.append((a, future.result()))
                except Exception as exc:  # every part is awaited before failing
                    error = error or exc
        if error is not None:
            raise error
        return results

    # -- reading -----------------------------------------------------------------
    def read_box(
        self,
        key: str,
        box: tuple[int, int, int, int],
        version: MosaicVersion | None = None,
        stats: FetchStats | None = None,
    ) -> BoxRead:
        """Read pixels ``[y0, y1) x [x0, x1)`` of the first 2-D image of ``key``.

        Parameters
        ----------
        key
            Object key of the mosaic.
        box
            (x0, x1, y0, y1), 0-based, half-open, inside the image.
        version
            The version and layout the catalog recorded: no header is read. Default:
            a version seen in the last ``stat_ttl_s`` seconds, else the header.
        stats
            Counters to add to (default: new ones).

        Returns
        -------
        BoxRead
            Its ``info`` is the version read: another than ``version`` when the
            object was replaced.

        Raises
        ------
        NotFoundFault, TransientFault, CorruptDataFault
        """
        stats = stats or FetchStats()
        fresh, evicted = False, 0
        undecodable: set[int] = set()  # checksums of the bytes that did not decode
        while True:
            try:
                return self._read_box(key, box, version, stats, fresh)
            except StaleObject:
                self._superseded_by(key, version)
                if fresh:
                    raise TransientFault(f"{key} kept changing while being read") from None
                fresh = True
            except _Undecodable as exc:  # drop what was read, fetch it again
                crc = exc.replica.checksum(exc.ranges)
                crc = -1 - len(undecodable) if crc is None else crc  # unknown: new bytes
                if crc in undecodable:  # the same bytes twice: damaged in the store
                    raise CorruptDataFault(f"{key}: cannot decode box {box}: {exc}") from None
                undecodable.add(crc)
                if len(undecodable) > DAMAGED_READS:
                    raise TransientFault(f"{key}: damaged in transit, again and again") from None
                exc.replica.drop(exc.ranges)
                self.forget(key)
            except LookupError:  # evicted between fetch and read: fetch again
                evicted += 1
                if evicted == 3:
                    raise TransientFault(f"{key}: local cache too small to hold one box") from None

    def read_image(self, key: str, stats: FetchStats | None = None) -> BoxRead:
        """The whole first 2-D image of a (small) object, e.g. a binned mosaic.

        Raises
        ------
        NotFoundFault, TransientFault, CorruptDataFault
        """
        stats = stats or FetchStats()
        ny, nx = self._version(key, None, stats, fresh=False).image.shape
        return self.read_box(key, (0, nx, 0, ny), None, stats)

    def _superseded_by(self, key: str, version: MosaicVersion | None) -> None:
        """Forget ``key`` after a 412; the next read asks the store for its header."""
        self.forget(key)
        if version is not None:
            self._memory.supersede(key, version.info.etag, None)

    def _read_box(
        self,
        key: str,
        box: tuple[int, int, int, int],
        version: MosaicVersion | None,
        stats: FetchStats,
        fresh: bool,
    ) -> BoxRead:
        start = time.perf_counter()
        known = self._version(key, version, stats, fresh)
        if version is not None and known.info.etag != version.info.etag:
            self._memory.supersede(key, version.info.etag, known.info)
        info, image = known.info, known.image
        x0, x1, y0, y1 = box
        ny, nx = image.shape
        if not (0 <= x0 < x1 <= nx and 0 <= y0 < y1 <= ny):
            raise ValueError(f"box {box} is not inside the {nx} x {ny} image")
        replica = self.replica.open(self.store.identity, key, info.etag, info.size)
        header = [(0, image.header_stop)] if fresh or version is None else []
        rows: dict[int, bytes] = {}
        if isinstance(image, CompressedImage):
            tiles = image.tiles_for_box(x0, x1, y0, y1)
            lacking = [t for t in tiles if t not in known.descriptors]
            table = merge([image.descriptor_range(t) for t in tiles])
            lacking_rows = merge([image.descriptor_range(t) for t in lacking])
            self._ensure(key, info, replica, lacking_rows, stats)
            blobs = [(a, b, replica.pread(a, b)) for a, b in lacking_rows]  # one read a run
            for t in lacking:
                lo, hi = image.descriptor_range(t)
                a, _, blob = next(x for x in blobs if x[0] <= lo and hi <= x[1])
                known.descriptors[t] = blob[lo - a : hi - a]
            rows = {t: known.descriptors[t] for t in tiles}
            try:
                heap = merge([r for t in tiles for r in image.heap_ranges(t, rows[t], info.size)])
            except FitsStructureError as exc:  # damaged in transit: drop them, read again
                known.descriptors.clear()
                raise _Undecodable(replica, table, DecodeError(str(exc))) from exc
            self._ensure(key, info, replica, heap, stats)
            needed, read = heap, merge(table + heap)  # rows are in memory now
        else:
            needed = merge(image.row_ranges(x0, x1, y0, y1))
            self._ensure(key, info, replica, needed, stats)
            read = needed
        fetched = time.perf_counter()
        data = self._decode(replica, image, box, rows, needed, read)
        decoded = time.perf_counter()
        log.info("read %s box %s: %s", key, box, stats.as_dict())
        minimum = sum(b - a for a, b in merge(header + read))
        return BoxRead(data, box, info, stats, minimum, fetched - start, decoded - fetched)

    def _ensure(
        self,
        key: str,
        info: ObjectInfo,
        replica: ReplicaFile,
        ranges: list[ByteRange],
        stats: FetchStats,
    ) -> None:
        """Fetch the missing parts of ``ranges`` (one phase) into the replica."""
        missing = replica.missing(ranges)
        stats.add(replica_hit_bytes=sum(b - a for a, b in ranges) - sum(b - a for a, b in missing))
        if not missing:
            return
        stats.add(phases=1)
        wanted = coalesce(missing, self.options.max_gap)
        replica.write(self._fetch(key, info.etag, wanted, stats))
        self.replica.note_version(self.store.identity, info)  # the store just confirmed it

    def _decode(
        self,
        replica: ReplicaFile,
        image: Image,
        box: tuple[int, int, int, int],
        rows: dict[int, bytes],
        needed: list[ByteRange],
        read: list[ByteRange],
    ) -> np.ndarray:
        """Decode the box from the replica, in bands on the decode threads; on failure
        every range ``read`` for it is to be fetched again."""
        with replica.reading(needed) as path:
            fd = os.open(path, os.O_RDONLY)
            try:
                return decode_box(
                    image,
                    box,
                    lambda a, b: os.pread(fd, b - a, a),
                    rows,
                    self._decoders,
                    2 * self.decode_threads,
                )
            except DecodeError as exc:
                raise _Undecodable(replica, read, exc) from exc
            finally:
                os.close(fd)
