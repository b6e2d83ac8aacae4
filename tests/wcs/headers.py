"""WCS header files written from each format's own definition, as other software writes
them: IRAF TNX and ZPX (WAT strings cut at any width), TPV (and DASCH's TAN + PV), SIP,
the DSS plate solution, FK4 and FK5 frames, alternate keys; and AST (starlink-pyast)
reading them, the independent reference."""

from __future__ import annotations

import numpy as np
import starlink.Ast as Ast

CRVAL = (150.2, 30.1)
CRPIX = (1000.5, 900.5)
CD = ((-1.9e-4, 3.0e-6), (2.0e-6, 1.9e-4))
SHAPE = (1800, 2000)  # (ny, nx)
XR, YR = (-0.2, 0.2), (-0.18, 0.18)  # range of the intermediate coordinates, degrees


def card(keyword: str, value: object, comment: str = "") -> str:
    """One 80-character card."""
    if isinstance(value, str):  # padded to 8 characters inside the quotes, as FITS asks
        text = f"'{value.replace(chr(39), chr(39) * 2).ljust(8)}'".ljust(20)
    elif isinstance(value, bool):
        text = "T" if value else "F"
    elif isinstance(value, int):
        text = repr(value)
    else:
        text = f"{float(value):.16E}"
    image = f"{keyword:<8}= {text:>20}"
    return (image + (f" / {comment}" if comment else "")).ljust(80)[:80]


def linear(ctype: str, key: str = "", crval=CRVAL, crpix=CRPIX, cd=CD) -> list[str]:  # noqa: ANN001
    """CTYPE/CRVAL/CRPIX/CD cards of one solution."""
    return [
        card(f"CTYPE1{key}", f"RA---{ctype}"),
        card(f"CTYPE2{key}", f"DEC--{ctype}"),
        card(f"CRVAL1{key}", crval[0]),
        card(f"CRVAL2{key}", crval[1]),
        card(f"CRPIX1{key}", crpix[0]),
        card(f"CRPIX2{key}", crpix[1]),
        card(f"CD1_1{key}", cd[0][0]),
        card(f"CD1_2{key}", cd[0][1]),
        card(f"CD2_1{key}", cd[1][0]),
        card(f"CD2_2{key}", cd[1][1]),
    ]


def size_cards(shape=SHAPE) -> list[str]:  # noqa: ANN001
    return [card("NAXIS", 2), card("NAXIS1", shape[1]), card("NAXIS2", shape[0])]


def text(cards: list[str]) -> str:
    """Header file text (80-character cards, END)."""
    return "".join(c.ljust(80) for c in cards) + "END".ljust(80)


# --- IRAF TNX / ZPX --------------------------------------------------------------------
def gsurfit_terms(xorder: int, yorder: int, xterms: int) -> list[tuple[int, int]]:
    """(i, j) of each coefficient, in IRAF gsurfit's order (x fastest)."""
    top = max(xorder, yorder)
    keep = {0: lambda i, j: i == 0 or j == 0, 1: lambda i, j: True, 2: lambda i, j: i + j < top}
    return [(i, j) for j in range(yorder) for i in range(xorder) if keep[xterms](i, j)]


def surface(kind: int, xorder: int, yorder: int, xterms: int, seed: int) -> dict:
    """A correction surface with some zero coefficients (arcsecond-scale terms)."""
    rng = np.random.default_rng(seed)
    terms = gsurfit_terms(xorder, yorder, xterms)
    coeffs = {}
    for n, (i, j) in enumerate(terms):
        scale = 2e-4 / (1 + i + j) ** 2 if kind != 3 else 2e-4 * 8.0 ** (i + j) / (1 + i + j)
        coeffs[(i, j)] = 0.0 if n % 4 == 3 else float(rng.normal(0, scale))
    return {"kind": kind, "xorder": xorder, "yorder": yorder, "xterms": xterms, "c": coeffs}


def surface_value(s: dict, xi: np.ndarray, eta: np.ndarray) -> np.ndarray:
    """The surface from its definition: Chebyshev/Legendre of coordinates normalised
    over XR, YR; a power series of the raw coordinates."""
    from numpy.polynomial import chebyshev, legendre

    if s["kind"] == 3:
        x, y = xi, eta
        basis = np.polynomial.polynomial.polyval
    else:
        x = (2 * xi - (XR[0] + XR[1])) / (XR[1] - XR[0])
        y = (2 * eta - (YR[0] + YR[1])) / (YR[1] - YR[0])
        basis = {1: chebyshev.chebval, 2: legendre.legval}[s["kind"]]
    total = np.zeros_like(xi, dtype=float)
    for (i, j), c in s["c"].items():
        total += c * basis(x, np.eye(i + 1)[i]) * basis(y, np.eye(j + 1)[j])
    return total


def wat_value(axis: int, name: str, s: dict, extra: str = "") -> str:
    numbers = [s["kind"], s["xorder"], s["yorder"], s["xterms"], *XR, *YR]
    numbers += [s["c"][t] for t in gsurfit_terms(s["xorder"], s["yorder"], s["xterms"])]
    body = " ".join("0." if v == 0 else repr(float(v)) for v in numbers)
    axtype = "ra" if axis == 1 else "dec"
    return f'wtype={extra or "tnx"} axtype={axtype} {name} = "{body}"'


