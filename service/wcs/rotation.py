"""The rotation delta between a WCS solution's pixel frame and the stored mosaic.

DASCH stores some mosaics rotated by a multiple of 90 degrees relative to the
frame their astrometric solution was computed in. Our convention: the stored
array is ``numpy.rot90(solution_array, k)`` with ``k = rotation_delta // 90``.
The functions here map 0-based pixel coordinates (x = column, y = row) between
the two frames. Depends on nothing else in the package.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def _turns(rotation_delta: int) -> int:
    if rotation_delta % 90:
        raise ValueError(f"rotation delta must be a multiple of 90, got {rotation_delta}")
    return (rotation_delta // 90) % 4


def stored_shape(solution_shape: tuple[int, int], rotation_delta: int) -> tuple[int, int]:
    """Return the (ny, nx) shape of the stored array for a solution-frame shape."""
    ny, nx = solution_shape
    return (nx, ny) if _turns(rotation_delta) % 2 else (ny, nx)


def solution_to_stored(
    x: ArrayLike, y: ArrayLike, solution_shape: tuple[int, int], rotation_delta: int
) -> tuple[np.ndarray, np.ndarray]:
    """Map 0-based solution-frame pixels to stored pixels.

    Parameters
    ----------
    x, y
        Column and row in the solution frame (0-based, pixel centres at integers).
    solution_shape
        (ny, nx) of the image in the solution frame.
    rotation_delta
        0, 90, 180 or 270.

    Returns
    -------
    tuple of ndarray
        Column and row in the stored array.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ny, nx = solution_shape
    for _ in range(_turns(rotation_delta)):
        # one numpy.rot90: new[i, j] = old[j, nx - 1 - i]
        x, y = y, (nx - 1) - x
        ny, nx = nx, ny
    return x, y


def stored_to_solution(
    x: ArrayLike, y: ArrayLike, solution_shape: tuple[int, int], rotation_delta: int
) -> tuple[np.ndarray, np.ndarray]:
    """Map 0-based stored pixels back to the solution frame (inverse of the above)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ny, nx = stored_shape(solution_shape, rotation_delta)
    for _ in range(_turns(rotation_delta)):
        # inverse of one numpy.rot90 applied to an array of shape (ny, nx)
        x, y = (ny - 1) - y, x
        ny, nx = nx, ny
    return x, y
