"""Where a target grid meets a plate, found without inverting the plate's distortion.

The plate's outline (its pixel-frame boundary, densely sampled) is taken to the sky
through the solution's forward mapping, which is well defined everywhere on the
plate, and from the sky into the target grid's projection, which has no distortion.
The part of the grid that can hold plate pixels is then the bounding box of the
outline clipped to the grid: outline points inside the grid, crossings of the outline
with the grid's edges, and the grid corners inside the outline. A grid that misses the
plate is known here, in a few milliseconds; a cutout only ever evaluates the
distortion's inverse inside this window (and a margin), never far off the plate.

Depends on :mod:`service.cutout.grid` and :mod:`service.wcs.solutions`.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from service.cutout.grid import TargetGrid
from service.wcs.solutions import Solution

Window = tuple[int, int, int, int]  # x0, x1, y0, y1 in target pixels, half-open
OUTLINE_POINTS = 1024  # samples of the plate's boundary


@dataclasses.dataclass(frozen=True)
class Overlap:
    """Where a grid meets a plate.

    Attributes
    ----------
    window
        Half-open target-pixel window (x0, x1, y0, y1) that can hold plate pixels.
    edge_x, edge_y
        Solution-frame coordinates of the plate outline's samples that fall in the grid.
    """

    window: Window
    edge_x: np.ndarray
    edge_y: np.ndarray


def frame_outline(solution: Solution, points: int = OUTLINE_POINTS) -> tuple[np.ndarray, ...]:
    """The outer edge of the solution's pixel frame, a closed loop of about ``points``
    samples: solution-frame x, y (0-based) and their RA, Dec (degrees)."""
    ny, nx = solution.shape
    per_side = max(2, points // 4)
    t = np.linspace(0.0, 1.0, per_side, endpoint=False)
    x = np.concatenate([-0.5 + t * nx, np.full(per_side, nx - 0.5), nx - 0.5 - t * nx])
    y = np.concatenate([np.full(per_side, -0.5), -0.5 + t * ny, np.full(per_side, ny - 0.5)])
    x = np.concatenate([x, np.full(per_side, -0.5)])
    y = np.concatenate([y, ny - 0.5 - t * ny])
    ra, dec = solution.pixel_to_world(x, y)
    return x, y, ra, dec


def _distance_deg(
    ra: np.ndarray, dec: np.ndarray, ra0: np.ndarray | float, dec0: np.ndarray | float
) -> np.ndarray:
    """Great-circle distances (haversine: exact for small ones too), degrees."""
    a, b = np.radians(dec), np.radians(dec0)
    h = np.sin((a - b) / 2) ** 2 + np.cos(a) * np.cos(b) * np.sin(np.radians(ra - ra0) / 2) ** 2
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0))))


def _inside(px: np.ndarray, py: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Whether points (x, y) are inside the closed polygon (px, py): crossing number."""
    qx, qy = np.roll(px, -1), np.roll(py, -1)
    inside = np.zeros(len(x), bool)
    for i in range(len(x)):
        crosses = (py > y[i]) != (qy > y[i])
        with np.errstate(divide="ignore", invalid="ignore"):
            at = px + (y[i] - py) * (qx - px) / (qy - py)
        inside[i] = np.count_nonzero(crosses & (x[i] < at)) % 2 == 1
    return inside


def _crossings(px: np.ndarray, py: np.ndarray, lo: float, hi: float, at: float) -> np.ndarray:
    """The y of the outline's crossings of the vertical line x = ``at`` within [lo, hi]."""
    qx, qy = np.roll(px, -1), np.roll(py, -1)
    hit = (px - at) * (qx - at) <= 0
    hit &= px != qx
    with np.errstate(divide="ignore", invalid="ignore"):
        y = py + (at - px) * (qy - py) / (qx - px)
    y = y[hit]
    return y[(y >= lo) & (y <= hi)]


def plate_overlap(solution: Solution, grid: TargetGrid, margin_px: float = 2.0) -> Overlap | None:
    """The part of ``grid`` that can hold pixels of the plate, or None if none can.

    Parameters
    ----------
    solution
        The plate's solution (its frame is the whole plate).
    grid
        The target grid.
    margin_px
        Target pixels added around the clipped outline (covers interpolation and the
        outline's sampling); one source pixel more is added at the grid's scale.

    Returns
    -------
    Overlap or None
        None when the grid misses the plate. When the plate cannot be projected
        into the grid (part of it 90 degrees or more from the grid centre, yet near
        it), the window is the whole grid.
    """
    fx, fy, ra, dec = frame_outline(solution)
    distance = _distance_deg(ra, dec, grid.ra, grid.dec)
    corner = math.hypot(grid.nx, grid.ny) / 2 * grid.scale_arcsec / 3600.0
    spacing = float(np.max(_distance_deg(ra, dec, np.roll(ra, 1), np.roll(dec, 1))))
    whole = Overlap((0, grid.nx, 0, grid.ny), fx, fy)
    if not np.isfinite(distance).all():
        return whole
    if distance.max() >= 89.0:  # the plate cannot contain the centre from so far
        return None if distance.min() > corner + spacing else whole
    px, py = grid.wcs().all_world2pix(ra, dec, 0)
    if not (np.isfinite(px).all() and np.isfinite(py).all()):
        return whole
    lo_x, hi_x, lo_y, hi_y = -0.5, grid.nx - 0.5, -0.5, grid.ny - 0.5
    xs, ys = [], []
    inside = (px >= lo_x) & (px <= hi_x) & (py >= lo_y) & (py <= hi_y)
    xs.append(px[inside])
    ys.append(py[inside])
    for edge in (lo_x, hi_x):
        cross = _crossings(px, py, lo_y, hi_y, edge)
        xs.append(np.full(len(cross), edge))
        ys.append(cross)
    for edge in (lo_y, hi_y):
        cross = _crossings(py, px, lo_x, hi_x, edge)
        xs.append(cross)
        ys.append(np.full(len(cross), edge))
    cx = np.array([lo_x, hi_x, hi_x, lo_x])
    cy = np.array([lo_y, lo_y, hi_y, hi_y])
    corners = _inside(px, py, cx, cy)
    xs.append(cx[corners])
    ys.append(cy[corners])
    x, y = np.concatenate(xs), np.concatenate(ys)
    if x.size == 0:
        return None
    source_scale = _source_scale_arcsec(solution)
    pad = margin_px + source_scale / grid.scale_arcsec
    x0 = max(0, math.floor(x.min() + 0.5 - pad))
    x1 = min(grid.nx, math.ceil(x.max() + 0.5 + pad))
    y0 = max(0, math.floor(y.min() + 0.5 - pad))
    y1 = min(grid.ny, math.ceil(y.max() + 0.5 + pad))
    if x0 >= x1 or y0 >= y1:
        return None
    return Overlap((x0, x1, y0, y1), fx[inside], fy[inside])


def _source_scale_arcsec(solution: Solution) -> float:
    """The plate's pixel scale at the centre of its frame."""
    ny, nx = solution.shape
    x = np.array([nx / 2, nx / 2 + 1])
    y = np.array([ny / 2, ny / 2])
    ra, dec = solution.pixel_to_world(x, y)
    return float(_distance_deg(ra[:1], dec[:1], float(ra[1]), float(dec[1]))[0] * 3600.0)
