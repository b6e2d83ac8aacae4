"""The target grid: a zenithal projection centred on the requested position."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from astropy.wcs import WCS

PROJECTIONS = ("TAN", "SIN", "ARC", "STG", "ZEA")


@dataclasses.dataclass(frozen=True)
class TargetGrid:
    """Where a cutout's pixels are on the sky.

    Attributes
    ----------
    ra, dec
        Centre, degrees (ICRS).
    nx, ny
        Size in pixels.
    scale_arcsec
        Pixel scale.
    rotation_deg
        Position angle of the grid's +y axis, east of north (0: north up, east left).
    projection
        One of :data:`PROJECTIONS` (default gnomonic).
    """

    ra: float
    dec: float
    nx: int
    ny: int
    scale_arcsec: float
    rotation_deg: float = 0.0
    projection: str = "TAN"

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx)."""
        return self.ny, self.nx

    def wcs(self) -> WCS:
        """The grid's WCS (FITS 1-based CRPIX at the centre of the image)."""
        wcs = WCS(naxis=2)
        wcs.wcs.ctype = [f"RA---{self.projection}", f"DEC--{self.projection}"]
        wcs.wcs.crval = [self.ra % 360.0, self.dec]
        wcs.wcs.crpix = [(self.nx + 1) / 2.0, (self.ny + 1) / 2.0]
        s = self.scale_arcsec / 3600.0
        t = math.radians(self.rotation_deg)
        wcs.wcs.cd = np.array(
            [[-s * math.cos(t), s * math.sin(t)], [s * math.sin(t), s * math.cos(t)]]
        )
        wcs.wcs.radesys = "ICRS"
        wcs.wcs.set()
        return wcs
