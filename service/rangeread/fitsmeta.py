"""FITS structure read from header bytes: where an image's rows, tiles and heap lie, and
how stored values become pixels (compression, quantisation, BSCALE/BZERO, BLANK).

The layout is found once, at ingest, and kept in the catalog (:func:`layout_to_json`,
:func:`layout_from_json`), so a cutout needs no header bytes of the mosaic.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import struct

import numpy as np
from astropy.io import fits

BLOCK = 2880
_END = re.compile(rb"END {77}")
_TFORM = re.compile(r"^\s*(\d*)([LXBIJKAEDCMPQ])([A-Z]?)")
_WIDTH = {"L": 1, "B": 1, "I": 2, "J": 4, "K": 8, "A": 1, "E": 4, "D": 8, "C": 8, "M": 16}
_DESCRIPTOR = {"P": np.dtype(">i4"), "Q": np.dtype(">i8")}
_PAIR = {"P": struct.Struct(">ii"), "Q": struct.Struct(">qq")}  # (count, offset)


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
    """A variable-length-array column: where its descriptor lies in a row.

    ``descriptor`` is ``"P"`` (32-bit) or ``"Q"`` (64-bit); ``element`` the TFORM
    letter of the array's elements (``B`` for compressed byte streams).
    """

    name: str
    row_offset: int
    descriptor: str
    element: str

    @property
    def element_size(self) -> int:
        """Bytes per array element."""
        return _WIDTH[self.element]

    def count_offset(self, row: bytes) -> tuple[int, int]:
        """(elements, heap offset) of this column in one table row."""
        return _PAIR[self.descriptor].unpack_from(row, self.row_offset)


@dataclasses.dataclass(frozen=True)
class ScalarColumn:
    """A fixed-width numeric column of the tile table (ZSCALE, ZZERO, ZBLANK)."""

    name: str
    row_offset: int
    dtype: str  # numpy big-endian type, e.g. ">f8"

    def value(self, row: bytes) -> float | int:
        """The column's value in one table row."""
        return np.frombuffer(row, self.dtype, 1, self.row_offset)[0].item()


