"""IRAF ZPX solutions: a zenithal polynomial (ZPN) projection with TNX-style corrections.

wcslib has no ZPX reader we can rely on, and ZPN cannot be rewritten as TPV, so the
model is evaluated here: pixel -> intermediate (CD) -> + lngcor/latcor surfaces ->
ZPN deprojection (wcslib, through a projection-only astropy WCS). The inverse runs
wcslib's ZPN projection, then Newton iterations on the (small) correction surfaces.
"""

from __future__ import annotations

import re

import numpy as np
from astropy.io import fits
from astropy.wcs import WCS
from numpy.polynomial import polynomial as power

from service.faults import CorruptDataFault
from service.wcs.tnx import wat_string, wat_surface


def _projp(wat: str) -> dict[int, float]:
    return {int(m[1]): float(m[2]) for m in re.finditer(r"projp(\d)\s*=\s*([-+.\dEeDd]+)", wat)}


class ZpxModel:
    """A ZPX solution in 0-based pixels of its frame.

    Parameters
    ----------
    header
        Header holding the solution under the primary key.
    """

    def __init__(self, header: fits.Header) -> None:
        try:
            self.crval = (float(header["CRVAL1"]), float(header["CRVAL2"]))
            self.crpix = np.array([float(header["CRPIX1"]), float(header["CRPIX2"])])
            self.cd = np.array(
                [
                    [header.get("CD1_1", 0.0), header.get("CD1_2", 0.0)],
                    [header.get("CD2_1", 0.0), header.get("CD2_2", 0.0)],
                ],
                float,
            )
        except (KeyError, ValueError) as exc:
            raise CorruptDataFault(f"ZPX solution: {exc}") from exc
        self.header = header
        wat1, wat2 = wat_string(header, 1), wat_string(header, 2)
        params = {m: float(header[f"PV2_{m}"]) for m in range(21) if f"PV2_{m}" in header}
        params = params or {**_projp(wat2), **_projp(wat1)}
        if not params:
            raise CorruptDataFault("ZPX solution without projection parameters")
        self.params = params
        self.surfaces = []
        for axis, name in ((1, "lngcor"), (2, "latcor")):
            surface = wat_surface(header, axis, name)
            self.surfaces.append(np.zeros((1, 1)) if surface is None else surface)
        projection = WCS(naxis=2)
        projection.wcs.ctype = ["RA---ZPN", "DEC--ZPN"]
        projection.wcs.crval = list(self.crval)
        projection.wcs.crpix = [1.0, 1.0]
        projection.wcs.cd = np.eye(2)
        projection.wcs.set_pv([(2, m, v) for m, v in sorted(params.items())])
        projection.wcs.set()
        self.projection = projection
        self._cd_inverse = np.linalg.inv(self.cd)

    def _correct(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return (
            u + power.polyval2d(u, v, self.surfaces[0]),
            v + power.polyval2d(u, v, self.surfaces[1]),
        )

    def pixel_to_world(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Sky positions (degrees) of 0-based pixels."""
        dx = np.asarray(x, float) + 1 - self.crpix[0]
        dy = np.asarray(y, float) + 1 - self.crpix[1]
        xi, eta = self._correct(
            self.cd[0, 0] * dx + self.cd[0, 1] * dy, self.cd[1, 0] * dx + self.cd[1, 1] * dy
        )
        ra, dec = self.projection.wcs_pix2world(xi, eta, 0)
        return np.asarray(ra), np.asarray(dec)

    def world_to_pixel(self, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """0-based pixels of sky positions, inverting the corrections by Newton's method."""
        xi, eta = (np.asarray(c, float) for c in self.projection.wcs_world2pix(ra, dec, 0))
        u, v = xi.copy(), eta.copy()
        h = 1e-7
        for _ in range(20):
            fu, fv = self._correct(u, v)
            ru, rv = fu - xi, fv - eta
            a, c = (np.array(t) for t in self._correct(u + h, v))
            b, d = (np.array(t) for t in self._correct(u, v + h))
            j11, j21, j12, j22 = (a - fu) / h, (c - fv) / h, (b - fu) / h, (d - fv) / h
            det = j11 * j22 - j12 * j21
            du, dv = (j22 * ru - j12 * rv) / det, (-j21 * ru + j11 * rv) / det
            u, v = u - du, v - dv
            if np.nanmax(np.abs(np.concatenate([np.ravel(du), np.ravel(dv), [0.0]]))) < 1e-14:
                break
        px = self._cd_inverse[0, 0] * u + self._cd_inverse[0, 1] * v + self.crpix[0] - 1
        py = self._cd_inverse[1, 0] * u + self._cd_inverse[1, 1] * v + self.crpix[1] - 1
        return px, py
