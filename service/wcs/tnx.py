"""IRAF TNX solutions, read from their WAT strings and rewritten as exact TPV.

wcslib (through astropy) mis-reads some WAT strings (a coefficient that is exactly
0, a number touching the closing quote of a card, Legendre surfaces). Here the WAT
cards' values are concatenated as IRAF does, each value exactly as written between
its quotes (trailing spaces included), whatever width the writer cut them at; a
header whose writer dropped the spaces at the end of its 68-character values is read
with each value padded back to 68 characters, and an error names both rules. The
correction surfaces (Chebyshev and Legendre of coordinates normalised to [-1, 1];
power series of the raw coordinates, which IRAF does not normalise) are expanded into
plain monomials of the intermediate coordinates, and written as the equivalent TPV
``PV`` terms, which every reader understands.
"""

from __future__ import annotations

import re

import numpy as np
from astropy.io import fits
from numpy.polynomial import chebyshev, legendre
from numpy.polynomial import polynomial as power

from service.faults import CorruptDataFault

#: TPV term index of x**i * y**j (no r terms), for i + j <= 7: 0; 1 x, 2 y, (3 r);
#: 4-6; 7-10 (11 r3); 12-16; 17-22 (23 r5); 24-30; 31-38 (39 r7)
_TPV_INDEX: dict[tuple[int, int], int] = {}
_next = 0
for _order in range(8):
    for _j in range(_order + 1):
        _TPV_INDEX[(_order - _j, _j)] = _next
        _next += 1
    if _order % 2 == 1:
        _next += 1  # the r**order term


#: how WAT card values are joined into one string, in the order they are tried
WAT_RULES = ("values joined as written", "values padded to 68 characters")


def _quoted(image: str, keyword: str) -> str:
    """The string value of a card image, exactly as written between its quotes."""
    body = image[10:]
    start = body.find("'")
    if start < 0:
        raise CorruptDataFault(f"{keyword}: not a quoted string")
    out, i = [], start + 1
    while i < len(body):
        if body[i] == "'":
            if body[i + 1 : i + 2] == "'":  # an escaped quote
                out.append("'")
                i += 2
                continue
            return "".join(out)
        out.append(body[i])
        i += 1
    raise CorruptDataFault(f"{keyword}: the string has no closing quote")


def wat_string(header: fits.Header, axis: int, rule: str = WAT_RULES[0]) -> str:
    """The WATn string of ``axis``: its cards' values in order, joined by ``rule``."""
    pieces = []
    for card in header.cards:
        if re.match(rf"^WAT{axis}_\d{{3}}$", card.keyword):
            value = _quoted(card.image, card.keyword)
            pieces.append(value.ljust(68) if rule == WAT_RULES[1] else value)
    return "".join(pieces)


def wat_surface(header: fits.Header, axis: int, name: str) -> np.ndarray | None:
    """The ``name`` (lngcor or latcor) surface of ``axis`` as monomials (see
    :func:`surface_monomials`), or None if the WAT string has none.

    Raises
    ------
    CorruptDataFault
        Naming the rules of :data:`WAT_RULES` and what each met.
    """
    problems = []
    for rule in WAT_RULES:
        wat = wat_string(header, axis, rule)
        if name not in wat:
            return None
        try:
            return surface_monomials(parse_surface(wat, name))
        except CorruptDataFault as exc:
            problems.append(f"{exc} ({rule})")
    raise CorruptDataFault("; ".join(problems))


def parse_surface(wat: str, name: str) -> tuple[int, int, int, int, tuple[float, ...], np.ndarray]:
    """Read ``name = "..."`` (lngcor or latcor) of a WAT string.

    Returns
    -------
    kind, xorder, yorder, xterms, (xmin, xmax, ymin, ymax), coefficients
    """
    match = re.search(rf'{name}\s*=\s*"([^"]*)"', wat)
    if not match:
        raise CorruptDataFault(f"TNX: no {name} surface in the WAT string")
    try:
        numbers = [float(v) for v in match[1].split()]
    except ValueError as exc:
        raise CorruptDataFault(f"TNX {name}: {exc}") from exc
    if len(numbers) < 8:
        raise CorruptDataFault(f"TNX {name}: {len(numbers)} numbers, need at least 8")
    kind, xorder, yorder, xterms = (int(v) for v in numbers[:4])
    return kind, xorder, yorder, xterms, tuple(numbers[4:8]), np.array(numbers[8:])


