"""Small real FITS files covering every compression and data type cfitsio writes."""

from __future__ import annotations

from pathlib import Path

import fitsio
import numpy as np
from astropy.io import fits

SHAPE = (203, 157)  # odd sizes: partial tiles on both axes


def _ints(rng: np.random.Generator, dtype: str, low: int, high: int) -> np.ndarray:
    base = rng.integers(low, high, SHAPE)
    smooth = np.add.outer(np.arange(SHAPE[0]), np.arange(SHAPE[1])) % (high - low)
    return ((base + smooth) % (high - low) + low).astype(dtype)


def write_variety(root: Path) -> dict[str, str]:
    """Write the files; return name -> short description."""
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(42)
    written: dict[str, str] = {}

    def fitsio_write(name: str, data: np.ndarray, what: str, **kwargs: object) -> None:
        with fitsio.FITS(str(root / name), "rw", clobber=True) as f:
            f.write(data, **kwargs)
        written[name] = what

    fitsio_write(
        "u8_rice_rows.fits.fz",
        _ints(rng, "u1", 0, 255),
        "BITPIX 8, Rice rows",
        compress="RICE",
        tile_dims=[1, SHAPE[1]],
    )
    fitsio_write(
        "i16_gzip2_squares.fits.fz",
        _ints(rng, "i2", -3000, 3000),
        "BITPIX 16, GZIP_2 32x32",
        compress="GZIP_2",
        tile_dims=[32, 32],
    )
    fitsio_write(
        "i32_rice_rect.fits.fz",
        _ints(rng, "i4", -(10**6), 10**6),
        "BITPIX 32, Rice 10x40",
        compress="RICE",
        tile_dims=[10, 40],
    )
    fitsio_write(
        "i32_hcompress.fits.fz",
        _ints(rng, "i4", 0, 60000),
        "BITPIX 32, HCOMPRESS_1 lossless 16x16",
        compress="HCOMPRESS",
        tile_dims=[16, 16],
        hcomp_scale=0.0,
    )
    fitsio_write(
        "i16_plio.fits.fz",
        _ints(rng, "i2", 0, 4000),
        "BITPIX 16, PLIO_1 rows",
        compress="PLIO",
        tile_dims=[1, SHAPE[1]],
    )
    floats = rng.normal(100.0, 5.0, SHAPE).astype("f4")
    floats[rng.random(SHAPE) < 0.01] = np.nan
    fitsio_write(
        "f32_quant_dither.fits.fz",
        floats,
        "BITPIX -32 quantized, dithered, NaN",
        compress="RICE",
        tile_dims=[8, SHAPE[1]],
        qlevel=16.0,
        qmethod="SUBTRACTIVE_DITHER_1",
    )
    fitsio_write(
        "f64_gzip1_lossless.fits.fz",
        rng.normal(0, 1e5, SHAPE),
        "BITPIX -64, GZIP_1 lossless",
        compress="GZIP",
        tile_dims=[1, SHAPE[1]],
        qlevel=None,
    )
    fitsio_write(
        "f32_gzip2_lossless.fits.fz",
        floats,
        "BITPIX -32, GZIP_2 lossless, NaN",
        compress="GZIP_2",
        tile_dims=[20, 20],
        qlevel=None,
    )

    # BSCALE/BZERO and BLANK, written by astropy's own tile compression
    raw = _ints(rng, "i2", -2000, 2000)
    raw[rng.random(SHAPE) < 0.02] = -32768
    header = fits.Header()
    header["BLANK"] = -32768
    hdu = fits.CompImageHDU(
        raw, header=header, compression_type="RICE_1", tile_shape=(4, SHAPE[1]), quantize_level=None
    )
    hdu.scale("int16", bscale=0.5, bzero=1000.0)
    hdu.header["BLANK"] = -32768
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(
        root / "i16_bscale_blank.fits.fz", overwrite=True
    )
    written["i16_bscale_blank.fits.fz"] = "BITPIX 16 with BSCALE/BZERO and BLANK"

    fits.PrimaryHDU(floats).writeto(root / "f32_plain.fits", overwrite=True)
    written["f32_plain.fits"] = "uncompressed BITPIX -32 primary image"
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(_ints(rng, "i2", 0, 30000))]).writeto(
        root / "i16_plain_ext.fits", overwrite=True
    )
    written["i16_plain_ext.fits"] = "uncompressed BITPIX 16 image extension"
    return written


def independent_minimum(
    path: Path, box: tuple[int, int, int, int], with_header: bool = True
) -> int:
    """Header + descriptor rows + compressed tiles of a box, from astropy's view of the file."""
    x0, x1, y0, y1 = box
    with fits.open(path, disable_image_compression=True) as hdul:
        table = hdul[1]
        header = table.header
        header_bytes = table._data_offset  # bytes before the table: both headers
        tx, ty = header["ZTILE1"], header["ZTILE2"]
        ntx = -(-header["ZNAXIS1"] // tx)
        tiles = [
            r * ntx + c
            for r in range(y0 // ty, (y1 - 1) // ty + 1)
            for c in range(x0 // tx, (x1 - 1) // tx + 1)
        ]
        heap = 0
        for name in table.columns.names:
            if table.columns[name].format.startswith(("1P", "1Q", "P", "Q")):
                column = table.data[name]
                heap += sum(column[t].nbytes for t in tiles)
        return header_bytes * with_header + len(tiles) * header["NAXIS1"] + heap
