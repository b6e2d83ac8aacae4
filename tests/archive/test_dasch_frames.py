"""DASCH's approximate frame of an exposure with no solution, read back by astropy."""

from __future__ import annotations

import numpy as np
import pytest
from astropy.wcs import WCS

from service.archive.dasch_frames import PIXELS_PER_MM, PLATE_SCALE_BY_SERIES, approximate_solution


@pytest.mark.parametrize(
    "ra, dec", [(5.1273342364765995e-05, -1.2345678901234567e-07), (359.99999999999994, 89.9)]
)
def test_the_frame_of_any_centre_is_standard_fits(ra, dec):
    """Values of any length are written as FITS values (a 22-character float once made
    astropy rewrite the card, with a warning: an error under the tests' filters)."""
    solution = approximate_solution("mc", ra, dec, 23091)
    centre = (23091 + 1) / 2 - 1  # 0-based
    wcs = WCS(solution.header)
    sky = wcs.pixel_to_world_values(centre, centre)
    assert abs((sky[0] - ra + 180) % 360 - 180) < 1e-9 and abs(sky[1] - dec) < 1e-9
    step = PLATE_SCALE_BY_SERIES["mc"] / PIXELS_PER_MM / 3600
    np.testing.assert_allclose(np.abs(wcs.pixel_scale_matrix.diagonal()), step, rtol=1e-12)


def test_a_series_of_unknown_scale_has_no_frame():
    assert approximate_solution("zz", 10.0, 10.0, 100) is None
