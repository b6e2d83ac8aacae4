"""The demo plates' true astrometry: a gnomonic projection with a TPV distortion.

This is the generator's own model (numpy only), written from the TPV
definition, so that tests can check a WCS library's reading of our headers
against it. Pixel coordinates here are 0-based (FITS pixel 1 is 0.0).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

#: TPV term k of PV1_k is x**i * y**j * r**p with (i, j, p) = TPV_TERMS[k];
#: PV2_k uses the same table with x and y exchanged.
TPV_TERMS: tuple[tuple[int, int, int], ...] = (
    (0, 0, 0), (1, 0, 0), (0, 1, 0), (0, 0, 1),
    (2, 0, 0), (1, 1, 0), (0, 2, 0),
    (3, 0, 0), (2, 1, 0), (1, 2, 0), (0, 3, 0), (0, 0, 3),
    (4, 0, 0), (3, 1, 0), (2, 2, 0), (1, 3, 0), (0, 4, 0),
    (5, 0, 0), (4, 1, 0), (3, 2, 0), (2, 3, 0), (1, 4, 0), (0, 5, 0), (0, 0, 5),
    (6, 0, 0), (5, 1, 0), (4, 2, 0), (3, 3, 0), (2, 4, 0), (1, 5, 0), (0, 6, 0),
    (7, 0, 0), (6, 1, 0), (5, 2, 0), (4, 3, 0), (3, 4, 0), (2, 5, 0), (1, 6, 0), (0, 7, 0),
    (0, 0, 7),
)  # fmt: skip


def _tpv(coeffs: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    r = np.hypot(u, v)
    out = np.zeros_like(u)
    for k, c in enumerate(coeffs):
        if c:
            i, j, p = TPV_TERMS[k]
            out = out + c * u**i * v**j * r**p
    return out


@dataclasses.dataclass(frozen=True)
class TrueSolution:
    """The exact astrometry of one exposure, in the solution pixel frame.

    Attributes
    ----------
    crval
        (RA, Dec) of the tangent point, degrees.
    crpix
        0-based pixel of the tangent point.
    cd
        2x2 CD matrix, degrees per pixel.
    pv1, pv2
        40 TPV coefficients each (PV1_0..PV1_39 and PV2_0..PV2_39).
    """

    crval: tuple[float, float]
    crpix: tuple[float, float]
    cd: tuple[tuple[float, float], tuple[float, float]]
    pv1: tuple[float, ...]
    pv2: tuple[float, ...]

    def _distort(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return _tpv(np.asarray(self.pv1), x, y), _tpv(np.asarray(self.pv2), y, x)

    def pixel_to_world(self, px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map 0-based pixels to (RA, Dec) in degrees."""
        dx = np.asarray(px, float) - self.crpix[0]
        dy = np.asarray(py, float) - self.crpix[1]
        (a, b), (c, d) = self.cd
        xi, eta = self._distort(a * dx + b * dy, c * dx + d * dy)
        return _deproject(self.crval, xi, eta)

    def world_to_pixel(self, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map (RA, Dec) in degrees to 0-based pixels, inverting the distortion.

        Points on the far hemisphere of the tangent point give NaN.
        """
        xi, eta = _project(self.crval, np.asarray(ra, float), np.asarray(dec, float))
        x, y = xi.copy(), eta.copy()
        h = 1e-7
        for _ in range(30):
            fx, fy = self._distort(x, y)
            rx, ry = fx - xi, fy - eta
            fxx, fyx = self._distort(x + h, y)
            fxy, fyy = self._distort(x, y + h)
            j11, j21 = (fxx - fx) / h, (fyx - fy) / h
            j12, j22 = (fxy - fx) / h, (fyy - fy) / h
            det = j11 * j22 - j12 * j21
            step_x = (j22 * rx - j12 * ry) / det
            step_y = (-j21 * rx + j11 * ry) / det
            x, y = x - step_x, y - step_y
            if np.nanmax(np.abs(np.concatenate([step_x.ravel(), step_y.ravel(), [0.0]]))) < 1e-13:
                break
        (a, b), (c, d) = self.cd
        det = a * d - b * c
        dx = (d * x - b * y) / det
        dy = (-c * x + a * y) / det
        return dx + self.crpix[0], dy + self.crpix[1]

    def header_cards(self, key: str = "") -> list[tuple[str, object, str]]:
        """FITS cards of this solution, written as DASCH does: ``-TAN`` with ``PV`` terms.

        Parameters
        ----------
        key
            Alternate WCS letter ('' for the primary description).
        """
        cards: list[tuple[str, object, str]] = [
            (f"WCSAXES{key}", 2, "number of WCS axes"),
            (f"CTYPE1{key}", "RA---TAN", "TAN with PV terms: read as TPV"),
            (f"CTYPE2{key}", "DEC--TAN", "TAN with PV terms: read as TPV"),
            (f"CRVAL1{key}", self.crval[0], "[deg] RA of tangent point"),
            (f"CRVAL2{key}", self.crval[1], "[deg] Dec of tangent point"),
            (f"CRPIX1{key}", self.crpix[0] + 1.0, "1-based reference pixel"),
            (f"CRPIX2{key}", self.crpix[1] + 1.0, "1-based reference pixel"),
            (f"CD1_1{key}", self.cd[0][0], ""),
            (f"CD1_2{key}", self.cd[0][1], ""),
            (f"CD2_1{key}", self.cd[1][0], ""),
            (f"CD2_2{key}", self.cd[1][1], ""),
            (f"RADESYS{key}", "ICRS", ""),
        ]
        for axis, coeffs in ((1, self.pv1), (2, self.pv2)):
            for k, c in enumerate(coeffs):
                if c:
                    cards.append((f"PV{axis}_{k}{key}", float(c), ""))
        return cards


def _project(crval: tuple[float, float], ra: np.ndarray, dec: np.ndarray):
    """Gnomonic projection about crval; returns (xi, eta) in degrees."""
    a0, d0 = math.radians(crval[0]), math.radians(crval[1])
    a, d = np.radians(ra), np.radians(dec)
    cos_c = math.sin(d0) * np.sin(d) + math.cos(d0) * np.cos(d) * np.cos(a - a0)
    with np.errstate(divide="ignore", invalid="ignore"):
        xi = np.cos(d) * np.sin(a - a0) / cos_c
        eta = (math.cos(d0) * np.sin(d) - math.sin(d0) * np.cos(d) * np.cos(a - a0)) / cos_c
    far = cos_c <= 0
    xi = np.where(far, np.nan, xi)
    eta = np.where(far, np.nan, eta)
    return np.degrees(xi), np.degrees(eta)


def _deproject(crval: tuple[float, float], xi: np.ndarray, eta: np.ndarray):
    """Inverse gnomonic projection; (xi, eta) in degrees to (RA, Dec) in degrees."""
    a0, d0 = math.radians(crval[0]), math.radians(crval[1])
    x, y = np.radians(xi), np.radians(eta)
    rho = np.hypot(x, y)
    c = np.arctan(rho)
    with np.errstate(divide="ignore", invalid="ignore"):
        sin_d = np.cos(c) * math.sin(d0) + np.where(rho > 0, y * np.sin(c) * math.cos(d0) / rho, 0)
    dec = np.arcsin(np.clip(sin_d, -1, 1))
    ra = a0 + np.arctan2(
        x * np.sin(c), rho * math.cos(d0) * np.cos(c) - y * math.sin(d0) * np.sin(c)
    )
    return np.degrees(ra) % 360.0, np.degrees(dec)


def design_solution(
    rng: np.random.Generator,
    crval: tuple[float, float],
    shape: tuple[int, int],
    scale_arcsec: float,
    corner_distortion_px: float,
    position_angle_deg: float,
) -> TrueSolution:
    """Make a plausible plate solution with a strong, invertible distortion.

    Parameters
    ----------
    rng
        Random generator for the small asymmetric terms.
    crval
        Tangent point (RA, Dec) in degrees.
    shape
        (ny, nx) of the solution frame.
    scale_arcsec
        Pixel scale at the centre.
    corner_distortion_px
        Displacement at the plate corner (pixels; sign: + pincushion, - barrel).
    position_angle_deg
        Rotation of north from the +y axis.
    """
    ny, nx = shape
    scale = scale_arcsec / 3600.0
    theta = math.radians(position_angle_deg)
    cd = (
        (-scale * math.cos(theta), scale * math.sin(theta)),
        (scale * math.sin(theta), scale * math.cos(theta)),
    )
    r_corner = math.hypot(nx / 2, ny / 2) * scale  # degrees
    target = corner_distortion_px * scale
    a3 = 0.8 * target / r_corner**3
    a5 = 0.2 * target / r_corner**5
    pv = np.zeros(40)
    pv[1] = 1.0
    pv[7] = pv[9] = a3  # x * r**2
    pv[17], pv[19], pv[21] = a5, 2 * a5, a5  # x * r**4
    pv1, pv2 = pv.copy(), pv.copy()
    small = 0.02 * abs(target)
    pv1[4], pv1[6] = rng.normal(0, small / r_corner**2, 2)
    pv2[4], pv2[5] = rng.normal(0, small / r_corner**2, 2)
    pv1[24] = rng.normal(0, small / r_corner**6)
    pv2[28] = rng.normal(0, small / r_corner**6)
    pv1[11] = rng.normal(0, small / r_corner**3)
    return TrueSolution(
        crval=(float(crval[0]) % 360.0, float(crval[1])),
        crpix=((nx - 1) / 2.0, (ny - 1) / 2.0),
        cd=cd,
        pv1=tuple(float(v) for v in pv1),
        pv2=tuple(float(v) for v in pv2),
    )
