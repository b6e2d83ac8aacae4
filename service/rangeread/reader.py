"""Reading a pixel box of a mosaic in at most three round-trip phases.

1. header: the leading bytes up to the image HDU's END card (one GET that also
   tells the object's size and ETag);
2. descriptors: the binary-table rows of the tiles the box touches;
3. tiles: the heap bytes of those tiles.

Each phase fetches what the replica lacks, all ranges concurrently; then cfitsio
(through fitsio) decompresses the box from the replica. Repeating a box costs no
request; a neighbouring box fetches only the tiles it lacks.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import fitsio
import numpy as np

from service.faults import CorruptDataFault, TransientFault
from service.rangeread.fitsmeta import CompressedImage, FitsStructureError, Image, locate_image
from service.rangeread.ranges import Range, coalesce, merge, split
from service.rangeread.replica import Replica, ReplicaFile
from service.settings import Settings
from service.storage.base import FetchStats, ObjectInfo, ObjectStore, StaleObject

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ReadOptions:
    """Tuning of ranged reads (from ``[storage]`` and ``[cache]`` settings)."""

    concurrency: int = 16
    part_size: int = 8 << 20
    max_gap: int = 16384
    header_initial_bytes: int = 8 * 2880
    stat_ttl_s: float = 300.0
    memory_mosaics: int = 64


@dataclasses.dataclass
class _Known:
    """What this process remembers of one object version."""

    info: ObjectInfo
    image: Image
    checked_at: float
    descriptors: dict[int, bytes] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class BoxRead:
    """Pixels of a box, with what reading them cost."""

    data: np.ndarray
    info: ObjectInfo
    stats: FetchStats
    minimum_bytes: int  # header + needed descriptor rows + needed tiles
    fetch_s: float = 0.0  # planning and fetching
    decode_s: float = 0.0  # cfitsio decompression


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
        self._known: collections.OrderedDict[str, _Known] = collections.OrderedDict()
        self._lock = threading.Lock()

    def close(self) -> None:
        """Stop the fetch threads and close the store's connections."""
        self._pool.shutdown(wait=True)
        self.store.close()

    def __enter__(self) -> MosaicReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- metadata -------------------------------------------------------------------
    def _remember(self, key: str, known: _Known) -> None:
        with self._lock:
            self._known[key] = known
            self._known.move_to_end(key)
            while len(self._known) > self.options.memory_mosaics:
                self._known.popitem(last=False)

    def forget(self, key: str) -> None:
        """Drop what this process knows of ``key`` (e.g. after it changed)."""
        with self._lock:
            self._known.pop(key, None)

    def _recall(self, key: str, etag: str | None) -> _Known | None:
        with self._lock:
            known = self._known.get(key)
        if known is None:
            return None
        fresh = time.monotonic() - known.checked_at < self.options.stat_ttl_s
        if (etag is not None and known.info.etag == etag) or (etag is None and fresh):
            return known
        return None

    def _head(self, key: str, stats: FetchStats) -> _Known:
        """Phase 1: leading bytes of the object, up to the image header's end."""
        want = self.options.header_initial_bytes
        buf = b""
        info: ObjectInfo | None = None
        while True:
            stats.add(phases=1)
            if info is None:
                first = self._fetch(key, None, [(0, want)], stats, probe=True)
                buf, info = first
            else:
                more = self._fetch(key, info.etag, [(len(buf), min(want, info.size))], stats)
                buf += more[0][1]
            try:
                image = locate_image(buf)
            except FitsStructureError as exc:
                raise CorruptDataFault(f"{key}: {exc}") from exc
            if not isinstance(image, int):
                break
            if len(buf) >= info.size:
                raise CorruptDataFault(f"{key}: no 2-D image found")
            want = min(max(image, 2 * len(buf)), info.size)
        replica = self.replica.open(self.store.identity, key, info.etag, info.size)
        replica.write([(0, buf)])
        self.replica.note_version(self.store.identity, info)
        return _Known(info, image, time.monotonic())

    def _from_replica(self, key: str, etag: str | None) -> _Known | None:
        """What another process already fetched: a recent version and its header bytes."""
        noted = self.replica.noted_version(self.store.identity, key, self.options.stat_ttl_s)
        if noted is None or (etag is not None and noted.etag != etag):
            return None
        replica = self.replica.open(self.store.identity, key, noted.etag, noted.size)
        present = replica.present()
        if not present or present[0][0] != 0:
            return None
        try:
            image = locate_image(replica.pread(0, present[0][1]))
        except (FitsStructureError, LookupError):
            return None
        return None if isinstance(image, int) else _Known(noted, image, time.monotonic())

    def _fetch(
        self,
        key: str,
        etag: str | None,
        ranges: list[Range],
        stats: FetchStats,
        probe: bool = False,
    ) -> object:
        """Fetch ranges concurrently; return [(offset, bytes)] (and info when probing)."""
        if probe:
            return self.store.read_head(key, ranges[0][1], stats)
        parts = split(ranges, self.options.part_size)
        futures = [
            self._pool.submit(self.store.read_range, key, a, b, etag, stats) for a, b in parts
        ]
        results, error = [], None
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
        etag: str | None = None,
        stats: FetchStats | None = None,
    ) -> BoxRead:
        """Read pixels ``[y0, y1) x [x0, x1)`` of the first 2-D image of ``key``.

        Parameters
        ----------
        key
            Object key of the mosaic.
        box
            (x0, x1, y0, y1), 0-based, half-open, inside the image.
        etag
            Expected version (e.g. from the catalog); default: the last seen one,
            trusted for ``stat_ttl_s`` seconds.
        stats
            Counters to add to (default: new ones).

        Returns
        -------
        BoxRead

        Raises
        ------
        NotFoundFault, TransientFault, CorruptDataFault
        """
        stats = stats or FetchStats()
        for attempt in range(3):
            try:
                return self._read_box(key, box, etag, stats)
            except StaleObject:
                self.forget(key)
                if attempt:
                    raise TransientFault(f"{key} kept changing while being read") from None
            except LookupError:  # evicted between fetch and read: fetch again
                if attempt == 2:
                    raise TransientFault(f"{key}: local cache too small to hold one box") from None
        raise AssertionError("unreachable")

    def _read_box(
        self, key: str, box: tuple[int, int, int, int], etag: str | None, stats: FetchStats
    ) -> BoxRead:
        start = time.perf_counter()
        known = self._recall(key, etag)
        if known is not None:
            stats.add(memory_hits=1)
        else:
            known = self._from_replica(key, etag) or self._head(key, stats)
            if etag is not None and known.info.etag != etag:
                raise StaleObject(key)
            self._remember(key, known)
        info, image = known.info, known.image
        x0, x1, y0, y1 = box
        ny, nx = image.shape
        if not (0 <= x0 < x1 <= nx and 0 <= y0 < y1 <= ny):
            raise ValueError(f"box {box} is not inside the {nx} x {ny} image")
        replica = self.replica.open(self.store.identity, key, info.etag, info.size)
        header = [(0, image.header_stop)]
        if isinstance(image, CompressedImage):
            tiles = image.tiles_for_box(x0, x1, y0, y1)
            rows = merge([image.descriptor_range(t) for t in tiles])
            self._ensure(key, info, replica, merge(header + rows), stats)
            heap: list[Range] = []
            for t in tiles:
                row = known.descriptors.get(t)
                if row is None:
                    row = replica.pread(*image.descriptor_range(t))
                    known.descriptors[t] = row
                heap += image.heap_ranges(t, row)
            heap = merge(heap)
            self._ensure(key, info, replica, heap, stats)
            needed = merge(header + rows + heap)
        else:
            needed = merge(header + image.row_ranges(x0, x1, y0, y1))
            self._ensure(key, info, replica, needed, stats)
        fetched = time.perf_counter()
        data = self._decompress(key, replica, image, box, needed)
        decoded = time.perf_counter()
        log.info("read %s box %s: %s", key, box, stats.as_dict())
        return BoxRead(
            data, info, stats, sum(b - a for a, b in needed), fetched - start, decoded - fetched
        )

    def _ensure(
        self,
        key: str,
        info: ObjectInfo,
        replica: ReplicaFile,
        ranges: list[Range],
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

    def _decompress(
        self,
        key: str,
        replica: ReplicaFile,
        image: Image,
        box: tuple[int, int, int, int],
        needed: list[Range],
    ) -> np.ndarray:
        x0, x1, y0, y1 = box
        try:
            with replica.reading(needed) as path, fitsio.FITS(str(path)) as fits_file:
                return fits_file[image.hdu][y0:y1, x0:x1]
        except LookupError:
            raise
        except (OSError, ValueError, RuntimeError) as exc:
            raise CorruptDataFault(f"{key}: cannot decode box {box}: {exc}") from exc


def read_options(settings: Settings) -> ReadOptions:
    """Reading options from the ``[storage]`` and ``[cache]`` settings."""
    st, cache = settings.storage, settings.cache
    return ReadOptions(
        concurrency=st.concurrency,
        part_size=st.part_size,
        max_gap=st.max_gap,
        header_initial_bytes=st.header_initial_bytes,
        stat_ttl_s=cache.stat_ttl_s,
        memory_mosaics=cache.memory_mosaics,
    )


def open_reader(settings: Settings, store: ObjectStore) -> MosaicReader:
    """A reader over ``store`` with the configured replica and options."""
    cache = settings.cache
    replica = Replica(cache.path(), cache.budget_bytes, poison=cache.poison_holes)
    return MosaicReader(store, replica, read_options(settings))
