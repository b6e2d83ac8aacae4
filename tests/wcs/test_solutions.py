"""WCS solutions from header files: TPV from TAN+PV, SIP, and TNX against the formula."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.polynomial import chebyshev, legendre

from service.demo.optics import _deproject
from service.faults import CorruptDataFault, NotFoundFault
from service.wcs.solutions import parse_solutions, read_header_file, select
from service.wcs.tnx import WAT_RULES, wat_string

CRVAL = (150.2, 30.1)
CRPIX = (1000.5, 900.5)
CD = np.array([[-1.9e-4, 3.0e-6], [2.0e-6, 1.9e-4]])


def card(keyword: str, value: object) -> str:
    if isinstance(value, str):
        text = f"'{value}'"
    else:
        text = repr(int(value)) if isinstance(value, int) else f"{float(value):.16E}"
    return f"{keyword:<8}= {text:>20}".ljust(80)


def base_cards(ctype: str) -> list[str]:
    return [
        card("NAXIS", 2),
        card("NAXIS1", 2000),
        card("NAXIS2", 1800),
        card("CTYPE1", f"RA---{ctype}"),
        card("CTYPE2", f"DEC--{ctype}"),
        card("CRVAL1", CRVAL[0]),
        card("CRVAL2", CRVAL[1]),
        card("CRPIX1", CRPIX[0]),
        card("CRPIX2", CRPIX[1]),
        card("CD1_1", CD[0, 0]),
        card("CD1_2", CD[0, 1]),
        card("CD2_1", CD[1, 0]),
        card("CD2_2", CD[1, 1]),
    ]


def header_text(cards: list[str]) -> str:
    return "".join(cards) + "END".ljust(80)


# --- TNX -------------------------------------------------------------------------------
XR, YR = (-0.2, 0.2), (-0.18, 0.18)  # range of the intermediate coordinates, degrees


def tnx_terms(xorder, yorder, xterms):
    """(i, j) in IRAF gsurfit's order, written from its definition for this test."""
    top = max(xorder, yorder)
    keep = {0: lambda i, j: i == 0 or j == 0, 1: lambda i, j: True, 2: lambda i, j: i + j < top}[
        xterms
    ]
    return [(i, j) for j in range(yorder) for i in range(xorder) if keep(i, j)]


SURFACES = {
    "lngcor": (
        1,
        4,
        4,
        2,
        {
            (0, 0): 1.5e-4,
            (1, 0): 0.0,
            (0, 1): -2.0e-5,
            (2, 0): 3.1e-5,
            (1, 1): 0.0,
            (0, 2): 7.7e-6,
            (3, 0): -1.23456789e-5,
            (2, 1): 4.0e-6,
            (1, 2): 0.0,
            (0, 3): 2.5e-6,
        },
    ),
    "latcor": (
        2,
        3,
        3,
        1,
        {
            (0, 0): -8.0e-5,
            (1, 0): 1.1e-5,
            (2, 0): 0.0,
            (0, 1): 2.2e-5,
            (1, 1): -3.3e-6,
            (2, 1): 1.0e-6,
            (0, 2): 4.4e-6,
            (1, 2): 0.0,
            (2, 2): 5.5e-7,
        },
    ),
}


def wat_cards(axis: int, name: str, digits: int) -> list[str]:
    kind, xo, yo, xt, coeffs = SURFACES[name]
    numbers = [float(kind), float(xo), float(yo), float(xt), *XR, *YR]
    numbers += [coeffs[t] for t in tnx_terms(xo, yo, xt)]
    text = " ".join("0." if v == 0 else f"{v:.{digits}g}" for v in numbers)
    wat = f'wtype=tnx axtype={"ra" if axis == 1 else "dec"} {name} = "{text}"'
    chunks = [wat[i : i + 68] for i in range(0, len(wat), 68)]
    return [f"WAT{axis}_{n + 1:03d}= '{c}'".ljust(80) for n, c in enumerate(chunks)], chunks


