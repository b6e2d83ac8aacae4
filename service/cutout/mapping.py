"""Target pixel -> sky -> source pixel, evaluated exactly on a coarse grid and interpolated.

Inverting a plate's distortion for every output pixel is the slow part of a cutout.
The mapping is smooth, so it is computed exactly at nodes every ``step`` pixels,
interpolated with bicubic splines, and checked against the exact mapping at the
centres of the coarse cells; the step is halved until the error is within tolerance.

The splines are evaluated by bands of rows when they are used (:meth:`Mapping.rows`),
so a cutout never holds the coordinates of every output pixel at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
from scipy.interpolate import RectBivariateSpline

Transform = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclasses.dataclass(frozen=True)
class Mapping:
    """Source pixel of every pixel of a target grid (or of a window of it).

    Attributes
    ----------
    shape
        (ny, nx) of the mapped window.
    step
        Coarse step used (1: exact everywhere).
    max_error
        Largest difference from the exact mapping at the check points.
    origin
        Where the window starts in the whole grid; ``full`` the whole grid's (ny, nx).
    """

    shape: tuple[int, int]
    step: int
    max_error: float
    splines: tuple[RectBivariateSpline, RectBivariateSpline] | None
    transform: Transform
    origin: tuple[int, int] = (0, 0)
    full: tuple[int, int] | None = None

    def rows(self, y0: int, y1: int) -> tuple[np.ndarray, np.ndarray]:
        """Source x and y of the window's rows ``[y0, y1)``, each (y1 - y0, nx)."""
        nx = self.shape[1]
        if self.splines is None:
            return _exact(self.transform, np.arange(nx), np.arange(y0, y1))
        rows, cols = np.arange(y0, y1), np.arange(nx)
        return self.splines[0](rows, cols), self.splines[1](rows, cols)

    def within(self, y0: int, y1: int, x0: int, x1: int) -> Mapping:
        """The mapping of a part of the window, as a grid of its own (same splines)."""
        transform, splines = self.transform, self.splines

        def shifted(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return transform(x + x0, y + y0)

        if splines is not None:
            splines = tuple(_Shifted(s, y0, x0) for s in splines)  # type: ignore[assignment]
        return dataclasses.replace(
            self,
            shape=(y1 - y0, x1 - x0),
            splines=splines,
            transform=shifted,
            origin=(0, 0),
            full=None,
        )

    @property
    def x(self) -> np.ndarray:
        """Source x of every pixel of the whole grid (NaN outside the window): for tests."""
        return self._whole(0)

    @property
    def y(self) -> np.ndarray:
        """Source y of every pixel of the whole grid (NaN outside the window): for tests."""
        return self._whole(1)

    def _whole(self, axis: int) -> np.ndarray:
        ny, nx = self.full or self.shape
        out = np.full((ny, nx), np.nan)
        ox, oy = self.origin
        out[oy : oy + self.shape[0], ox : ox + self.shape[1]] = self.rows(0, self.shape[0])[axis]
        return out


class _Shifted:
    """A spline read with an offset (a window of the grid it was fitted on)."""

    def __init__(self, spline: RectBivariateSpline | _Shifted, dy: int, dx: int) -> None:
        self.spline, self.dy, self.dx = spline, dy, dx

    def __call__(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return self.spline(rows + self.dy, cols + self.dx)


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
    """The mapping of every pixel of a target grid (evaluated when it is read).

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
                return Mapping(
                    shape, step, float(np.nanmax(error)), (spline_x, spline_y), transform
                )
        step //= 2
    return Mapping(shape, 1, 0.0, None, transform)
