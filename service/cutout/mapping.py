"""Target pixel -> sky -> source pixel, evaluated exactly on a coarse grid and interpolated.

Inverting a plate's distortion for every output pixel is the slow part of a cutout.
The mapping is smooth, so it is computed exactly at nodes every ``step`` pixels (one
node beyond each edge, and two past the last row and column), interpolated by piecewise
bicubic Lagrange polynomials (local, separable, exact for cubics), and checked
against the exact mapping at the centres of the coarse cells; the step is halved until
the error is within tolerance. Plain numpy: no interpolation package to import.

The interpolants are evaluated by bands of rows when they are used
(:meth:`Mapping.rows`), so a cutout never holds the coordinates of every output pixel
at once.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np

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
    splines: tuple[Interpolant, Interpolant] | None
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


def _weights(t: np.ndarray) -> np.ndarray:
    """Cubic Lagrange weights of nodes i-1, i, i+1, i+2 at fraction ``t`` past node i
    (n, 4): exact for cubics, error of order step**4 like a cubic spline's."""
    return np.stack(
        [
            -t * (t - 1.0) * (t - 2.0) / 6.0,
            (t + 1.0) * (t - 1.0) * (t - 2.0) / 2.0,
            -(t + 1.0) * t * (t - 2.0) / 2.0,
            (t + 1.0) * t * (t - 1.0) / 6.0,
        ],
        axis=1,
    )


class Interpolant:
    """Piecewise bicubic interpolation of values at nodes ``step`` pixels apart, the
    first node at pixel -``step`` on both axes (every pixel has two nodes on either
    side)."""

    def __init__(self, values: np.ndarray, step: int) -> None:
        self.values, self.step = values, step

    def _axis(self, where: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = np.asarray(where, dtype=float) / self.step + 1.0
        i = np.floor(u).astype(np.intp)
        return i - 1, _weights(u - i)

    def __call__(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """The values at pixels ``rows`` x ``cols`` (len(rows), len(cols))."""
        iy, wy = self._axis(rows)
        ix, wx = self._axis(cols)
        band = sum(wy[:, k, None] * self.values[iy + k, :] for k in range(4))
        return sum(wx[None, :, k] * band[:, ix + k] for k in range(4))


class _Shifted:
    """An interpolant read with an offset (a window of the grid it was fitted on)."""

    def __init__(self, spline: Interpolant | _Shifted, dy: int, dx: int) -> None:
        self.spline, self.dy, self.dx = spline, dy, dx

    def __call__(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return self.spline(rows + self.dy, cols + self.dx)


def _exact(transform: Transform, xs: np.ndarray, ys: np.ndarray):  # noqa: ANN202
    gx, gy = np.meshgrid(xs, ys)
    sx, sy = transform(gx.ravel().astype(float), gy.ravel().astype(float))
    return np.asarray(sx).reshape(gx.shape), np.asarray(sy).reshape(gx.shape)


def _nodes(n: int, step: int) -> np.ndarray:
    """From one step before pixel 0 to at least two steps past pixel n - 1."""
    return np.arange(-1, (n - 1) // step + 3) * step


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
        Initial coarse step in pixels (at most a third of the grid's shorter side).
    tolerance
        Largest allowed error (source pixels) at the check points.

    Returns
    -------
    Mapping
    """
    ny, nx = shape
    step = min(step, max(1, (min(nx, ny) - 1) // 3))  # a small grid: nodes closer together
    while step > 1:
        xs, ys = _nodes(nx, step), _nodes(ny, step)
        node_x, node_y = _exact(transform, xs, ys)
        if np.isfinite(node_x).all() and np.isfinite(node_y).all():
            spline_x, spline_y = Interpolant(node_x, step), Interpolant(node_y, step)
            inside_x, inside_y = xs[(xs >= 0) & (xs < nx - 1)], ys[(ys >= 0) & (ys < ny - 1)]
            cx = np.minimum(inside_x + step / 2.0, nx - 1)
            cy = np.minimum(inside_y + step / 2.0, ny - 1)
            check_x, check_y = _exact(transform, cx, cy)
            error = np.hypot(spline_x(cy, cx) - check_x, spline_y(cy, cx) - check_y)
            if np.nanmax(error) <= tolerance:
                return Mapping(
                    shape, step, float(np.nanmax(error)), (spline_x, spline_y), transform
                )
        step //= 2
    return Mapping(shape, 1, 0.0, None, transform)
