"""Pixels of a box from the bytes of its tiles (or rows), decoded on every core.

The tile codecs are the C implementations astropy ships (derived from cfitsio's:
Rice, HCOMPRESS, PLIO) and zlib (GZIP_1, GZIP_2); they release the GIL, so the
tiles of a box are decoded by a thread pool in bands of tile rows, each band
writing its part of the output array. Values and types are those fitsio (cfitsio)
returns for the same box, which the tests check bit for bit on every compression,
data type, quantisation and scaling:

* integers keep their type, with the unsigned conventions (BZERO 2^15, 2^31, 2^63,
  BITPIX 8 with BZERO -128) giving unsigned (signed) types; other BSCALE/BZERO give
  float32 (8 and 16 bits) or float64; BLANK values are left as they are;
* quantised floats are restored with their tile's ZSCALE/ZZERO and dither seed,
  nulls (ZBLANK) become NaN.

Depends on :mod:`service.rangeread.fitsmeta` only.
"""

from __future__ import annotations

import math
import threading
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import Executor

import numpy as np
from astropy.io.fits.hdu.compressed._compression import (
    compress_rice_1_c,
    decompress_hcompress_1_c,
    decompress_plio_1_c,
    decompress_rice_1_c,
    unquantize_float_c,
)
from astropy.io.fits.hdu.compressed._quantization import DITHER_METHODS, Quantize

from service.rangeread.fitsmeta import CompressedImage, Image, PlainImage, Scaling

#: reads bytes ``[start, stop)`` of the object (from the replica)
ByteReader = Callable[[int, int], bytes]

_UNSIGNED = {(8, -128.0): np.int8, (16, 32768.0): np.uint16, (32, 2.0**31): np.uint32}
_UNSIGNED[(64, 2.0**63)] = np.uint64
_PLAIN = {8: np.uint8, 16: np.int16, 32: np.int32, 64: np.int64, -32: np.float32}
_PLAIN[-64] = np.float64


class DecodeError(ValueError):
    """Tile bytes that do not decode to the tile's pixels."""


# cfitsio's HCOMPRESS decoder keeps its bit buffer in static variables: one at a time.
_HCOMPRESS = threading.Lock()
_WARM = threading.Lock()
_warmed = False


def warm_up() -> None:
    """Build the codecs' static tables (Rice's bit counts, the dither sequence) once,
    in one thread: cfitsio fills them on first use without a lock."""
    global _warmed
    with _WARM:
        if _warmed:
            return
        ints = np.arange(64, dtype=np.int32)
        decompress_rice_1_c(compress_rice_1_c(ints.tobytes(), 32, 4), 32, 4, 64)
        unquantize_float_c(ints.tobytes(), 1, 64, 1.0, 0.0, 1, 0, 0, 0.0, 4)
        _warmed = True


def output_dtype(scaling: Scaling) -> np.dtype:
    """The type fitsio gives pixels of this scaling."""
    bitpix, scale, zero = scaling.bitpix, scaling.bscale, scaling.bzero
    if bitpix > 0 and scale == 1.0 and (bitpix, zero) in _UNSIGNED:
        return np.dtype(_UNSIGNED[(bitpix, zero)])
    if scale == 1.0 and zero == 0.0:
        return np.dtype(_PLAIN[bitpix])
    return np.dtype(np.float32 if bitpix in (8, 16, -32) else np.float64)


def _scale(values: np.ndarray, scaling: Scaling, dtype: np.dtype) -> np.ndarray:
    """Stored numbers (native, integer or float) -> pixel values of ``dtype``."""
    if scaling.bscale == 1.0 and scaling.bzero == 0.0:
        return values.astype(dtype, copy=False)
    if dtype.kind in "iu":  # an unsigned convention: an exact integer offset
        bitpix = scaling.bitpix
        stored = np.dtype(np.uint8) if bitpix == 8 else np.dtype(f"i{bitpix // 8}")
        return _offset(values.astype(stored, copy=False), dtype)
    return (values.astype(np.float64) * scaling.bscale + scaling.bzero).astype(dtype)