def corrected(x: np.ndarray, y: np.ndarray, digits: int = 17):  # noqa: ANN201
    """Intermediate coordinates plus the TNX/ZPX correction surfaces, from their definition."""
    u = x + 1 - CRPIX[0]
    v = y + 1 - CRPIX[1]
    xi0 = CD[0, 0] * u + CD[0, 1] * v
    eta0 = CD[1, 0] * u + CD[1, 1] * v
    xn = (2 * xi0 - (XR[0] + XR[1])) / (XR[1] - XR[0])
    yn = (2 * eta0 - (YR[0] + YR[1])) / (YR[1] - YR[0])
    out = []
    for name in ("lngcor", "latcor"):
        kind, _, _, _, coeffs = SURFACES[name]
        basis = {1: chebyshev.chebval, 2: legendre.legval}[kind]
        total = np.zeros_like(xn)
        for (i, j), c in coeffs.items():
            c = float(f"{c:.{digits}g}")
            total += c * basis(xn, np.eye(i + 1)[i]) * basis(yn, np.eye(j + 1)[j])
        out.append(total)
    return xi0 + out[0], eta0 + out[1]


def tnx_formula(x: np.ndarray, y: np.ndarray, digits: int) -> tuple[np.ndarray, np.ndarray]:
    """Sky position from the TNX definition, evaluated directly (coefficients as written)."""
    return _deproject(CRVAL, *corrected(x, y, digits))


@pytest.mark.parametrize("digits", [17, 9, 6])
def test_tnx_matches_the_formula(digits):
    cards1, chunks1 = wat_cards(1, "lngcor", digits)
    cards2, chunks2 = wat_cards(2, "latcor", digits)
    text = header_text(base_cards("TNX") + [card("WAT0_001", "system=image")] + cards1 + cards2)
    (solution,) = parse_solutions(text)
    rng = np.random.default_rng(digits)
    x, y = rng.uniform(0, 2000, 500), rng.uniform(0, 1800, 500)
    ra, dec = solution.pixel_to_world(x, y)
    ref_ra, ref_dec = tnx_formula(x, y, digits)
    dra = ((ra - ref_ra + 180) % 360 - 180) * np.cos(np.radians(dec))
    assert np.max(np.hypot(dra, dec - ref_dec)) * 3600 <= 1e-6
    back_x, back_y = solution.world_to_pixel(ra, dec)
    assert np.max(np.hypot(back_x - x, back_y - y)) < 1e-6


def test_wat_strings_keep_numbers_split_across_cards():
    cards1, chunks = wat_cards(1, "lngcor", 17)
    joined = "".join(chunks)  # each value as written, as IRAF joins them
    # the test data really has a number cut by a card boundary, touching the quote
    assert any(a[-1].isdigit() and b[0].isdigit() for a, b in zip(chunks, chunks[1:], strict=False))
    from astropy.io import fits

    header = fits.Header.fromstring(header_text(base_cards("TNX") + cards1))
    assert wat_string(header, 1) == joined
    assert wat_string(header, 1, WAT_RULES[1]) == "".join(c.ljust(68) for c in chunks)


def test_bad_tnx_is_a_clear_error():
    wat = 'wtype=tnx axtype=ra lngcor = "3. 2. 2. 0. x"'
    bad = [f"WAT1_001= '{wat}'".ljust(80)]
    with pytest.raises(CorruptDataFault, match="TNX lngcor"):
        parse_solutions(header_text(base_cards("TNX") + bad))


# --- SIP and TPV ---------------------------------------------------------------------------
SIP_A = {(2, 0): 2.0e-6, (1, 1): -1.0e-6, (0, 2): 3.0e-6, (3, 0): 1.0e-9}
SIP_B = {(2, 0): -1.5e-6, (0, 2): 1.0e-6, (1, 2): 2.0e-9}


