"""Catalog records: plates and exposure solutions, with their footprints."""

from __future__ import annotations

import dataclasses

import numpy as np

FOOTPRINT_VERTICES = 16  # 4 points per side of the mosaic, convex hull on the sky


@dataclasses.dataclass(frozen=True)
class PlateRecord:
    """A plate of the archive."""

    plate_id: str
    series: str
    number: int
    telescope: str
    plate_class: str
    scan_id: str
    mosnum: int
    rotation_delta: int
    object_key: str
    header_key: str
    width: int
    height: int
    source_etag: str  # sidecar + header ETags at ingest, to skip unchanged plates


@dataclasses.dataclass(frozen=True)
class ExposureRecord:
    """One exposure solution of a plate: what discovery returns, one row each.

    ``footprint`` is (FOOTPRINT_VERTICES, 2) RA/Dec in degrees, counter-clockwise.
    """

    obs_id: str  # e.g. a03393m0s1
    publisher_did: str  # ivo://authority/path?a03393m0s1
    plate_id: str
    series: str
    telescope: str
    mosnum: int
    solnum: int
    exposure: int
    ra: float
    dec: float
    footprint: tuple[tuple[float, float], ...]
    fov_deg: float
    pixel_scale_arcsec: float
    t_min: float  # MJD
    t_max: float
    exptime_s: float
    date_obs: str
    width: int
    height: int
    object_key: str
    header_key: str

    def footprint_vectors(self) -> np.ndarray:
        """Footprint vertices as unit vectors (k, 3)."""
        from service.catalog.geometry import unit

        ra, dec = np.array(self.footprint).T
        return unit(ra, dec)


def obs_id(plate_id: str, mosnum: int, solnum: int) -> str:
    """The identifier of one exposure solution, e.g. ``a03393m0s1``."""
    return f"{plate_id}m{mosnum}s{solnum}"
