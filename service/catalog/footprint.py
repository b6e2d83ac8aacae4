"""Footprints on the sky of a solution over its mosaic's pixel boundary."""

from __future__ import annotations

import numpy as np
from scipy.spatial import ConvexHull

from service.catalog.records import FOOTPRINT_VERTICES
from service.sky import angle, is_convex, orient, radec, unit
from service.wcs.solutions import Solution


def footprint(solution: Solution) -> tuple[np.ndarray, tuple[float, float], float]:
    """The solution's footprint over its pixel frame.

    Sixteen points along the pixel boundary (outer pixel edges, four per side) are
    taken to the sky; the footprint is their convex hull (padded back to 16 vertices
    with arc midpoints where distortion made a point fall inside).

    Returns
    -------
    vertices : ndarray
        (16, 2) RA/Dec in degrees, counter-clockwise.
    centre : (float, float)
        RA/Dec of the pixel centre of the frame.
    fov : float
        Diameter of the smallest cone around the centre containing the footprint, deg.
    """
    ny, nx = solution.shape
    t = np.arange(4) / 4.0
    xs = np.concatenate([-0.5 + t * nx, np.full(4, nx - 0.5), nx - 0.5 - t * nx, np.full(4, -0.5)])
    ys = np.concatenate([np.full(4, -0.5), -0.5 + t * ny, np.full(4, ny - 0.5), ny - 0.5 - t * ny])
    ra, dec = solution.pixel_to_world(xs, ys)
    cra, cdec = solution.pixel_to_world(np.array([(nx - 1) / 2]), np.array([(ny - 1) / 2]))
    centre = unit(float(cra[0]), float(cdec[0]))
    points = unit(ra, dec)
    # gnomonic projection about the centre for a planar hull
    east = np.cross([0.0, 0.0, 1.0], centre)
    if np.linalg.norm(east) < 1e-12:
        east = np.array([0.0, 1.0, 0.0])
    east /= np.linalg.norm(east)
    north = np.cross(centre, east)
    plane = np.stack([points @ east, points @ north], axis=1) / (points @ centre)[:, None]
    hull = points[np.sort(ConvexHull(plane).vertices)]
    hull = orient(hull)
    while len(hull) < FOOTPRINT_VERTICES:
        lengths = angle(hull, np.roll(hull, -1, axis=0))
        i = int(np.argmax(lengths))
        middle = hull[i] + hull[(i + 1) % len(hull)]
        hull = np.insert(hull, i + 1, middle / np.linalg.norm(middle), axis=0)
    if not is_convex(hull):
        raise ValueError("footprint is not convex")
    fov = 2 * np.degrees(angle(hull, centre[None, :]).max())
    hra, hdec = radec(hull)
    return np.stack([hra, hdec], axis=1), (float(cra[0]) % 360.0, float(cdec[0])), float(fov)


def pixel_scale_arcsec(solution: Solution) -> float:
    """The solution's pixel scale at the centre of its frame (mean of x and y steps)."""
    ny, nx = solution.shape
    x = np.array([nx / 2, nx / 2 + 1, nx / 2])
    y = np.array([ny / 2, ny / 2, ny / 2 + 1])
    ra, dec = solution.pixel_to_world(x, y)
    v = unit(ra, dec)
    return float(np.degrees(angle(v[0], v[1:]).mean()) * 3600.0)


def exposure_geometry(
    solution: Solution,
) -> tuple[np.ndarray, tuple[float, float], float, float]:
    """Footprint, centre and field of view (:func:`footprint`) and the pixel scale
    (arcsec) of a solution: what a catalog record says of its exposure's sky."""
    vertices, centre, fov = footprint(solution)
    return vertices, centre, fov, pixel_scale_arcsec(solution)
