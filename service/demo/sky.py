"""One synthetic sky shared by every plate: stars, variables and galaxies.

The sky is cut into 1 x 1 degree bins in (RA, Dec); each bin's objects are drawn
from a random generator seeded by (seed, bin), so any region can be produced on
demand and the same stars appear on every plate that covers them.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

BRIGHT_MAG = 4.0
FAINT_MAG = 15.5
#: log10 slope of the cumulative star counts, N(<m) = 10**(SLOPE * (m - ZERO_MAG)) per deg^2
SLOPE = 0.35
ZERO_MAG = 5.0
VARIABLE_FRACTION = 0.01
GALAXIES_PER_DEG2 = 0.6


@dataclasses.dataclass(frozen=True)
class SkyObjects:
    """Objects of a sky region (arrays of equal length)."""

    ident: np.ndarray  # int64, unique over the sky for a seed
    ra: np.ndarray
    dec: np.ndarray
    mag: np.ndarray
    var_amp: np.ndarray  # 0 for constant stars
    var_period: np.ndarray  # days
    var_phase: np.ndarray
    kind: np.ndarray  # 0 star, 1 galaxy
    radius_arcsec: np.ndarray  # galaxy scale length (0 for stars)
    axis_ratio: np.ndarray
    pa_deg: np.ndarray

    def __len__(self) -> int:
        return len(self.ra)

    def select(self, mask: np.ndarray) -> SkyObjects:
        """Return the objects where ``mask`` is true."""
        return SkyObjects(**{f.name: getattr(self, f.name)[mask] for f in dataclasses.fields(self)})

    def magnitude_at(self, mjd: float) -> np.ndarray:
        """Magnitudes at a given epoch (variables change, others do not)."""
        cycle = np.sin(2 * np.pi * (mjd / self.var_period + self.var_phase))
        return self.mag + 0.5 * self.var_amp * (1.0 + cycle)


def stars_per_deg2(mag_limit: float) -> float:
    """Cumulative density of stars brighter than ``mag_limit``."""
    return 10.0 ** (SLOPE * (mag_limit - ZERO_MAG))


def _bin_objects(seed: int, i_ra: int, i_dec: int) -> SkyObjects:
    rng = np.random.default_rng([seed, i_ra, i_dec + 90])
    dec0, dec1 = math.radians(i_dec), math.radians(i_dec + 1)
    area = math.degrees(1.0) * (math.sin(dec1) - math.sin(dec0))  # deg^2 of a 1-deg RA strip
    n_star = rng.poisson(stars_per_deg2(FAINT_MAG) * area)
    n_gal = rng.poisson(GALAXIES_PER_DEG2 * area)
    n = n_star + n_gal
    ra = i_ra + rng.random(n)
    dec = np.degrees(np.arcsin(rng.uniform(math.sin(dec0), math.sin(dec1), n)))
    # inverse of the cumulative luminosity function between BRIGHT_MAG and FAINT_MAG
    low = 10.0 ** (SLOPE * (BRIGHT_MAG - FAINT_MAG))
    mag = FAINT_MAG + np.log10(low + rng.random(n) * (1.0 - low)) / SLOPE
    kind = np.zeros(n, dtype=np.int8)
    kind[n_star:] = 1
    mag[n_star:] = rng.uniform(9.5, 13.5, n_gal)
    is_var = (rng.random(n) < VARIABLE_FRACTION) & (kind == 0)
    radius = np.where(kind == 1, rng.uniform(6.0, 40.0, n), 0.0)
    ident = (np.int64(i_ra * 180 + i_dec + 90) << 24) + np.arange(n, dtype=np.int64)
    return SkyObjects(
        ident=ident,
        ra=ra,
        dec=dec,
        mag=mag,
        var_amp=np.where(is_var, rng.uniform(0.5, 2.5, n), 0.0),
        var_period=rng.uniform(0.3, 400.0, n),
        var_phase=rng.random(n),
        kind=kind,
        radius_arcsec=radius,
        axis_ratio=np.where(kind == 1, rng.uniform(0.3, 1.0, n), 1.0),
        pa_deg=rng.uniform(0.0, 180.0, n),
    )


def _concat(parts: list[SkyObjects]) -> SkyObjects:
    if not parts:
        parts = [_bin_objects(0, 0, 0).select(np.zeros(0, dtype=bool))]
    return SkyObjects(
        **{
            f.name: np.concatenate([getattr(p, f.name) for p in parts])
            for f in dataclasses.fields(SkyObjects)
        }
    )


def angular_distance(ra1: float, dec1: float, ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    """Great-circle distance in degrees from one point to many (haversine)."""
    ra1, dec1 = math.radians(ra1), math.radians(dec1)
    ra_r, dec_r = np.radians(ra), np.radians(dec)
    h = (
        np.sin((dec_r - dec1) / 2) ** 2
        + math.cos(dec1) * np.cos(dec_r) * np.sin((ra_r - ra1) / 2) ** 2
    )
    return np.degrees(2 * np.arcsin(np.sqrt(np.clip(h, 0, 1))))


def objects_in_cone(
    seed: int, ra: float, dec: float, radius: float, mag_limit: float = FAINT_MAG
) -> SkyObjects:
    """Return every object within ``radius`` degrees of (ra, dec), brighter than a limit.

    Parameters
    ----------
    seed
        Sky seed: the same seed gives the same sky.
    ra, dec, radius
        Cone in degrees.
    mag_limit
        Faintest magnitude kept (for variables, ``mag`` is their brightest).
    """
    dec_lo = max(-90.0, dec - radius)
    dec_hi = min(90.0, dec + radius)
    parts = []
    if radius >= 90 or math.cos(math.radians(dec)) <= math.sin(math.radians(radius)):
        ra_bins = list(range(360))  # the cone holds a pole: every RA
    else:
        half = math.degrees(math.asin(math.sin(math.radians(radius)) / math.cos(math.radians(dec))))
        ra_bins = sorted(
            {i % 360 for i in range(math.floor(ra - half) - 1, math.floor(ra + half) + 2)}
        )
    for i_dec in range(math.floor(dec_lo), min(89, math.floor(dec_hi)) + 1):
        for i_ra in ra_bins:
            objs = _bin_objects(seed, i_ra, i_dec)
            keep = objs.mag <= mag_limit
            keep &= angular_distance(ra, dec, objs.ra, objs.dec) <= radius
            parts.append(objs.select(keep))
    return _concat(parts)
