"""Resampling a mapped window of the target grid from the stored pixels, band by band
(bounding a cutout's memory by its output, its decoded source box and a few bands):
where the window reaches on the stored image, and the interpolation itself, as
reproject does it (edge half-pixels clamp to the edge pixel, beyond the plate NaN).
Nearest and bilinear are computed here with numpy, as ``scipy.ndimage.map_coordinates``
computes them (orders 0 and 1, ``mode="nearest"``); bicubic is its spline (SciPy is
imported then only: it costs a fresh process about 0.2 s).

Depends on numpy, scipy.ndimage (bicubic) and :mod:`service.cutout.mapping`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import numpy as np

from service.cutout.mapping import Mapping

INTERPOLATIONS = {"nearest": 0, "bilinear": 1, "bicubic": 3}

#: output rows interpolated at a time: bounds the memory of a cutout to its output,
#: its decoded source box and a few bands
BAND_ROWS = 128


@dataclasses.dataclass(frozen=True)
class Reach:
    """Where a mapped window falls on the stored image."""

    x_min: float
    x_max: float
    y_min: float
    y_max: float
    rows: tuple[int, int]  # window rows holding plate pixels, half-open
    cols: tuple[int, int]


def _bands(
    mapping: Mapping, shape: tuple[int, int]
) -> Iterator[tuple[int, int, np.ndarray, np.ndarray, np.ndarray]]:
    """(first row, last row + 1, source x, source y, on-plate mask) of each band of the
    mapped window that falls on the stored image of ``shape``."""
    height, width = shape
    for r0 in range(0, mapping.shape[0], BAND_ROWS):
        r1 = min(mapping.shape[0], r0 + BAND_ROWS)
        x, y = mapping.rows(r0, r1)
        inside = (x >= -0.5) & (x <= width - 0.5) & (y >= -0.5) & (y <= height - 0.5)
        if inside.any():
            yield r0, r1, x, y, inside


def reach_of(mapping: Mapping, shape: tuple[int, int]) -> Reach | None:
    """The stored pixels a mapped window needs, band by band; None if it needs none."""
    lo = np.array([np.inf, np.inf])
    hi = -lo
    rows_on = np.zeros(mapping.shape[0], bool)
    cols_on = np.zeros(mapping.shape[1], bool)
    for y0, y1, x, y, inside in _bands(mapping, shape):
        rows_on[y0:y1] = inside.any(axis=1)
        cols_on |= inside.any(axis=0)
        lo = np.minimum(lo, [x[inside].min(), y[inside].min()])
        hi = np.maximum(hi, [x[inside].max(), y[inside].max()])
    if not rows_on.any():
        return None
    rows, cols = np.flatnonzero(rows_on), np.flatnonzero(cols_on)
    return Reach(
        float(lo[0]),
        float(hi[0]),
        float(lo[1]),
        float(hi[1]),
        (int(rows[0]), int(rows[-1]) + 1),
        (int(cols[0]), int(cols[-1]) + 1),
    )


def resample(
    out: np.ndarray,
    data: np.ndarray,
    box: tuple[int, int, int, int],
    mapping: Mapping,
    shape: tuple[int, int],
    interpolation: str,
) -> None:
    """Interpolate like reproject, into ``out`` (the mapped window), band by band: edge
    half-pixels clamp to the edge pixel, beyond the plate stays NaN."""
    height, width = shape
    order = INTERPOLATIONS[interpolation]
    if order > 1:  # spline coefficients once, in single precision (half the memory)
        from scipy.ndimage import map_coordinates, spline_filter

        data = spline_filter(data, order, output=np.float32, mode="nearest")
    x0, _, y0, _ = box
    for r0, r1, x, y, inside in _bands(mapping, shape):
        x = np.clip(x[inside], 0.0, width - 1.0) - x0
        y = np.clip(y[inside], 0.0, height - 1.0) - y0
        if order == 0:
            values = _nearest(data, x, y)
        elif order == 1:
            values = _bilinear(data, x, y)
        else:
            values = map_coordinates(
                data, np.array([y, x]), output=np.float64, order=order, mode="nearest",
                prefilter=False,
            )  # fmt: skip
        out[r0:r1][inside] = values


def _nearest(data: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The pixel nearest each point (inside ``data``)."""
    ny, nx = data.shape
    i = np.minimum(np.floor(y + 0.5).astype(np.intp), ny - 1)
    j = np.minimum(np.floor(x + 0.5).astype(np.intp), nx - 1)
    return data[i, j].astype(np.float64)


def _bilinear(data: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Linear interpolation between the four pixels around each point (inside ``data``;
    the last row and column interpolate towards themselves)."""
    ny, nx = data.shape
    i = np.clip(np.floor(y).astype(np.intp), 0, max(ny - 2, 0))
    j = np.clip(np.floor(x).astype(np.intp), 0, max(nx - 2, 0))
    fy, fx = y - i, x - j
    i1, j1 = np.minimum(i + 1, ny - 1), np.minimum(j + 1, nx - 1)
    top = data[i, j] * (1.0 - fx) + data[i, j1] * fx
    bottom = data[i1, j] * (1.0 - fx) + data[i1, j1] * fx
    return top * (1.0 - fy) + bottom * fy