def wat_cards(
    axis: int, value: str, widths: list[int] | int = 68, strip: bool = False
) -> list[str]:
    """The WAT cards of one axis, the value cut into pieces of ``widths`` characters
    (cycled; a card holds 68 at most); ``strip``: the writer dropped the spaces ending
    a piece."""
    widths = [widths] if isinstance(widths, int) else widths
    assert max(widths) <= 68
    pieces, start, n = [], 0, 0
    while start < len(value):
        width = widths[n % len(widths)]
        pieces.append(value[start : start + width])
        start += width
        n += 1
    if strip:
        pieces = [p.rstrip(" ") for p in pieces]
    return [f"WAT{axis}_{k + 1:03d}= '{p}'".ljust(80) for k, p in enumerate(pieces)]


def intermediate(x: np.ndarray, y: np.ndarray, crpix=CRPIX, cd=CD):  # noqa: ANN001, ANN201
    u, v = x + 1 - crpix[0], y + 1 - crpix[1]
    return cd[0][0] * u + cd[0][1] * v, cd[1][0] * u + cd[1][1] * v


# --- AST, the reference ---------------------------------------------------------------
def ast_frameset(header_text: str, key: str = ""):  # noqa: ANN201
    """AST's reading of a header (the solution under ``key`` as current frame)."""
    channel = Ast.FitsChan()
    for i in range(0, len(header_text), 80):
        image = header_text[i : i + 80]
        if image.startswith("END "):
            break
        channel.putfits(image, False)
    channel.clear("Card")
    frameset = channel.read()
    assert frameset is not None, "AST read no WCS"
    warnings = [image for image in channel if image.startswith("ASTWARN")]
    assert not warnings, "AST could not read every term of this header"
    if key:
        for index in range(1, int(frameset.get("Nframe")) + 1):
            frame = frameset.getframe(index)
            if frame.test("Ident") and frame.get("Ident") == key:
                frameset.set(f"Current={index}")
                break
        else:
            raise AssertionError(f"AST has no frame for key {key}")
    return frameset


def ast_sky(header_text: str, x: np.ndarray, y: np.ndarray, key: str = "", system: str = ""):  # noqa: ANN201
    """Sky positions (degrees) of 0-based pixels according to AST, in the header's
    frame or in ``system`` (e.g. ICRS)."""
    frameset = ast_frameset(header_text, key)
    if system:
        frameset.set(f"System={system}")
    ra, dec = frameset.tran([np.asarray(x, float) + 1, np.asarray(y, float) + 1])
    return np.degrees(ra) % 360.0, np.degrees(dec)


def separation_arcsec(ra1, dec1, ra2, dec2) -> np.ndarray:  # noqa: ANN001
    """Great-circle distances (haversine), arcseconds."""
    a, b = np.radians(dec1), np.radians(dec2)
    h = np.sin((a - b) / 2) ** 2 + np.cos(a) * np.cos(b) * np.sin(np.radians(ra1 - ra2) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(h))) * 3600.0


def centre_and_corners(shape=SHAPE) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    ny, nx = shape
    x = np.array([(nx - 1) / 2, -0.5, nx - 0.5, nx - 0.5, -0.5, 0.0, nx - 1.0])
    y = np.array([(ny - 1) / 2, -0.5, -0.5, ny - 0.5, ny - 0.5, 0.0, ny - 1.0])
    return x, y


# --- the DSS plate solution (constants of a published DSS header: STScI, plate S134 0025)
DSS = {
    "PLTRAH": 14, "PLTRAM": 37, "PLTRAS": 46.88253, "PLTDECSN": "-", "PLTDECD": 60,
    "PLTDECM": 12, "PLTDECS": 59.28761, "EQUINOX": 2000.0, "PLTSCALE": 67.2,
    "XPIXELSZ": 25.28445, "YPIXELSZ": 25.28445, "CNPIX1": 8860, "CNPIX2": 1708,
    "PPO1": 0.0, "PPO2": 0.0, "PPO3": 176616.98338150, "PPO4": 0.0, "PPO5": 0.0,
    "PPO6": 177193.56115606,
}  # fmt: skip
AMDX = (67.226158492105, -0.23024540155842, 1.0901493794544, 1.1835555135256e-06,
        5.5613287069447e-06, -3.8419945268889e-05, 0.0, 2.2770722559048e-06,
        1.0335160125448e-07, 2.3321693523829e-06, 1.8565977703272e-07)  # fmt: skip
AMDY = (67.23331978069, 0.22606735154764, -0.52719954923422, -7.3037555803828e-06,
        1.9544740562734e-05, -5.6277730545338e-06, 0.0, 2.2086510085905e-06,
        1.0292330494988e-08, 2.1738798605975e-06, -1.5811855244111e-08)  # fmt: skip


def dss_cards(shape=(1000, 1200)) -> list[str]:  # noqa: ANN001
    cards = size_cards(shape) + [card(k, v) for k, v in DSS.items()]
    cards += [card(f"AMDX{i + 1}", v) for i, v in enumerate(AMDX + (0.0,) * 9)]
    cards += [card(f"AMDY{i + 1}", v) for i, v in enumerate(AMDY + (0.0,) * 9)]
    return cards
