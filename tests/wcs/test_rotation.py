"""The rotation delta against numpy.rot90 itself."""

import numpy as np
import pytest

from service.wcs.rotation import solution_to_stored, stored_shape, stored_to_solution


@pytest.mark.parametrize("delta", [0, 90, 180, 270, 360, -90])
def test_pixel_maps_agree_with_rot90(delta):
    rng = np.random.default_rng(delta % 360)
    solution = rng.integers(0, 1000, (5, 8))
    stored = np.rot90(solution, delta // 90)
    assert stored.shape == stored_shape(solution.shape, delta)
    ys, xs = np.mgrid[0:5, 0:8]
    sx, sy = solution_to_stored(xs, ys, solution.shape, delta)
    assert np.array_equal(stored[sy.astype(int), sx.astype(int)], solution)
    bx, by = stored_to_solution(sx, sy, solution.shape, delta)
    assert np.array_equal(bx, xs) and np.array_equal(by, ys)


def test_rotation_must_be_a_right_angle():
    with pytest.raises(ValueError, match="multiple of 90"):
        solution_to_stored(0, 0, (3, 3), 45)