def test_sip_against_its_formula_and_inverse():
    cards = base_cards("TAN-SIP") + [card("A_ORDER", 3), card("B_ORDER", 3)]
    cards += [card(f"A_{p}_{q}", c) for (p, q), c in SIP_A.items()]
    cards += [card(f"B_{p}_{q}", c) for (p, q), c in SIP_B.items()]
    (solution,) = parse_solutions(header_text(cards))
    rng = np.random.default_rng(1)
    x, y = rng.uniform(0, 2000, 300), rng.uniform(0, 1800, 300)
    u, v = x + 1 - CRPIX[0], y + 1 - CRPIX[1]
    f = sum(c * u**p * v**q for (p, q), c in SIP_A.items())
    g = sum(c * u**p * v**q for (p, q), c in SIP_B.items())
    xi = CD[0, 0] * (u + f) + CD[0, 1] * (v + g)
    eta = CD[1, 0] * (u + f) + CD[1, 1] * (v + g)
    ref_ra, ref_dec = _deproject(CRVAL, xi, eta)
    ra, dec = solution.pixel_to_world(x, y)
    assert np.max(np.hypot((ra - ref_ra) * np.cos(np.radians(dec)), dec - ref_dec)) < 1e-10
    bx, by = solution.world_to_pixel(ra, dec)
    assert np.max(np.hypot(bx - x, by - y)) < 1e-4


def test_solution_selection_and_refusals(demo_archive):
    import gzip

    path = next(demo_archive.glob("headers/a/a03393_00.wcs.gz"))
    text = read_header_file(path.read_bytes())
    assert text == gzip.decompress(path.read_bytes()).decode()
    solutions = parse_solutions(text)
    assert [s.key for s in solutions] == ["A", "B"]
    assert select(solutions, 1).key == "B"
    with pytest.raises(NotFoundFault, match="solution 2 does not exist .* 0-1"):
        select(solutions, 2)
    with pytest.raises(CorruptDataFault, match="not ASCII"):
        read_header_file(b"\xff\xfe garbage")


# --- ZPX -----------------------------------------------------------------------------------
ZPN = {1: 1.0, 3: 0.08, 5: -0.01}


def zpx_formula(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sky position from the ZPX definition: corrections, then ZPN by hand."""
    xi, eta = corrected(x, y)
    r = np.radians(np.hypot(xi, eta))
    phi = np.arctan2(xi, -eta)
    w = r.copy()  # solve sum P_m w**m = r by Newton
    for _ in range(50):
        f = sum(p * w**m for m, p in ZPN.items()) - r
        df = sum(m * p * w ** (m - 1) for m, p in ZPN.items())
        w = w - f / df
    theta = np.pi / 2 - w
    d0 = np.radians(CRVAL[1])
    dec = np.arcsin(np.sin(theta) * np.sin(d0) + np.cos(theta) * np.cos(d0) * np.cos(phi - np.pi))
    ra = np.radians(CRVAL[0]) + np.arctan2(
        -np.cos(theta) * np.sin(phi - np.pi),
        np.sin(theta) * np.cos(d0) - np.cos(theta) * np.sin(d0) * np.cos(phi - np.pi),
    )
    return np.degrees(ra) % 360, np.degrees(dec)


@pytest.mark.parametrize("in_wat", [False, True])
def test_zpx_matches_the_formula(in_wat):
    cards = base_cards("ZPX")
    if in_wat:  # IRAF may give the ZPN parameters as projpN inside the WAT string
        projp = " ".join(f"projp{m}={p!r}" for m, p in ZPN.items())
        cards1, _ = wat_cards(1, "lngcor", 17)
        cards1 = [f"WAT1_000= '{'wtype=zpx ' + projp}'".ljust(80)] + cards1
    else:
        cards += [card(f"PV2_{m}", p) for m, p in ZPN.items()]
        cards1, _ = wat_cards(1, "lngcor", 17)
    cards2, _ = wat_cards(2, "latcor", 17)
    (solution,) = parse_solutions(header_text(cards + cards1 + cards2))
    rng = np.random.default_rng(5)
    x, y = rng.uniform(0, 2000, 400), rng.uniform(0, 1800, 400)
    ra, dec = solution.pixel_to_world(x, y)
    ref_ra, ref_dec = zpx_formula(x, y)
    dra = ((ra - ref_ra + 180) % 360 - 180) * np.cos(np.radians(dec))
    assert np.max(np.hypot(dra, dec - ref_dec)) * 3600 <= 1e-6
    back_x, back_y = solution.world_to_pixel(ra, dec)
    assert np.max(np.hypot(back_x - x, back_y - y)) < 1e-6
    shifted = solution.shifted_header(100, 50)
    assert shifted["CRPIX1"] == CRPIX[0] - 100 and shifted["CTYPE1"] == "RA---ZPX"
