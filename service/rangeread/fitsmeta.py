"""FITS structure read from header bytes: where an image's rows, tiles and heap lie."""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
from astropy.io import fits

BLOCK = 2880
_END = re.compile(rb"END {77}")
_TFORM = re.compile(r"^\s*(\d*)([LXBIJKAEDCMPQ])([A-Z]?)")
_WIDTH = {"L": 1, "B": 1, "I": 2, "J": 4, "K": 8, "A": 1, "E": 4, "D": 8, "C": 8, "M": 16}
_DESCRIPTOR = {"P": np.dtype(">i4"), "Q": np.dtype(">i8")}


class FitsStructureError(ValueError):
    """The bytes are not a FITS file this module can read."""


def find_header_end(buf: bytes, start: int) -> int | None:
    """Offset just past the END block of the header starting at ``start``, if in ``buf``."""
    for pos in range(start, len(buf) - 79, BLOCK):
        block = buf[pos : pos + BLOCK]
        for card in range(0, len(block) - 79, 80):
            if _END.match(block, card):
                return pos + BLOCK
    return None


def data_size(header: fits.Header) -> int:
    """Bytes of the data unit (with heap), before padding to 2880."""
    naxis = header.get("NAXIS", 0)
    if naxis == 0:
        return 0
    count = math.prod(header[f"NAXIS{i}"] for i in range(1, naxis + 1))
    return abs(header["BITPIX"]) // 8 * header.get("GCOUNT", 1) * (header.get("PCOUNT", 0) + count)


@dataclasses.dataclass(frozen=True)
class HeapColumn:
    """A variable-length-array column: where its descriptor lies in a row."""

    name: str
    row_offset: int
    descriptor: np.dtype
    element_size: int


@dataclasses.dataclass(frozen=True)
class CompressedImage:
    """A tile-compressed image HDU (a binary table with ZIMAGE = T)."""

    hdu: int
    header_stop: int
    data_start: int
    row_bytes: int
    n_tiles: int
    heap_start: int
    shape: tuple[int, int]  # (ZNAXIS2, ZNAXIS1)
    tile: tuple[int, int]  # (ZTILE2, ZTILE1): rows, columns
    heap_columns: tuple[HeapColumn, ...]

    def tiles_for_box(self, x0: int, x1: int, y0: int, y1: int) -> list[int]:
        """Row-major indices of the tiles intersecting ``[y0, y1) x [x0, x1)``."""
        ty, tx = self.tile
        ntx = -(-self.shape[1] // tx)
        return [
            row * ntx + col
            for row in range(y0 // ty, (y1 - 1) // ty + 1)
            for col in range(x0 // tx, (x1 - 1) // tx + 1)
        ]

    def descriptor_range(self, tile: int) -> tuple[int, int]:
        """Byte range of one tile's table row."""
        start = self.data_start + tile * self.row_bytes
        return start, start + self.row_bytes

    def heap_ranges(self, tile: int, row: bytes) -> list[tuple[int, int]]:
        """Byte ranges of one tile's heap arrays, from its table row."""
        out = []
        for col in self.heap_columns:
            count, offset = np.frombuffer(row, col.descriptor, 2, col.row_offset)
            if count > 0:
                start = self.heap_start + int(offset)
                out.append((start, start + int(count) * col.element_size))
        return out


@dataclasses.dataclass(frozen=True)
class PlainImage:
    """An uncompressed image HDU."""

    hdu: int
    header_stop: int
    data_start: int
    shape: tuple[int, int]
    pixel_bytes: int

    def row_ranges(self, x0: int, x1: int, y0: int, y1: int) -> list[tuple[int, int]]:
        """Byte ranges of the box's row segments."""
        nx = self.shape[1]
        return [
            (
                self.data_start + (y * nx + x0) * self.pixel_bytes,
                self.data_start + (y * nx + x1) * self.pixel_bytes,
            )
            for y in range(y0, y1)
        ]


Image = CompressedImage | PlainImage


def _heap_columns(header: fits.Header) -> tuple[int, tuple[HeapColumn, ...]]:
    offset, columns = 0, []
    for i in range(1, header["TFIELDS"] + 1):
        match = _TFORM.match(header[f"TFORM{i}"])
        if not match:
            raise FitsStructureError(f"cannot read TFORM{i} = {header[f'TFORM{i}']!r}")
        repeat = int(match[1] or 1)
        kind, element = match[2], match[3]
        if kind in _DESCRIPTOR:
            columns.append(
                HeapColumn(
                    header.get(f"TTYPE{i}", f"col{i}"),
                    offset,
                    _DESCRIPTOR[kind],
                    _WIDTH[element or "B"],
                )
            )
            offset += repeat * 2 * _DESCRIPTOR[kind].itemsize
        elif kind == "X":
            offset += -(-repeat // 8)
        else:
            offset += repeat * _WIDTH[kind]
    if offset != header["NAXIS1"]:
        raise FitsStructureError(f"column widths add to {offset}, NAXIS1 is {header['NAXIS1']}")
    return offset, tuple(columns)


def locate_image(buf: bytes) -> Image | int:
    """Find the first 2-D image (compressed or not) from the leading bytes of a file.

    Parameters
    ----------
    buf
        The first bytes of the file.

    Returns
    -------
    Image or int
        The image's layout, or, if ``buf`` ends before the image's header does,
        how many leading bytes are needed at least (a multiple of 2880).

    Raises
    ------
    FitsStructureError
        If the bytes are not FITS or hold no 2-D image.
    """
    if not buf.startswith(b"SIMPLE  ="):
        raise FitsStructureError("not a FITS file (no SIMPLE card)")
    start, hdu = 0, 0
    while True:
        stop = find_header_end(buf, start)
        if stop is None:
            return max(len(buf) // BLOCK * BLOCK, start) + 4 * BLOCK
        try:
            header = fits.Header.fromstring(buf[start:stop].decode("ascii"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise FitsStructureError(f"unreadable header of HDU {hdu}: {exc}") from exc
        if header.get("ZIMAGE") and header.get("ZNAXIS") == 2:
            row_bytes, columns = _heap_columns(header)
            return CompressedImage(
                hdu=hdu,
                header_stop=stop,
                data_start=stop,
                row_bytes=row_bytes,
                n_tiles=header["NAXIS2"],
                heap_start=stop + header.get("THEAP", row_bytes * header["NAXIS2"]),
                shape=(header["ZNAXIS2"], header["ZNAXIS1"]),
                tile=(header.get("ZTILE2", 1), header.get("ZTILE1", header["ZNAXIS1"])),
                heap_columns=columns,
            )
        if header.get("NAXIS") == 2 and header.get("XTENSION", "IMAGE") == "IMAGE":
            return PlainImage(
                hdu=hdu,
                header_stop=stop,
                data_start=stop,
                shape=(header["NAXIS2"], header["NAXIS1"]),
                pixel_bytes=abs(header["BITPIX"]) // 8,
            )
        start = stop + -(-data_size(header) // BLOCK) * BLOCK
        hdu += 1
        if start >= len(buf) and data_size(header) > 10 * BLOCK:
            return start + 4 * BLOCK