def _offset(stored: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """Apply an unsigned-convention BZERO exactly: flip the sign bit."""
    if stored.dtype == np.uint8:  # BITPIX 8, BZERO -128 -> int8
        return (stored ^ np.uint8(0x80)).view(np.int8).astype(dtype, copy=False)
    unsigned = stored.view(stored.dtype.str.replace("i", "u"))
    flip = unsigned.dtype.type(1 << (8 * unsigned.dtype.itemsize - 1))
    return (unsigned ^ flip).astype(dtype, copy=False)


def _finalize(raw: bytes, n: int, bitpix: int, lossless_float: bool) -> np.ndarray:
    """Bytes of a GZIP or uncompressed tile -> native numbers (type from their size)."""
    width = len(raw) // n if n else 0
    if width * n != len(raw) or width not in (1, 2, 4, 8):
        raise DecodeError(f"{len(raw)} bytes for {n} pixels")
    if width in (4, 8) and bitpix < 0 and lossless_float:
        kind = f">f{width}"
    else:
        kind = ">u1" if width == 1 else f">i{width}"
    return np.frombuffer(raw, kind).astype(kind[1:], copy=False)


def _gunzip(data: bytes) -> bytes:
    try:
        return zlib.decompress(data, 47)  # gzip or zlib stream
    except zlib.error as exc:
        raise DecodeError(f"GZIP stream: {exc}") from exc


def _decompress(image: CompressedImage, data: bytes, shape: tuple[int, int]) -> np.ndarray:
    """One tile's COMPRESSED_DATA -> native numbers, ``shape``."""
    n = shape[0] * shape[1]
    algorithm = image.compression
    bitpix = image.scaling.bitpix
    lossless = not image.quantize
    try:
        if algorithm in ("RICE_1", "RICE_ONE"):
            bytepix = int(image.codec_value("BYTEPIX", 4))
            blocksize = int(image.codec_value("BLOCKSIZE", 32))
            out = np.frombuffer(decompress_rice_1_c(data, blocksize, bytepix, n), f"i{bytepix}")
            values = out[:n]
        elif algorithm == "GZIP_1" or algorithm == "NOCOMPRESS":
            raw = _gunzip(data) if algorithm == "GZIP_1" else data
            values = _finalize(raw, n, bitpix, lossless)
        elif algorithm == "GZIP_2":
            raw = _gunzip(data)
            width = len(raw) // n if n else 0
            if width * n != len(raw) or width == 0:
                raise DecodeError(f"{len(raw)} bytes for {n} pixels")
            shuffled = np.frombuffer(raw, np.uint8).reshape(width, n).T
            values = _finalize(shuffled.tobytes(), n, bitpix, lossless)
        elif algorithm == "HCOMPRESS_1":
            scale = int(image.codec_value("SCALE", 0))
            smooth = int(image.codec_value("SMOOTH", 0))
            rows, cols = shape
            with _HCOMPRESS:
                raw = decompress_hcompress_1_c(data, rows, cols, scale, smooth, 8)
            values = np.frombuffer(raw, "i4")
        elif algorithm == "PLIO_1":
            values = np.frombuffer(decompress_plio_1_c(data, n), "i4")[:n]
        else:
            raise DecodeError(f"compression {algorithm!r} is not supported")
    except DecodeError:
        raise
    except Exception as exc:  # the C codecs raise their own error types
        raise DecodeError(f"{algorithm}: {exc}") from exc
    if values.size != n:
        raise DecodeError(f"{algorithm} gave {values.size} values for {n} pixels")
    return values.reshape(shape)


def _heap_bytes(image: CompressedImage, name: str, row: bytes, read: ByteReader) -> bytes | None:
    """The heap array of column ``name`` of one tile row, native element order."""
    for column in image.heap_columns:
        if column.name == name:
            count, offset = column.count_offset(row)
            if count == 0:
                return None
            start = image.heap_start + offset
            data = read(start, start + count * column.element_size)
            if column.element_size > 1:  # e.g. PLIO's 16-bit words: to native order
                kind = f">i{column.element_size}"
                data = np.frombuffer(data, kind).astype(kind[1:]).tobytes()
            return data
    return None


def decode_tile(
    image: CompressedImage,
    tile: int,
    row: bytes,
    read: ByteReader,
    window: tuple[int, int, int, int] | None = None,
) -> np.ndarray:
    """Pixels of one tile, or of its ``window`` (x0, x1, y0, y1 in the tile's own
    pixels), with the values and type fitsio gives. Integers are cut to the window
    before they are scaled: of a row tile 20,000 px wide, a stamp scales its columns.

    Raises
    ------
    DecodeError
        If its bytes do not decode.
    """
    x0, x1, y0, y1 = image.tile_box(tile)
    shape = (y1 - y0, x1 - x0)
    dtype = output_dtype(image.scaling)
    values = {c.name: c.value(row) for c in image.scalar_columns}
    data = _heap_bytes(image, "COMPRESSED_DATA", row, read)
    if data is None:  # raw floats kept when they did not quantise well
        gzipped = _heap_bytes(image, "GZIP_COMPRESSED_DATA", row, read)
        if gzipped is not None:
            stored = _finalize(_gunzip(gzipped), shape[0] * shape[1], image.scaling.bitpix, True)
        else:
            plain = _heap_bytes(image, "UNCOMPRESSED_DATA", row, read)
            if plain is None:
                raise DecodeError(f"tile {tile} has no data")
            stored = _finalize(plain, shape[0] * shape[1], image.scaling.bitpix, True)
        return _scale(_cut(stored.reshape(shape), window), image.scaling, dtype)
    stored = _decompress(image, data, shape)
    if image.quantize:
        zblank = values.get("ZBLANK", image.zblank)
        method = DITHER_METHODS.get(image.quantize, -1)
        quantize = Quantize(
            row=(tile + image.dither_seed) if method != -1 else 0,
            dither_method=method,
            quantize_level=None,
            bitpix=image.scaling.bitpix,
        )
        floats = np.asarray(
            quantize.decode_quantized(stored, values["ZSCALE"], values["ZZERO"])
        ).reshape(shape)
        floats = floats.astype(dtype if dtype.kind == "f" else np.float64)
        if zblank is not None:
            floats = np.where(stored == zblank, np.nan, floats)
        floats = _cut(floats, window)  # dithered by their place in the whole tile
        return _scale(floats, Scaling(-32, image.scaling.bscale, image.scaling.bzero), dtype)
    return _scale(_cut(stored, window), image.scaling, dtype)


def _cut(pixels: np.ndarray, window: tuple[int, int, int, int] | None) -> np.ndarray:
    if window is None:
        return pixels
    x0, x1, y0, y1 = window
    return pixels[y0:y1, x0:x1]


def _bands(tiles: list[int], image: CompressedImage, parts: int) -> list[list[int]]:
    """Tiles split into about ``parts`` runs of whole tile rows."""
    if parts <= 1 or len(tiles) <= 1:
        return [tiles]
    ntx = -(-image.shape[1] // image.tile[1])
    rows = sorted({t // ntx for t in tiles})
    per = max(1, math.ceil(len(rows) / parts))
    groups = [set(rows[i : i + per]) for i in range(0, len(rows), per)]
    return [[t for t in tiles if t // ntx in group] for group in groups]


def decode_box(
    image: Image,
    box: tuple[int, int, int, int],
    read: ByteReader,
    rows: Mapping[int, bytes] | None = None,
    pool: Executor | None = None,
    parts: int = 1,
) -> np.ndarray:
    """Pixels ``[y0, y1) x [x0, x1)`` of the image.

    Parameters
    ----------
    image
        The image's layout.
    box
        (x0, x1, y0, y1), inside the image.
    read
        Reads bytes of the object (thread-safe: bands read concurrently).
    rows
        Table rows of the box's tiles (compressed images).
    pool, parts
        Decode in about ``parts`` bands on ``pool`` (None: in this thread).

    Raises
    ------
    DecodeError
        If a tile does not decode.
    """
    x0, x1, y0, y1 = box
    if isinstance(image, PlainImage):
        return _plain(image, box, read)
    out = np.empty((y1 - y0, x1 - x0), output_dtype(image.scaling))
    tiles = image.tiles_for_box(x0, x1, y0, y1)
    if rows is None:
        raise ValueError("a compressed image needs the table rows of its tiles")
    warm_up()

    def band(chunk: list[int]) -> None:
        for tile in chunk:
            tx0, tx1, ty0, ty1 = image.tile_box(tile)
            ax0, ax1, ay0, ay1 = max(x0, tx0), min(x1, tx1), max(y0, ty0), min(y1, ty1)
            window = (ax0 - tx0, ax1 - tx0, ay0 - ty0, ay1 - ty0)
            out[ay0 - y0 : ay1 - y0, ax0 - x0 : ax1 - x0] = decode_tile(
                image, tile, rows[tile], read, window
            )

    chunks = _bands(tiles, image, parts if pool is not None else 1)
    if pool is None or len(chunks) == 1:
        for chunk in chunks:
            band(chunk)
    else:
        for future in [pool.submit(band, chunk) for chunk in chunks]:
            future.result()
    return out


def _plain(image: PlainImage, box: tuple[int, int, int, int], read: ByteReader) -> np.ndarray:
    x0, x1, y0, y1 = box
    kind = f">{'f' if image.scaling.bitpix < 0 else 'i'}{image.pixel_bytes}"
    if image.scaling.bitpix == 8:
        kind = ">u1"
    rows = [read(a, b) for a, b in image.row_ranges(x0, x1, y0, y1)]
    stored = np.frombuffer(b"".join(rows), kind).reshape(y1 - y0, x1 - x0)
    return _scale(stored.astype(kind[1:]), image.scaling, output_dtype(image.scaling))
