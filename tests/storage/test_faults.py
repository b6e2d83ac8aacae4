"""Faults: an S3 endpoint that fails, stalls or truncates; missing and corrupt objects."""

from __future__ import annotations

import dataclasses

import fitsio
import numpy as np
import pytest

from service.faults import CorruptDataFault, NotFoundFault, TransientFault
from service.rangeread.fitsmeta import locate_image
from service.rangeread.reader import MosaicReader, ReadOptions
from service.rangeread.replica import Replica
from service.storage.base import FetchStats
from service.storage.local import LocalStore
from service.storage.s3 import S3Store
from tests.conftest import TEST_POLICY
from tests.servers import FaultProxy

KEY = "demo/mosaics/a/a03393_00.fits.fz"
BOX = (300, 800, 400, 900)


@pytest.fixture
def proxy(moto_server, s3_bucket):
    server = FaultProxy(moto_server.url, stall_s=2.0)
    yield server
    server.stop()


def reader_via(proxy: FaultProxy, cache, part_size: int = 8 << 20, **options) -> MosaicReader:
    policy = dataclasses.replace(TEST_POLICY, read_timeout_s=0.7)  # shorter than a stall
    store = S3Store("platecut-test", "", policy, endpoint_url=proxy.url)
    options = ReadOptions(concurrency=4, part_size=part_size, **options)
    return MosaicReader(store, Replica(cache, 1 << 32, poison=True), options)


def gzip_key(objects_root) -> str:
    """A GZIP-compressed demo mosaic: its tiles fail their CRC when a byte changes."""
    return next(
        str(p.relative_to(objects_root))
        for p in sorted((objects_root / "demo" / "mosaics").glob("*/*.fz"))
        if fitsio.read_header(str(p), ext=1)["ZCMPTYPE"] == "GZIP_1"
    )


def expected(objects_root, box=BOX):
    x0, x1, y0, y1 = box
    return fitsio.read(str(objects_root / KEY), ext=1)[y0:y1, x0:x1]


@pytest.mark.parametrize("fault", ["503", "throttle", "stall", "truncate", "reset"])
def test_transient_faults_are_retried_to_the_right_pixels(proxy, objects_root, tmp_path, fault):
    proxy.faults.extend([fault, fault])
    with reader_via(proxy, tmp_path) as reader:
        stats = FetchStats()
        got = reader.read_box(KEY, BOX, stats=stats)
    np.testing.assert_array_equal(got.data, expected(objects_root))
    assert stats.retries >= 2
    assert proxy.seen.count(("GET", fault)) == 2


def test_exhausted_retries_fail_clearly_and_cache_nothing_partial(proxy, objects_root, tmp_path):
    with reader_via(proxy, tmp_path, part_size=65536) as reader:
        first = reader.read_box(KEY, (0, 10, 0, 10))
        replica = reader.replica.open(reader.store.identity, KEY, first.info.etag, first.info.size)
        before = replica.present()
        # several parts of the next phase succeed, then every request fails
        seen_before = len(proxy.seen)
        proxy.faults.extend(["ok"] * 3 + ["503"] * 400)
        with pytest.raises(TransientFault, match="did not answer after 4 attempts"):
            reader.read_box(KEY, BOX)
        assert len(proxy.seen) > seen_before + 3
        assert replica.present() == before  # nothing of the failed phase was recorded
        proxy.faults.clear()
        again = reader.read_box(KEY, BOX)
    np.testing.assert_array_equal(again.data, expected(objects_root))


def test_missing_objects_are_not_found(store, tmp_path):
    reader = MosaicReader(store, Replica(tmp_path, 1 << 30), ReadOptions())
    with pytest.raises(NotFoundFault, match="not found"):
        reader.read_box("demo/mosaics/a/zz99999_00.fits.fz", (0, 1, 0, 1))


def test_corrupt_tile_is_a_clear_error(demo_archive, tmp_path):
    source = next(
        p
        for p in sorted(demo_archive.glob("mosaics/a/*.fz"))
        if fitsio.read_header(str(p), ext=1)["ZCMPTYPE"] == "GZIP_1"
    )
    raw = bytearray(source.read_bytes())
    image = locate_image(bytes(raw[:100_000]))
    row = bytes(raw[slice(*image.descriptor_range(500))])
    start, stop = image.heap_ranges(500, row, len(raw))[0]
    raw[start + 10 : stop - 10] = bytes(stop - start - 20)  # zero the middle of the stream
    (tmp_path / "bad.fits.fz").write_bytes(bytes(raw))
    reader = MosaicReader(LocalStore(tmp_path), Replica(tmp_path / "cache", 1 << 30), ReadOptions())
    with pytest.raises(CorruptDataFault, match="bad.fits.fz: cannot decode box"):
        reader.read_box("bad.fits.fz", (0, 100, 495, 505))
    # other rows of the same object still read correctly
    good = reader.read_box("bad.fits.fz", (0, 100, 0, 10)).data
    np.testing.assert_array_equal(good, fitsio.read(str(source), ext=1)[0:10, 0:100])


