"""WCS solutions of a mosaic, read from its separate header file.

Solution ``n`` (counted from 0) is alternate key ``A`` + n when the file holds several,
the primary key when it holds one. ``-TAN`` with ``PVi_j`` terms is read as ``-TPV``
(as DASCH writes it); ``-TAN-SIP`` is read with its inverse; IRAF ``-TNX`` is
translated to an exactly equivalent ``-TPV`` by :mod:`service.wcs.tnx`; IRAF ``-ZPX``
is evaluated by :mod:`service.wcs.zpx`.
"""

from __future__ import annotations

import dataclasses
import gzip
import re
import warnings

import numpy as np
from astropy.io import fits
from astropy.utils.exceptions import AstropyUserWarning
from astropy.wcs import WCS, FITSFixedWarning

from service.faults import CorruptDataFault, NotFoundFault
from service.wcs.tnx import tnx_to_tpv_cards
from service.wcs.zpx import ZpxModel


@dataclasses.dataclass(frozen=True)
class Solution:
    """One astrometric solution, in the pixel frame it was computed in.

    Attributes
    ----------
    solnum
        0-based solution number.
    key
        Alternate WCS letter ('' for the primary description).
    wcs
        The solution (distortions included), 0-based pixel convention in calls.
    shape
        (ny, nx) of the solution's pixel frame.
    name
        WCSNAME, if any.
    """

    solnum: int
    key: str
    wcs: WCS | None  # None for ZPX, which ``zpx`` evaluates
    shape: tuple[int, int]
    name: str
    zpx: ZpxModel | None = None

    def world_to_pixel(self, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """0-based solution-frame pixels of sky positions (degrees)."""
        if self.zpx is not None:
            return self.zpx.world_to_pixel(ra, dec)
        x, y = self.wcs.all_world2pix(ra, dec, 0, quiet=True)
        return np.asarray(x), np.asarray(y)

    def pixel_to_world(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sky positions (degrees) of 0-based solution-frame pixels."""
        if self.zpx is not None:
            return self.zpx.pixel_to_world(x, y)
        ra, dec = self.wcs.all_pix2world(x, y, 0)
        return np.asarray(ra), np.asarray(dec)

    def shifted_header(self, dx: int, dy: int) -> fits.Header:
        """FITS cards of this solution for an image starting at pixel (dx, dy)."""
        if self.zpx is not None:
            header = fits.Header()
            for card in self.zpx.header.cards:
                if re.match(
                    r"^(CTYPE|CRVAL|CRPIX|CD\d_|PV2_|WAT\d_|RADESYS|EQUINOX)", card.keyword
                ):
                    header.append(card)
            header["CRPIX1"] = header["CRPIX1"] - dx
            header["CRPIX2"] = header["CRPIX2"] - dy
            return header
        wcs = self.wcs.deepcopy()
        wcs.wcs.crpix = wcs.wcs.crpix - np.array([dx, dy])
        return wcs.to_header(relax=True)


def _keys(header: fits.Header) -> list[str]:
    letters = sorted({m[1] for k in header for m in [re.match(r"^CTYPE1([A-Z])$", k)] if m})
    return letters if letters else [""]


def _with_tpv(header: fits.Header, key: str) -> fits.Header:
    """Copy of the header where solution ``key`` reads as TPV if DASCH wrote it as TAN."""
    out = header.copy()
    has_pv = any(re.match(rf"^PV[12]_\d+{key}$", k) for k in header)
    for axis, base in ((1, "RA---"), (2, "DEC--")):
        name = f"CTYPE{axis}{key}"
        value = str(header.get(name, ""))
        if value.endswith("-TAN") and has_pv:
            out[name] = base + "TPV"
        elif value.endswith("-TNX"):
            return tnx_to_tpv_cards(header, key)
    return out


def _header(text: str, sep: str = "") -> fits.Header:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyUserWarning)
            return fits.Header.fromstring(text, sep=sep)
    except ValueError as exc:
        raise CorruptDataFault(f"unreadable WCS header: {exc}") from exc


def _solution(header: fits.Header, solnum: int, key: str, letter: str) -> Solution:
    """Solution ``solnum`` of the header, written under key ``key``; ``letter`` is the
    key it had in its header file (kept for provenance)."""
    shape = (int(header.get("NAXIS2", 0)), int(header.get("NAXIS1", 0)))
    name = str(header.get(f"WCSNAME{key}", ""))
    if str(header.get(f"CTYPE1{key}", "")).endswith("-ZPX"):
        if key:
            raise CorruptDataFault("ZPX solutions are only read under the primary key")
        return Solution(solnum, letter, None, shape, name, ZpxModel(header))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FITSFixedWarning)
            warnings.simplefilter("ignore", AstropyUserWarning)
            wcs = WCS(_with_tpv(header, key), key=key or " ", relax=True)
    except (ValueError, KeyError, MemoryError) as exc:
        raise CorruptDataFault(f"WCS solution {solnum} ({key or 'primary'}): {exc}") from exc
    if not wcs.has_celestial:
        raise CorruptDataFault(f"WCS solution {solnum} has no celestial axes")
    return Solution(solnum, letter, wcs, shape, name)


def parse_solutions(text: str) -> list[Solution]:
    """Every solution of a header file's text.

    Raises
    ------
    CorruptDataFault
        If the header or one of its solutions cannot be read.
    """
    header = _header(text)
    return [_solution(header, n, key, key) for n, key in enumerate(_keys(header))]


#: keywords of the FITS WCS papers that take an alternate-key letter
_WCS_KEYWORD = re.compile(
    r"^(WCSAXES|WCSNAME|CTYPE\d|CUNIT\d|CRVAL\d|CRPIX\d|CDELT\d|CD\d_\d|PC\d_\d|PV\d_\d+|"
    r"PS\d_\d+|CNAME\d|CRDER\d|CSYER\d|LONPOLE|LATPOLE|RADESYS|EQUINOX|RESTFRQ|RESTWAV|"
    r"SPECSYS|SSYSOBS|VELREF|MJDREF|DATEREF)([A-Z]?)$"
)
_SIP_KEYWORD = re.compile(r"^(A|B|AP|BP)_(ORDER|\d+_\d+)$")
_DROPPED = ("COMMENT", "HISTORY", "")


def solution_cards(text: str, solnum: int) -> tuple[str, str]:
    """One solution of a header file as a header of its own, under the primary key.

    The cards of the solution's key are renamed to the primary key (their values
    written exactly as in the file), the other keys' cards are left out, and so are
    SIP coefficients when the solution is not SIP; every other card (image size,
    IRAF WAT strings, DSS plate constants...) is kept as written.

    Returns
    -------
    key : str
        The solution's key letter in the file ('' for the primary key).
    cards : str
        The card images, one per line (read back by :func:`solution_from_cards`).

    Raises
    ------
    CorruptDataFault
        If the header is unreadable; NotFoundFault if there is no such solution.
    """
    header = _header(text)
    keys = _keys(header)
    if not 0 <= solnum < len(keys):
        raise NotFoundFault(f"solution {solnum} does not exist (the header has {len(keys)})")
    key = keys[solnum]
    sip = str(header.get(f"CTYPE1{key}", "")).endswith("-SIP")
    lines = []
    for card in header.cards:
        name = card.keyword
        if name in _DROPPED or (_SIP_KEYWORD.match(name) and not sip):
            continue
        match = _WCS_KEYWORD.match(name)
        if match is None:
            lines.append(card.image)
        elif match[2] == key:
            lines.append(match[1].ljust(8) + card.image[8:])
    return key, "\n".join(lines)


def solution_from_cards(cards: str, solnum: int, key: str = "") -> Solution:
    """The solution that :func:`solution_cards` wrote (numbered ``solnum``, file key
    ``key``).

    Raises
    ------
    CorruptDataFault
        If the cards do not describe a readable solution.
    """
    return _solution(_header(cards, sep="\n"), solnum, "", key)


def read_header_file(data: bytes) -> str:
    """Text of a header file, gzipped or not."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        return data.decode("ascii")
    except UnicodeDecodeError as exc:
        raise CorruptDataFault(f"WCS header file is not ASCII text: {exc}") from exc


def select(solutions: list[Solution], solnum: int) -> Solution:
    """Solution ``solnum``.

    Raises
    ------
    NotFoundFault
        If there is no such solution.
    """
    if not 0 <= solnum < len(solutions):
        raise NotFoundFault(
            f"solution {solnum} does not exist (the mosaic has "
            f"{len(solutions)}: 0-{len(solutions) - 1})"
        )
    return solutions[solnum]
