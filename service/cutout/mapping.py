"""Target pixel -> sky -> source pixel, evaluated exactly on a coarse grid and interpolated.

Inverting a plate's distortion for every output pixel is the slow part of a cutout.
The mapping is smooth, so it is computed exactly at nodes every ``step`` pixels,
interpolated with bicubic splines, and checked against the exact mapping at the
centres of the coarse cells; the step is halved until the error is within tolerance.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from scipy.interpolate import RectBivariateSpline

Transform = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclasses.dataclass(frozen=True)
class Mapping:
    """Source pixel of every target pixel."""

    x: np.ndarray  # (ny, nx) source column of each target pixel
    y: np.ndarray
    step: int  # coarse step used (1: exact everywhere)
    max_error: float  # largest difference from the exact mapping at the check points


def _exact(transform: Transform, xs: np.ndarray, ys: np.ndarray):  # noqa: ANN202
    gx, gy = np.meshgrid(xs, ys)
    sx, sy = transform(gx.ravel().astype(float), gy.ravel().astype(float))
    return np.asarray(sx).reshape(gx.shape), np.asarray(sy).reshape(gx.shape)


def _nodes(n: int, step: int) -> np.ndarray:
    nodes = np.arange(0, n, step)
    return nodes if nodes[-1] == n - 1 else np.append(nodes, n - 1)


def map_pixels(
    transform: Transform, shape: tuple[int, int], step: int = 16, tolerance: float = 0.01
) -> Mapping:
    """Source coordinates of every pixel of a target grid.

    Parameters
    ----------
    transform
        Exact mapping of target pixels (x, y arrays, 0-based) to source pixels.
    shape
        (ny, nx) of the target.
    step
        Initial coarse step in pixels.
    tolerance
        Largest allowed error (source pixels) at the check points.

    Returns
    -------
    Mapping
    """
    ny, nx = shape
    while step > 1 and min(nx, ny) > 4 * step:
        xs, ys = _nodes(nx, step), _nodes(ny, step)
        node_x, node_y = _exact(transform, xs, ys)
        if np.isfinite(node_x).all() and np.isfinite(node_y).all():
            spline_x = RectBivariateSpline(ys, xs, node_x, kx=3, ky=3)
            spline_y = RectBivariateSpline(ys, xs, node_y, kx=3, ky=3)
            cx = (xs[:-1] + xs[1:]) / 2.0
            cy = (ys[:-1] + ys[1:]) / 2.0
            check_x, check_y = _exact(transform, cx, cy)
            error = np.hypot(spline_x(cy, cx) - check_x, spline_y(cy, cx) - check_y)
            if np.nanmax(error) <= tolerance:
                full_x = spline_x(np.arange(ny), np.arange(nx))
                full_y = spline_y(np.arange(ny), np.arange(nx))
                return Mapping(full_x, full_y, step, float(np.nanmax(error)))
        step //= 2
    full_x, full_y = _exact(transform, np.arange(nx), np.arange(ny))
    return Mapping(full_x, full_y, 1, 0.0)