@dataclasses.dataclass(frozen=True)
class Scaling:
    """How stored numbers become pixel values (BSCALE, BZERO, BLANK of the image)."""

    bitpix: int  # BITPIX of the image (ZBITPIX when compressed)
    bscale: float = 1.0
    bzero: float = 0.0
    blank: int | None = None


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
    compression: str = "RICE_1"  # ZCMPTYPE
    scaling: Scaling = Scaling(16)
    codec: tuple[tuple[str, float], ...] = ()  # ZNAMEi/ZVALi: BLOCKSIZE, BYTEPIX, SCALE...
    quantize: str = ""  # ZQUANTIZ when the table has ZSCALE: NO_DITHER, SUBTRACTIVE_DITHER_1...
    dither_seed: int = 0  # ZDITHER0
    zblank: int | None = None  # ZBLANK keyword: quantised or integer nulls of every tile
    scalar_columns: tuple[ScalarColumn, ...] = ()

    def codec_value(self, name: str, default: float) -> float:
        """A ZNAMEi/ZVALi parameter of the compression."""
        return dict(self.codec).get(name, default)

    def tile_box(self, tile: int) -> tuple[int, int, int, int]:
        """(x0, x1, y0, y1) of one tile in the image (edge tiles are smaller)."""
        ty, tx = self.tile
        ny, nx = self.shape
        ntx = -(-nx // tx)
        row, col = divmod(tile, ntx)
        return col * tx, min(nx, (col + 1) * tx), row * ty, min(ny, (row + 1) * ty)

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

    def heap_ranges(self, tile: int, row: bytes, size: int) -> list[tuple[int, int]]:
        """Byte ranges of one tile's heap arrays, from its table row.

        Raises
        ------
        FitsStructureError
            If the row points outside the heap of an object of ``size`` bytes, or at an
            array longer than a tile can take compressed (raw 8-byte pixels, twice
            over): a damaged row would otherwise send a reader past the object, or
            have it fetch gigabytes.
        """
        most = 2 * self.tile[0] * self.tile[1] * 8 + 4096
        out = []
        for col in self.heap_columns:
            count, offset = col.count_offset(row)
            start, length = self.heap_start + offset, count * col.element_size
            if count < 0 or offset < 0 or length > most or start + length > size:
                raise FitsStructureError(f"tile {tile}: descriptor out of range")
            if count:
                out.append((start, start + length))
        return out


@dataclasses.dataclass(frozen=True)
class PlainImage:
    """An uncompressed image HDU."""

    hdu: int
    header_stop: int
    data_start: int
    shape: tuple[int, int]
    pixel_bytes: int
    scaling: Scaling = Scaling(16)

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
_SCALAR = {"B": ">u1", "I": ">i2", "J": ">i4", "K": ">i8", "E": ">f4", "D": ">f8"}
_TILE_VALUES = ("ZSCALE", "ZZERO", "ZBLANK")


def _columns(
    header: fits.Header,
) -> tuple[int, tuple[HeapColumn, ...], tuple[ScalarColumn, ...]]:
    offset, heap, scalars = 0, [], []
    for i in range(1, header["TFIELDS"] + 1):
        match = _TFORM.match(header[f"TFORM{i}"])
        if not match:
            raise FitsStructureError(f"cannot read TFORM{i} = {header[f'TFORM{i}']!r}")
        repeat = int(match[1] or 1)
        kind, element = match[2], match[3]
        name = str(header.get(f"TTYPE{i}", f"col{i}")).strip().upper()
        if kind in _DESCRIPTOR:
            heap.append(HeapColumn(name, offset, kind, element or "B"))
            offset += repeat * 2 * _DESCRIPTOR[kind].itemsize
        elif kind == "X":
            offset += -(-repeat // 8)
        else:
            if name in _TILE_VALUES and repeat == 1 and kind in _SCALAR:
                scalars.append(ScalarColumn(name, offset, _SCALAR[kind]))
            offset += repeat * _WIDTH[kind]
    if offset != header["NAXIS1"]:
        raise FitsStructureError(f"column widths add to {offset}, NAXIS1 is {header['NAXIS1']}")
    return offset, tuple(heap), tuple(scalars)


def _scaling(header: fits.Header, bitpix: int) -> Scaling:
    blank = header.get("BLANK")
    return Scaling(
        bitpix,
        float(header.get("BSCALE", 1.0)),
        float(header.get("BZERO", 0.0)),
        int(blank) if isinstance(blank, int) else None,
    )


def _codec(header: fits.Header) -> tuple[tuple[str, float], ...]:
    pairs = []
    for i in range(1, 100):
        name = header.get(f"ZNAME{i}")
        if name is None:
            break
        value = header.get(f"ZVAL{i}")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            pairs.append((str(name).strip().upper(), value))
    return tuple(pairs)


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
            row_bytes, heap, scalars = _columns(header)
            zblank = header.get("ZBLANK")
            return CompressedImage(
                hdu=hdu,
                header_stop=stop,
                data_start=stop,
                row_bytes=row_bytes,
                n_tiles=header["NAXIS2"],
                heap_start=stop + header.get("THEAP", row_bytes * header["NAXIS2"]),
                shape=(header["ZNAXIS2"], header["ZNAXIS1"]),
                tile=(header.get("ZTILE2", 1), header.get("ZTILE1", header["ZNAXIS1"])),
                heap_columns=heap,
                compression=str(header.get("ZCMPTYPE", "")).strip().upper(),
                scaling=_scaling(header, int(header["ZBITPIX"])),
                codec=_codec(header),
                quantize=str(header.get("ZQUANTIZ", "NO_DITHER")).strip().upper()
                if any(c.name == "ZSCALE" for c in scalars)
                else "",
                dither_seed=int(header.get("ZDITHER0", 0)),
                zblank=int(zblank) if isinstance(zblank, int) else None,
                scalar_columns=scalars,
            )
        if header.get("NAXIS") == 2 and header.get("XTENSION", "IMAGE") == "IMAGE":
            return PlainImage(
                hdu=hdu,
                header_stop=stop,
                data_start=stop,
                shape=(header["NAXIS2"], header["NAXIS1"]),
                pixel_bytes=abs(header["BITPIX"]) // 8,
                scaling=_scaling(header, int(header["BITPIX"])),
            )
        start = stop + -(-data_size(header) // BLOCK) * BLOCK
        hdu += 1
        if start >= len(buf) and data_size(header) > 10 * BLOCK:
            return start + 4 * BLOCK


def layout_to_json(image: Image) -> str:
    """The layout as compact JSON (what the catalog stores per mosaic)."""
    body = dataclasses.asdict(image)
    body["kind"] = "compressed" if isinstance(image, CompressedImage) else "plain"
    return json.dumps(body, separators=(",", ":"))


def layout_from_json(text: str) -> Image:
    """The layout from :func:`layout_to_json`'s text.

    Raises
    ------
    FitsStructureError
        If the text is not such a layout.
    """
    try:
        body = json.loads(text)
        kind = body.pop("kind")
        body["shape"] = tuple(body["shape"])
        body["scaling"] = Scaling(**body["scaling"])
        if kind == "plain":
            return PlainImage(**body)
        body["tile"] = tuple(body["tile"])
        body["heap_columns"] = tuple(HeapColumn(**c) for c in body["heap_columns"])
        body["scalar_columns"] = tuple(ScalarColumn(**c) for c in body["scalar_columns"])
        body["codec"] = tuple((str(n), v) for n, v in body["codec"])
        return CompressedImage(**body)
    except (ValueError, KeyError, TypeError) as exc:
        raise FitsStructureError(f"invalid stored layout: {exc}") from exc
