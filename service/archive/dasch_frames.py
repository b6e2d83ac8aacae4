"""DASCH's plate scales and the approximate frame DASCH gives an exposure with no
astrometric solution (as its queryexps does, ``pkgw/dasch-science-lambda``,
src/mosaics.rs): a north-up TAN at the logged centre, the series' plate scale at
90.909 px/mm, N x N pixels, reference pixel (N + 1) / 2.

Depends on :mod:`service.wcs` and astropy's card formatting; no I/O.
"""

from __future__ import annotations

from astropy.io import fits

from service.wcs.solutions import Solution, solution_from_cards

#: DASCH's pixels per millimetre of plate
PIXELS_PER_MM = 90.909
#: plate scale of each DASCH series, arcsec per mm (the fitted scale where DASCH has one,
#: else the nominal; the same values as DASCH's queryexps)
PLATE_SCALE_BY_SERIES: dict[str, float] = {
    "a": 59.57, "ab": 590.0, "ac": 606.4, "aco": 611.3, "adh": 68.0, "ai": 1360.0,
    "ak": 614.5, "al": 1200.0, "am": 610.8, "an": 574.0, "ax": 695.7, "ay": 694.2,
    "b": 179.4, "bi": 1446.0, "bm": 384.0, "bo": 800.0, "br": 204.0, "c": 52.56,
    "ca": 596.0, "ctio": 18.0, "darnor": 890.0, "darsou": 890.0, "dnb": 577.3,
    "dnr": 579.7, "dny": 576.1, "dsb": 574.5, "dsr": 579.7, "dsy": 581.8, "ee": 330.0,
    "er": 390.0, "fa": 1298.0, "h": 59.6, "hale": 11.06, "i": 163.3, "ir": 164.0,
    "j": 98.0, "jdar": 560.0, "ka": 1200.0, "kb": 1200.0, "kc": 650.0, "kd": 650.0,
    "ke": 1160.0, "kf": 1160.0, "kg": 1160.0, "kge": 1160.0, "kh": 1160.0,
    "lwla": 36.687, "ma": 93.7, "mb": 390.0, "mc": 97.9, "md": 193.0, "me": 600.0,
    "meteor": 1200.0, "mf": 167.3, "na": 100.0, "pas": 95.64, "poss": 67.19,
    "pz": 1553.0, "r": 390.0, "rb": 395.5, "rh": 391.3, "rl": 290.0, "ro": 390.0,
    "s": 26.3, "sb": 26.0, "sh": 26.0, "x": 42.3, "yb": 55.0,
}  # fmt: skip
#: side of a plate never scanned, px: 17 inches for series a, 10 inches otherwise
NOMINAL_SIDE_PX = {"a": 39255}
DEFAULT_SIDE_PX = 23091


def approximate_solution(series: str, ra: float, dec: float, side: int) -> Solution | None:
    """DASCH's approximate frame of an exposure with no solution (None when the series'
    plate scale is unknown)."""
    scale = PLATE_SCALE_BY_SERIES.get(series)
    if scale is None:
        return None
    step = scale / PIXELS_PER_MM / 3600.0
    centre = (side + 1) / 2.0
    cards = [
        ("NAXIS1", side), ("NAXIS2", side), ("CTYPE1", "RA---TAN"), ("CTYPE2", "DEC--TAN"),
        ("CRVAL1", ra), ("CRVAL2", dec), ("CRPIX1", centre), ("CRPIX2", centre),
        ("CD1_1", -step), ("CD1_2", 0.0), ("CD2_1", 0.0), ("CD2_2", step),
    ]  # fmt: skip
    text = "\n".join(fits.Card(name, value).image for name, value in cards)  # FITS values
    return solution_from_cards(text, -1)
