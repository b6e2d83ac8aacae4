"""Nearest and bilinear resampling against scipy.ndimage.map_coordinates (what reproject
uses), on every pixel type and edge shape."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import map_coordinates

from service.cutout.resample import _bilinear, _nearest


@pytest.mark.parametrize("dtype", [np.int16, np.uint16, np.int32, np.float32])
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (5, 1), (2, 2), (240, 2000)])
def test_the_same_values_as_map_coordinates(dtype, shape):
    rng = np.random.default_rng(3)
    data = (rng.random(shape) * 30000).astype(dtype)
    ny, nx = shape
    corners = [(0, 0), (nx - 1, ny - 1), (nx - 1, 0), ((nx - 1) / 2, (ny - 1) / 2)]
    x = np.concatenate([rng.random(5000) * (nx - 1), [c[0] for c in corners]])
    y = np.concatenate([rng.random(5000) * (ny - 1), [c[1] for c in corners]])
    for order, ours in ((0, _nearest), (1, _bilinear)):
        reference = map_coordinates(
            data, np.array([y, x]), output=np.float64, order=order, mode="nearest", prefilter=False
        )
        got = ours(data, x, y)
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, reference, rtol=1e-12, atol=1e-9)
