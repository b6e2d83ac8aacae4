"""The coarse-grid mapping: its interpolant is exact for cubic polynomials, and on a
distorted plate every pixel (not only the check points) is within the tolerance of the
exact mapping; a window of it reads the same values."""

from __future__ import annotations

import numpy as np
import pytest

from service.cutout.mapping import Interpolant, _exact, map_pixels
from service.demo.plan import plan_archive


def cubic(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return (
        3.0 + 0.9 * x - 0.2 * y + 1e-4 * x * y - 2e-7 * x**3 + 3e-7 * y**3 + 1e-8 * x**2 * y,
        -7.0 + 0.1 * x + 1.1 * y - 4e-5 * x**2 + 5e-8 * y**3 - 2e-8 * x * y**2,
    )


@pytest.mark.parametrize("step", [4, 16, 32])
def test_cubics_are_reproduced_exactly(step):
    ny, nx = 301, 257
    nodes_x = np.arange(-1, (nx - 1) // step + 3) * step
    nodes_y = np.arange(-1, (ny - 1) // step + 3) * step
    values = _exact(cubic, nodes_x, nodes_y)
    for axis in (0, 1):
        got = Interpolant(values[axis], step)(np.arange(ny), np.arange(nx))
        want = _exact(cubic, np.arange(nx), np.arange(ny))[axis]
        np.testing.assert_allclose(got, want, atol=1e-9, rtol=0)


def test_every_pixel_of_a_distorted_plate_is_within_tolerance():
    plan = plan_archive(3, seed=4, size=12000)[2]
    solution = plan.exposures[0].solution
    ny, nx = 420, 390
    x0, y0 = 9000.0, 200.0  # near a corner, where the distortion is strongest

    def transform(x, y):  # a rotated, rescaled grid onto the plate through the sky
        ra, dec = solution.pixel_to_world(x0 + 1.7 * x - 0.3 * y, y0 + 0.3 * x + 1.7 * y)
        return solution.world_to_pixel(ra, dec)

    want_x, want_y = _exact(transform, np.arange(nx), np.arange(ny))
    for tolerance in (0.05, 0.01, 0.002):
        mapping = map_pixels(transform, (ny, nx), 32, tolerance)
        assert mapping.splines is not None
        got_x, got_y = mapping.rows(0, ny)
        error = np.hypot(got_x - want_x, got_y - want_y)
        assert error.max() <= 1.5 * tolerance, (tolerance, mapping.step, error.max())
        window = mapping.within(100, 400, 50, 380)
        wx, wy = window.rows(10, 20)
        np.testing.assert_array_equal(wx, got_x[110:120, 50:380])
        np.testing.assert_array_equal(wy, got_y[110:120, 50:380])
