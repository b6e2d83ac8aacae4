"""HEALPix cells (cdshealpix, NESTED) indexing footprints, and covering query regions.

Each footprint is indexed at one order, chosen from its size so that it covers a few
dozen cells at most; a query looks up, at every order in use, the cells its region
touches. Cell lists are conservative (they may include cells that only graze the
region); the exact test in :mod:`service.sky` decides.
"""

from __future__ import annotations

import math

import numpy as np
from astropy import units as u

from service.sky import Circle, Polygon, Range, Region, angle, radec, unit

ORDERS = tuple(range(1, 11))  # 29 deg .. 3.4 arcmin cells
CELL_SIZE_DEG = {k: 58.6 / 2**k for k in ORDERS}


def _healpix():  # noqa: ANN202
    """cdshealpix's searches and the angle types they take (astropy.coordinates: only
    where the index is searched or built, not for a cutout by identifier)."""
    from astropy.coordinates import Latitude, Longitude
    from cdshealpix.nested import cone_search, polygon_search

    return Latitude, Longitude, cone_search, polygon_search


def order_for_radius(radius_deg: float) -> int:
    """Index order of a footprint of this circumscribed radius (cells ~ radius / 1.5)."""
    for k in reversed(ORDERS):
        if CELL_SIZE_DEG[k] >= radius_deg / 1.5:
            return k
    return ORDERS[0]


def footprint_cells(vertices: np.ndarray) -> tuple[int, list[int]]:
    """(order, cells) indexing a footprint given as unit vectors (k, 3)."""
    centre = vertices.sum(axis=0)
    centre /= np.linalg.norm(centre)
    radius = math.degrees(float(angle(vertices, centre[None, :]).max()))
    order = order_for_radius(radius)
    ra, dec = radec(vertices)
    Latitude, Longitude, _, polygon_search = _healpix()
    cells = polygon_search(Longitude(ra * u.deg), Latitude(dec * u.deg), depth=order, flat=True)[0]
    return order, sorted({int(c) for c in cells})


def _circumscribing_cone(region: Region) -> tuple[float, float, float]:
    """A cone containing the region: (ra, dec, radius) in degrees."""
    if isinstance(region, Circle):
        return region.ra, region.dec, region.radius
    if isinstance(region, Polygon):
        v = unit(*np.array(region.vertices).T)
    else:
        span = (region.ra_max - region.ra_min) % 360.0 if not region.full_ra else 360.0
        ras = region.ra_min + np.linspace(0, span, 37)
        decs = np.linspace(region.dec_min, region.dec_max, 19)
        grid_ra, grid_dec = np.meshgrid(ras, decs)
        v = unit(grid_ra.ravel(), grid_dec.ravel())
    centre = v.sum(axis=0)
    if np.linalg.norm(centre) < 1e-9:
        return 0.0, 90.0, 180.0
    centre /= np.linalg.norm(centre)
    radius = math.degrees(float(angle(v, centre[None, :]).max()))
    if isinstance(region, Range):
        radius += 0.5 * CELL_SIZE_DEG[ORDERS[0]] / 30  # parallels bulge between samples
        radius = radius * 1.01 + 1e-3
    ra, dec = radec(centre)
    return float(ra), float(dec), radius


def _range_outline(box: Range) -> tuple[np.ndarray, np.ndarray]:
    """A polygon enclosing the RA/Dec box: its edges sampled every <= 2 degrees, pushed
    out by 0.05 degrees (chords between samples of a parallel bulge by less)."""
    margin = 0.05
    span = (box.ra_max - box.ra_min) % 360.0
    low, high = box.dec_min - margin, box.dec_max + margin
    stretch = margin / math.cos(math.radians(max(abs(low), abs(high))))
    ras = np.linspace(
        box.ra_min - stretch, box.ra_min + span + stretch, max(2, int(span / 2.0) + 2)
    )
    lon = np.concatenate([ras, ras[::-1]]) % 360.0
    lat = np.concatenate([np.full(len(ras), low), np.full(len(ras), high)])
    return lon, lat


def region_cells(region: Region, order: int) -> list[int]:
    """Cells of ``order`` that may touch the region (a superset)."""
    ra, dec, radius = _circumscribing_cone(region)
    if radius >= 179.0:
        return list(range(12 * 4**order))
    Latitude, Longitude, cone_search, polygon_search = _healpix()
    simple_range = (
        isinstance(region, Range)
        and not region.full_ra
        and max(abs(region.dec_min), abs(region.dec_max)) < 88.0
        and (region.ra_max - region.ra_min) % 360.0 < 180.0
    )
    if simple_range and radius > CELL_SIZE_DEG[order]:
        lon, lat = _range_outline(region)
        cells = polygon_search(
            Longitude(lon * u.deg), Latitude(lat * u.deg), depth=order, flat=True
        )[0]
        return sorted({int(c) for c in cells})
    if isinstance(region, Polygon) and radius > CELL_SIZE_DEG[order]:
        v = np.array(region.vertices)
        cells = polygon_search(
            Longitude(v[:, 0] * u.deg), Latitude(v[:, 1] * u.deg), depth=order, flat=True
        )[0]
    else:
        cells = cone_search(
            Longitude(ra * u.deg),
            Latitude(dec * u.deg),
            min(radius, 179.0) * u.deg,
            depth=order,
            flat=True,
        )[0]
    return sorted({int(c) for c in cells})
