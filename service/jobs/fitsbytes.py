"""FITS files joined as bytes: a stack's frames (single-HDU FITS files, as the cutout
engine writes them) become the IMAGE extensions of one file by rewriting their first
cards, their data copied as stored, with no parse of the pixels or second pass of
verification.

Depends on astropy's card formatting only.
"""

from __future__ import annotations

import io

from astropy.io import fits

BLOCK = 2880
CARD = 80
_END = b"END" + b" " * 77
_DROPPED = (b"EXTEND", b"EXTNAME", b"PCOUNT", b"GCOUNT")
_XTENSION = fits.Card("XTENSION", "IMAGE", "image extension").image.encode("ascii")
_COUNTS = [
    fits.Card("PCOUNT", 0, "number of parameters").image.encode("ascii"),
    fits.Card("GCOUNT", 1, "number of groups").image.encode("ascii"),
]


def _cards(header: bytes) -> list[bytes]:
    return [header[i : i + CARD] for i in range(0, len(header), CARD)]


def _padded(cards: list[bytes]) -> bytes:
    text = b"".join(cards) + _END
    return text + b" " * (-len(text) % BLOCK)


def _keyword(card: bytes) -> bytes:
    return card[:8].rstrip()


def split_primary(frame: bytes) -> tuple[list[bytes], bytes] | None:
    """The header cards (without END) and the data of a file holding one image in its
    primary HDU and nothing else; None when ``frame`` is not laid out that way (SIMPLE,
    BITPIX, NAXIS >= 1, then every NAXISn; data filling the rest of the file)."""
    end = next((i for i in range(0, len(frame) - CARD + 1, CARD) if frame[i : i + CARD] == _END),
               None)  # fmt: skip
    if end is None:
        return None
    cards = _cards(frame[:end])
    try:
        naxis = int(cards[2][10:30])
    except (IndexError, ValueError):
        return None
    expected = [b"SIMPLE", b"BITPIX", b"NAXIS"] + [b"NAXIS%d" % (k + 1) for k in range(naxis)]
    if [_keyword(c) for c in cards[: len(expected)]] != expected or cards[0][29:30] != b"T":
        return None
    try:
        size = abs(int(cards[1][10:30])) // 8
        for card in cards[3 : 3 + naxis]:
            size *= int(card[10:30])
    except ValueError:
        return None
    start = end + CARD + (-(end + CARD) % BLOCK)
    if naxis < 1 or len(frame) - start != size + (-size % BLOCK):  # one HDU, nothing after
        return None
    return cards, frame[start:]


def as_extension(frame: bytes, name: str) -> bytes:
    """One image file as an IMAGE extension named ``name`` (its header cards kept, in
    their order; its data as stored). Files of another layout go through astropy (their
    first image)."""
    parts = split_primary(frame)
    if parts is None:
        with fits.open(io.BytesIO(frame)) as hdus:
            image = next(h for h in hdus if h.is_image and h.data is not None)
            return hdu_bytes(fits.ImageHDU(image.data, image.header, name=name))
    cards, data = parts
    naxis = int(cards[2][10:30])
    axes = cards[1 : 3 + naxis]
    rest = [c for c in cards[3 + naxis :] if _keyword(c) not in _DROPPED]
    head = [
        _XTENSION,
        *axes,
        *_COUNTS,
        fits.Card("EXTNAME", name.upper(), "extension name").image.encode("ascii"),
    ]
    return _padded(head + rest) + data


def hdu_bytes(hdu: fits.hdu.base.ExtensionHDU) -> bytes:
    """An extension HDU as it stands in a file."""
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(buffer, output_verify="fix")
    return buffer.getvalue()[BLOCK:]  # an empty primary HDU is one block


def primary_bytes(hdu: fits.PrimaryHDU) -> bytes:
    """A primary HDU as it stands at the start of a file."""
    buffer = io.BytesIO()
    hdu.writeto(buffer, output_verify="fix")
    return buffer.getvalue()
