"""The target grid: a zenithal projection centred on the requested position."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from astropy.wcs import WCS

from service.faults import UsageFault

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
    origin
        For a part of a larger grid (:meth:`window`): where this part starts in it.
        The reference pixel stays the larger grid's centre, so the sky grid is the same.
    full
        (nx, ny) of the larger grid (None: this grid is whole).
    """

    ra: float
    dec: float
    nx: int
    ny: int
    scale_arcsec: float
    rotation_deg: float = 0.0
    projection: str = "TAN"
    origin: tuple[int, int] = (0, 0)
    full: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        """A grid is on the sky, of positive size and scale, in a known projection."""
        if self.projection not in PROJECTIONS:
            raise UsageFault(
                f"projection {self.projection!r} is not one of {', '.join(PROJECTIONS)}"
            )
        if self.nx < 1 or self.ny < 1 or not self.scale_arcsec > 0:
            raise UsageFault("cutout size and pixel scale must be positive")
        if not -90 <= self.dec <= 90 or not math.isfinite(self.ra):
            raise UsageFault(f"position ({self.ra}, {self.dec}) is not on the sky")

    @property
    def shape(self) -> tuple[int, int]:
        """(ny, nx)."""
        return self.ny, self.nx

    def window(self, x0: int, x1: int, y0: int, y1: int) -> TargetGrid:
        """The part ``[y0, y1) x [x0, x1)`` of this grid, on the same sky grid."""
        ox, oy = self.origin
        return dataclasses.replace(
            self,
            nx=x1 - x0,
            ny=y1 - y0,
            origin=(ox + x0, oy + y0),
            full=self.full or (self.nx, self.ny),
        )

    def wcs(self) -> WCS:
        """The grid's WCS (FITS 1-based CRPIX at the centre of the whole grid)."""
        full_x, full_y = self.full or (self.nx, self.ny)
        wcs = WCS(naxis=2)
        wcs.wcs.ctype = [f"RA---{self.projection}", f"DEC--{self.projection}"]
        wcs.wcs.crval = [self.ra % 360.0, self.dec]
        wcs.wcs.crpix = [(full_x + 1) / 2.0 - self.origin[0], (full_y + 1) / 2.0 - self.origin[1]]
        s = self.scale_arcsec / 3600.0
        t = math.radians(self.rotation_deg)
        wcs.wcs.cd = np.array(
            [[-s * math.cos(t), s * math.sin(t)], [s * math.sin(t), s * math.cos(t)]]
        )
        wcs.wcs.radesys = "ICRS"
        wcs.wcs.set()
        return wcs
