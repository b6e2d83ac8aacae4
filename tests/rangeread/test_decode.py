"""Parallel tile decoding against cfitsio (fitsio) reading the same boxes, bit for bit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import fitsio
import numpy as np
import pytest

from service.rangeread.decode import DecodeError, decode_box, output_dtype
from service.rangeread.fitsmeta import (
    CompressedImage,
    layout_from_json,
    layout_to_json,
    locate_image,
)


def files(variety_dir, demo_archive):
    return sorted(variety_dir.glob("*")) + sorted(demo_archive.glob("mosaics/*/*.fz"))


def opened(path):
    """Layout (through its JSON form, as the catalog keeps it), bytes and table rows."""
    raw = path.read_bytes()
    image = layout_from_json(layout_to_json(locate_image(raw[:300_000])))
    rows = None
    if isinstance(image, CompressedImage):
        rows = {t: raw[slice(*image.descriptor_range(t))] for t in range(image.n_tiles)}
    return image, raw, rows


def same(got, expected):
    return got.dtype == expected.dtype and np.array_equal(
        got, expected, equal_nan=expected.dtype.kind == "f"
    )


def test_every_compression_and_type_is_bit_identical_to_cfitsio(variety_dir, demo_archive):
    rng = np.random.default_rng(5)
    kinds = set()
    with ThreadPoolExecutor(4) as pool:
        for path in files(variety_dir, demo_archive):
            image, raw, rows = opened(path)
            full = fitsio.read(str(path), ext=image.hdu)
            ny, nx = full.shape
            assert output_dtype(image.scaling) == full.dtype, path.name

            def read(a, b, raw=raw):
                return raw[a:b]

            for parts in (1, 3, 8):
                whole = decode_box(image, (0, nx, 0, ny), read, rows, pool, parts)
                assert same(whole, full), (path.name, parts)
            for _ in range(12):
                x0, y0 = int(rng.integers(0, nx - 1)), int(rng.integers(0, ny - 1))
                x1, y1 = int(rng.integers(x0 + 1, nx + 1)), int(rng.integers(y0 + 1, ny + 1))
                got = decode_box(image, (x0, x1, y0, y1), read, rows, pool, 4)
                assert same(got, full[y0:y1, x0:x1]), (path.name, (x0, x1, y0, y1))
            kinds.add(getattr(image, "compression", "plain"))
    assert kinds >= {"RICE_1", "GZIP_1", "GZIP_2", "HCOMPRESS_1", "PLIO_1", "plain"}


def test_concurrent_decodes_of_stateful_codecs_stay_exact(variety_dir):
    """HCOMPRESS keeps static state in cfitsio and dithering a static table: many
    threads decoding at once must still give cfitsio's pixels."""
    jobs = []
    for name in ("i32_hcompress.fits.fz", "f32_quant_dither.fits.fz", "u8_rice_rows.fits.fz"):
        path = variety_dir / name
        image, raw, rows = opened(path)
        jobs.append((image, raw, rows, fitsio.read(str(path), ext=image.hdu)))

    def one(job):
        image, raw, rows, full = job
        ny, nx = full.shape
        got = decode_box(image, (0, nx, 0, ny), lambda a, b: raw[a:b], rows)
        return same(got, full)

    with ThreadPoolExecutor(8) as pool:
        assert all(pool.map(one, jobs * 40))


def test_corrupt_tile_bytes_raise_decode_error(demo_archive):
    path = next(
        p
        for p in sorted(demo_archive.glob("mosaics/*/*.fz"))
        if fitsio.read_header(str(p), ext=1)["ZCMPTYPE"] == "RICE_1"
    )
    image, raw, rows = opened(path)
    start, stop = image.heap_ranges(3, rows[3], len(raw))[0]
    broken = bytearray(raw)
    broken[start:stop] = bytes(stop - start)
    with pytest.raises(DecodeError, match="RICE_1"):
        decode_box(image, (0, 10, 3, 4), lambda a, b: bytes(broken[a:b]), rows)
