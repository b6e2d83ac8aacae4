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
from service.wcs.frames import SkyFrame, frame_of, header_frame
from service.wcs.tnx import tnx_to_tpv_cards, wat_string
from service.wcs.zpx import ZpxModel

#: DSS plate-solution cards (the plate constants and the scan's corner, CNPIX)
_DSS_KEYWORD = re.compile(
    r"^(PLTRA[HMS]|PLTDEC(SN|D|M|S)|PLTSCALE|[XY]PIXELSZ|CNPIX[12]|PPO\d|AMD[XY]\d+|EQUINOX|"
    r"EPOCH|DATE-OBS|MJD-OBS)$"
)
_ZPX_KEYWORD = re.compile(r"^(CTYPE\d|CRVAL\d|CRPIX\d|CD\d_\d|PV2_\d+|WAT\d_\d{3})$")


@dataclasses.dataclass(frozen=True)
class Solution:
    """One astrometric solution, in the pixel frame it was computed in.

    Positions in and out are ICRS: a solution written in FK4 or FK5 converts them
    through its :attr:`frame`.

    Attributes
    ----------
    solnum
        0-based solution number.
    key
        The WCS key letter it had in its header file ('' for the primary key).
    wcs
        The solution (distortions included), 0-based pixel convention in calls.
    shape
        (ny, nx) of the solution's pixel frame.
    name
        WCSNAME, if any.
    zpx
        The ZPX model when the solution is IRAF ZPX (then ``wcs`` is None).
    frame
        The celestial frame the solution is written in.
    header
        The solution's own cards under the primary key (native cutouts of DSS and ZPX
        solutions are written from them).
    """

    solnum: int
    key: str
    wcs: WCS | None  # None for ZPX, which ``zpx`` evaluates
    shape: tuple[int, int]
    name: str
    zpx: ZpxModel | None = None
    frame: SkyFrame = SkyFrame()
    header: fits.Header | None = None

    @property
    def kind(self) -> str:
        """``zpx``, ``dss`` or ``fits`` (a standard FITS WCS, TPV and SIP included)."""
        if self.zpx is not None:
            return "zpx"
        if self.header is not None and "PLTRAH" in self.header and "CTYPE1" not in self.header:
            return "dss"
        return "fits"

    def world_to_pixel(self, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """0-based solution-frame pixels of ICRS positions (degrees)."""
        ra, dec = self.frame.from_icrs(ra, dec)
        if self.zpx is not None:
            return self.zpx.world_to_pixel(ra, dec)
        x, y = self.wcs.all_world2pix(ra, dec, 0, quiet=True)
        return np.asarray(x), np.asarray(y)

    def pixel_to_native(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions (degrees) of 0-based solution-frame pixels in the solution's frame."""
        if self.zpx is not None:
            return self.zpx.pixel_to_world(x, y)
        ra, dec = self.wcs.all_pix2world(x, y, 0)
        return np.asarray(ra), np.asarray(dec)

    def pixel_to_world(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ICRS positions (degrees) of 0-based solution-frame pixels."""
        ra, dec = self.frame.to_icrs(*self.pixel_to_native(x, y))
        return np.asarray(ra) % 360.0, np.asarray(dec)

    def shifted_header(self, dx: int, dy: int) -> fits.Header:
        """The solution as the primary WCS of an image starting at its pixel (dx, dy):
        a standard FITS WCS (TPV, SIP...) as wcslib writes it, DSS plate constants with
        the scan corner moved (CNPIX), ZPX cards with the reference pixel moved."""
        if self.kind == "dss":
            header = fits.Header([c for c in self.header.cards if _DSS_KEYWORD.match(c.keyword)])
            header["CNPIX1"] = int(header.get("CNPIX1", 0)) + dx
            header["CNPIX2"] = int(header.get("CNPIX2", 0)) + dy
            return header
        if self.kind == "zpx":
            # WAT cards only where they carry correction surfaces (wcslib refuses WAT
            # strings without them); the ZPN parameters always as PV2_m
            surfaces = {a for a in (1, 2) if "cor" in wat_string(self.header, a)}
            header = fits.Header(
                [
                    c
                    for c in self.header.cards
                    if _ZPX_KEYWORD.match(c.keyword)
                    and not c.keyword.startswith("PV2_")
                    and (not c.keyword.startswith("WAT") or int(c.keyword[3]) in surfaces)
                ]
            )
            for m, value in sorted(self.zpx.params.items()):
                header[f"PV2_{m}"] = value
            header["CRPIX1"] = header["CRPIX1"] - dx
            header["CRPIX2"] = header["CRPIX2"] - dy
            for name, value, comment in self.frame.cards():
                header[name] = (value, comment)
            header["COMMENT"] = (
                "ZPX is IRAF's zenithal polynomial with WAT correction surfaces: IRAF and "
                "Platecut evaluate it exactly; wcslib (astropy, DS9) reads the WAT "
                "surfaces approximately."
            )
            return header
        wcs = self.wcs.deepcopy()
        wcs.wcs.alt = " "  # the primary WCS of the cutout, whatever key it had
        wcs.wcs.crpix = wcs.wcs.crpix - np.array([dx, dy])
        header = wcs.to_header(relax=True)
        for name, value, comment in self.frame.cards():
            header[name] = (value, comment)
        return header

    def local_wcs(self, x: float, y: float) -> WCS:
        """A TAN WCS (ICRS) tangent to the solution at 0-based pixel (x, y): its scale
        and orientation there (for the annotations of previews of native cutouts)."""
        ra, dec = self.pixel_to_world(np.array([x, x + 1.0, x]), np.array([y, y, y + 1.0]))
        tangent = WCS(naxis=2)
        tangent.wcs.ctype = ["RA---TAN", "DEC--TAN"]
        tangent.wcs.crval = [float(ra[0]), float(dec[0])]
        tangent.wcs.crpix = [0.0, 0.0]
        tangent.wcs.cd = np.eye(2)
        u, v = tangent.wcs_world2pix(ra, dec, 0)
        out = WCS(naxis=2)
        out.wcs.ctype = ["RA---TAN", "DEC--TAN"]
        out.wcs.crval = [float(ra[0]), float(dec[0])]
        out.wcs.crpix = [x + 1.0, y + 1.0]
        out.wcs.cd = np.array([[u[1] - u[0], u[2] - u[0]], [v[1] - v[0], v[2] - v[0]]])
        out.wcs.radesys = "ICRS"
        out.wcs.set()
        return out


def _keys(header: fits.Header) -> list[str]:
    letters = sorted({m[1] for k in header for m in [re.match(r"^CTYPE1([A-Z])$", k)] if m})
    return letters if letters else [""]


def _with_tpv(header: fits.Header, key: str) -> fits.Header:
    """Copy of the header where solution ``key`` reads as TPV if DASCH wrote it as TAN,
    without SIP coefficients unless the solution is SIP (wcslib would otherwise report
    them, or apply them to a TPV solution)."""
    out = header.copy()
    if not str(header.get(f"CTYPE1{key}", "")).endswith("-SIP"):
        for name in [k for k in out if _SIP_KEYWORD.match(k)]:
            del out[name]
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
    own = _own_cards(header, key)
    if str(header.get(f"CTYPE1{key}", "")).endswith("-ZPX"):
        if key:
            raise CorruptDataFault("ZPX solutions are only read under the primary key")
        return Solution(
            solnum, letter, None, shape, name, ZpxModel(header), header_frame(header), own
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FITSFixedWarning)
            warnings.simplefilter("ignore", AstropyUserWarning)
            wcs = WCS(_with_tpv(header, key), key=key or " ", relax=True)
    except (ValueError, KeyError, MemoryError) as exc:
        raise CorruptDataFault(f"WCS solution {solnum} ({key or 'primary'}): {exc}") from exc
    if not wcs.has_celestial:
        raise CorruptDataFault(f"WCS solution {solnum} has no celestial axes")
    w = wcs.wcs
    mjd = w.mjdobs if np.isfinite(w.mjdobs) else None
    frame = frame_of(w.radesys, w.equinox if np.isfinite(w.equinox) else None, mjd,
                     f"WCS solution {solnum} ({key or 'primary'}): ")  # fmt: skip
    return Solution(solnum, letter, wcs, shape, name, None, frame, own)


def _own_cards(header: fits.Header, key: str) -> fits.Header:
    """The cards of solution ``key`` under the primary key (see :func:`solution_cards`)."""
    sip = str(header.get(f"CTYPE1{key}", "")).endswith("-SIP")
    out = fits.Header()
    for card in header.cards:
        name = card.keyword
        if name in _DROPPED or (_SIP_KEYWORD.match(name) and not sip):
            continue
        match = _WCS_KEYWORD.match(name)
        if match is None:
            out.append(card)
        elif match[2] == key:
            out.append(fits.Card.fromstring(match[1].ljust(8) + card.image[8:]))
    return out


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
    return key, "\n".join(card.image for card in _own_cards(header, key).cards)


def cards_of(solution: Solution) -> str:
    """A parsed solution's own cards, as :func:`solution_cards` writes them (no second
    parse of its header file)."""
    return "\n".join(card.image for card in solution.header.cards)


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