@pytest.mark.parametrize("fault", ["short", "truncate", "503", "reset"])
def test_4_whole_objects_are_checked_against_their_size(proxy, objects_root, fault):
    """A sidecar or header file read whole: a body cut short, even with a Content-Length
    that agrees with it, is retried (the object's size is in Content-Range)."""
    policy = dataclasses.replace(TEST_POLICY, read_timeout_s=0.7)
    store = S3Store("platecut-test", "", policy, endpoint_url=proxy.url)
    key = "demo/plates/a/a03393.json"
    proxy.faults.extend([fault])
    stats = FetchStats()
    assert store.read_all(key, stats) == (objects_root / key).read_bytes()
    assert stats.retries == 1
    proxy.always = "short"
    with pytest.raises(TransientFault, match="did not answer after 4 attempts"):
        store.read_all(key, FetchStats())
    store.close()


def test_412_mid_read_reads_the_current_version(proxy, objects_root, tmp_path):
    """The store says the object changed (412): the reader asks for its header again and
    reads the version the store holds."""
    with reader_via(proxy, tmp_path) as reader:
        reader.read_box(KEY, (0, 10, 0, 10))
        proxy.faults.extend(["412"])
        got = reader.read_box(KEY, BOX)
    np.testing.assert_array_equal(got.data, expected(objects_root))


def test_5_damaged_replica_bytes_are_detected_and_fetched_again(objects_root, tmp_path):
    """Bytes of the replica changed on disk after they were stored (a bad disk, a stray
    write): a fresh process finds them failing their checksum and fetches them again;
    the pixels are right."""
    store = LocalStore(objects_root)
    with MosaicReader(store, Replica(tmp_path, 1 << 32), ReadOptions()) as reader:
        first = reader.read_box(KEY, BOX)
    np.testing.assert_array_equal(first.data, expected(objects_root))
    (data_file,) = tmp_path.glob("*.data")
    (sums_file,) = tmp_path.glob("*.sums")
    start, stop, _ = (
        int(v, 16) if i == 2 else int(v)
        for i, v in enumerate(sums_file.read_text().split("\n")[-2].split())
    )
    with open(data_file, "r+b") as f:  # damage the last stored part
        f.seek((start + stop) // 2)
        f.write(b"\xff\x00\xff\x00")
    stats = FetchStats()
    with MosaicReader(store, Replica(tmp_path, 1 << 32), ReadOptions()) as reader:  # a new process
        again = reader.read_box(KEY, BOX, stats=stats)
    np.testing.assert_array_equal(again.data, expected(objects_root))
    assert stats.bytes_fetched >= stop - start  # the damaged part was fetched again
    stats = FetchStats()
    with MosaicReader(store, Replica(tmp_path, 1 << 32), ReadOptions()) as reader:
        reader.read_box(KEY, BOX, stats=stats)
    assert stats.bytes_fetched == 0  # and is whole now


def test_5_bytes_that_do_not_decode_are_fetched_once_more(proxy, objects_root, tmp_path):
    """A tile body damaged in transit so that it no longer decodes (a GZIP tile: its CRC
    fails) is dropped from the replica and fetched again; the pixels are right."""
    key = gzip_key(objects_root)
    box = (100, 400, 200, 300)
    truth = fitsio.read(str(objects_root / key), ext=1)[200:300, 100:400]
    with reader_via(proxy, tmp_path / "a") as reader:
        reader.read_box(key, box)
    gets = [m for m, _ in proxy.seen if m == "GET"]
    proxy.seen.clear()
    proxy.faults.extend(["ok"] * (len(gets) - 1) + ["corrupt"])  # the last GET: the tiles
    with reader_via(proxy, tmp_path / "b") as reader:
        stats = FetchStats()
        got = reader.read_box(key, box, stats=stats)
    np.testing.assert_array_equal(got.data, truth)
    assert ("GET", "corrupt") in proxy.seen
    assert sum(m == "GET" for m, _ in proxy.seen) > len(gets)  # fetched once more


@pytest.mark.parametrize("damaged", [0, 1], ids=["descriptors", "tiles"])
def test_5_a_damaged_body_of_either_phase_is_fetched_once_more(
    proxy, objects_root, tmp_path, damaged
):
    """A byte changed in the descriptor rows (tile offsets and lengths: they may point
    outside the heap) or in the tiles of a GZIP plate: the reader drops what it read and
    fetches it once more; the pixels are right and nothing absurd is fetched."""
    key = gzip_key(objects_root)
    box = (0, 500, 100, 400)
    truth = fitsio.read(str(objects_root / key), ext=1)[100:400, 0:500]
    # a first read of 2 blocks: the header, not the tile table behind it
    with reader_via(proxy, tmp_path / "a", header_initial_bytes=2 * 2880) as reader:
        reader.read_box(key, (0, 10, 0, 10))  # the header, known from now on
        proxy.seen.clear()
        reader.read_box(key, (0, 10, 20, 30))
        assert len(proxy.seen) == 2  # the descriptor rows, then the tiles
        proxy.seen.clear()
        proxy.faults.extend(["ok"] * damaged + ["corrupt"])
        stats = FetchStats()
        got = reader.read_box(key, box, stats=stats)
    np.testing.assert_array_equal(got.data, truth)
    assert proxy.seen[damaged] == ("GET", "corrupt")
    assert len(proxy.seen) > 2  # fetched once more
    assert stats.bytes_fetched < 4 * (objects_root / key).stat().st_size