def _terms(xorder: int, yorder: int, xterms: int) -> list[tuple[int, int]]:
    """(i, j) of each coefficient in gsurfit's order."""
    maxorder = max(xorder, yorder)
    out = []
    for j in range(yorder):
        if xterms == 0:
            n = xorder if j == 0 else 1
        elif xterms == 2:
            n = min(xorder, maxorder - j)
        else:
            n = xorder
        out += [(i, j) for i in range(n)]
    return out


def _basis_in_powers(kind: int, degree: int, low: float, high: float) -> np.ndarray:
    """Power-series coefficients (in the raw variable) of basis function ``degree``."""
    unit = np.zeros(degree + 1)
    unit[degree] = 1.0
    if kind == 3:  # power series: of the raw coordinate (IRAF's ranges are dummies here)
        return unit
    if kind == 1:
        in_norm = chebyshev.cheb2poly(unit)
    elif kind == 2:
        in_norm = legendre.leg2poly(unit)
    else:
        raise CorruptDataFault(f"TNX: unknown surface type {kind}")
    scale, shift = 2.0 / (high - low), -(high + low) / (high - low)
    out = np.zeros(1)
    for n, c in enumerate(in_norm):
        out = power.polyadd(out, c * power.polypow([shift, scale], n))
    return out


def surface_monomials(surface: tuple) -> np.ndarray:
    """2-D array ``m[i, j]``: the surface as a sum of m[i, j] x**i y**j."""
    kind, xorder, yorder, xterms, (xmin, xmax, ymin, ymax), coeffs = surface
    terms = _terms(xorder, yorder, xterms)
    if len(coeffs) != len(terms):
        raise CorruptDataFault(f"TNX: {len(coeffs)} coefficients for {len(terms)} terms")
    out = np.zeros((xorder, yorder))
    for (i, j), c in zip(terms, coeffs, strict=True):
        if c:
            px = _basis_in_powers(kind, i, xmin, xmax)
            py = _basis_in_powers(kind, j, ymin, ymax)
            out[: len(px), : len(py)] += c * np.outer(px, py)
    return out


def tnx_to_tpv_cards(header: fits.Header, key: str) -> fits.Header:
    """A copy of ``header`` where solution ``key`` is the TPV equivalent of its TNX.

    Raises
    ------
    CorruptDataFault
        If the WAT strings are unreadable or the polynomial exceeds TPV's 7th order.
    """
    if key:
        raise CorruptDataFault("TNX solutions are only read under the primary key")
    out = header.copy()
    for axis, name, identity in ((1, "lngcor", (1, 0)), (2, "latcor", (0, 1))):
        surface = wat_surface(header, axis, name)
        surface = np.zeros((1, 1)) if surface is None else surface
        if (np.argwhere(surface).sum(axis=1) > 7).any():
            raise CorruptDataFault(f"TNX {name}: order above 7 cannot be written as TPV")
        mono = np.zeros((max(8, surface.shape[0]), max(8, surface.shape[1])))
        mono[: surface.shape[0], : surface.shape[1]] += surface
        mono[identity] += 1.0
        for (i, j), value in np.ndenumerate(mono):
            if value and i + j <= 7:
                # PV2 terms have x and y exchanged
                index = _TPV_INDEX[(i, j)] if axis == 1 else _TPV_INDEX[(j, i)]
                out[f"PV{axis}_{index}"] = float(value)
        out[f"CTYPE{axis}"] = ("RA---TPV", "DEC--TPV")[axis - 1]
    for card in list(out.keys()):
        if re.match(r"^WAT\d_\d{3}$", card):
            del out[card]
    return out
