"""FITS structure from header bytes, against astropy's reading of the same files."""

import numpy as np
import pytest
from astropy.io import fits

from service.rangeread.fitsmeta import (
    CompressedImage,
    FitsStructureError,
    PlainImage,
    locate_image,
)


def test_compressed_layout_matches_astropy(variety_dir, demo_archive):
    paths = sorted(variety_dir.glob("*.fz")) + sorted(demo_archive.glob("mosaics/*/*.fz"))
    for path in paths:
        raw = path.read_bytes()
        image = locate_image(raw[:200_000])
        assert isinstance(image, CompressedImage), path
        with fits.open(path, disable_image_compression=True) as hdul:
            table = hdul[1]
            assert image.data_start == table._data_offset
            assert image.row_bytes == table.header["NAXIS1"]
            assert image.shape == (table.header["ZNAXIS2"], table.header["ZNAXIS1"])
            data = table.data
            rng = np.random.default_rng(0)
            for t in rng.integers(0, image.n_tiles, 10):
                row = raw[slice(*image.descriptor_range(int(t)))]
                ranges = image.heap_ranges(int(t), row, len(raw))
                arrays = [np.asarray(data[c.name][t]) for c in image.heap_columns]
                expected = [a.astype(a.dtype.newbyteorder(">")).tobytes() for a in arrays if a.size]
                assert [raw[a:b] for a, b in ranges] == expected, (path, t)


def test_plain_images(variety_dir):
    primary = locate_image((variety_dir / "f32_plain.fits").read_bytes())
    assert isinstance(primary, PlainImage) and primary.hdu == 0 and primary.pixel_bytes == 4
    ext = locate_image((variety_dir / "i16_plain_ext.fits").read_bytes())
    assert isinstance(ext, PlainImage) and ext.hdu == 1 and ext.shape == (203, 157)


def test_short_buffers_ask_for_more_and_junk_is_refused(variety_dir):
    raw = (variety_dir / "i32_rice_rect.fits.fz").read_bytes()
    need = locate_image(raw[:2880])
    assert isinstance(need, int) and need > 2880
    assert isinstance(locate_image(raw[: need + 2880 * 10]), CompressedImage)
    with pytest.raises(FitsStructureError, match="no SIMPLE card"):
        locate_image(b"GIF89a" + bytes(3000))


def test_damaged_descriptor_rows_are_refused(demo_archive):
    """A row pointing past the object, at a negative place or at an absurd length is a
    FitsStructureError, never a range to fetch."""
    path = sorted(demo_archive.glob("mosaics/*/*.fz"))[0]
    raw = path.read_bytes()
    image = locate_image(raw[:200_000])
    row = raw[slice(*image.descriptor_range(7))]
    assert image.heap_ranges(7, row, len(raw))  # the row as written
    column = image.heap_columns[0]
    for count, offset in ((1, len(raw)), (-1, 0), (1 << 30, 0), (1, -5)):
        damaged = bytearray(row)
        kind = np.dtype(">i8" if column.descriptor == "Q" else ">i4")
        values = np.array([count, offset], kind).tobytes()
        damaged[column.row_offset : column.row_offset + len(values)] = values
        with pytest.raises(FitsStructureError, match="descriptor out of range"):
            image.heap_ranges(7, bytes(damaged), len(raw))
