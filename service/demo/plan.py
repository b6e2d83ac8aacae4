"""What the demo archive holds: plates, series, exposures, tilings, all from a seed."""

from __future__ import annotations

import dataclasses
import datetime
import math

import numpy as np

from service.demo.optics import TrueSolution, design_solution


@dataclasses.dataclass(frozen=True)
class Series:
    """A plate series: one telescope, one scale, one depth."""

    code: str
    telescope: str
    plate_class: str
    scale_arcsec: float
    mag_limit: float  # for a reference exposure of ``ref_exptime_s``
    ref_exptime_s: float
    psf_sigma_px: float
    exptime_min: tuple[float, float]


SERIES: dict[str, Series] = {
    "a": Series("a", "24-inch Bruce Doublet, Arequipa", "A", 0.6, 15.0, 3600, 1.6, (20, 120)),
    "mc": Series("mc", "16-inch Metcalf Doublet", "MC", 1.4, 14.0, 3600, 1.4, (15, 90)),
    "ac": Series("ac", "1.5-inch Cooke Lens, patrol", "AC", 6.6, 11.5, 1800, 1.2, (10, 60)),
}
MJD_EPOCH = datetime.datetime(1858, 11, 17)
MJD_1890 = 11368.0  # 1890-01-01
FIRST_NUMBERS = {"a": 3393, "mc": 12668, "ac": 4210}

#: Field centres the plates cluster around: one straddling RA = 0, one ordinary,
#: one within a degree of the north pole.
CLUSTERS: tuple[tuple[float, float], ...] = ((0.2, 12.0), (150.0, 30.0), (45.0, 89.4))
N_EXPOSURES = (2, 1, 1, 3, 1, 2, 1, 1, 1, 1, 2, 1)
ROTATIONS = (0, 90, 0, 180, 0, 270, 0, 0, 90, 0, 0, 180)
#: (ZCMPTYPE, tile as numpy (rows, cols) or None for one row per tile)
COMPRESSIONS: dict[int, tuple[str, tuple[int, int] | None]] = {
    2: ("GZIP_1", None),
    4: ("GZIP_2", (256, 256)),
    5: ("HCOMPRESS_1", (200, 200)),
    7: ("RICE_1", (300, 300)),
}


@dataclasses.dataclass(frozen=True)
class ExposurePlan:
    """One exposure: when, how long, and its exact astrometry."""

    number: int
    mjd_start: float
    exptime_s: float
    solution: TrueSolution

    @property
    def mjd_mid(self) -> float:
        """Mid-exposure epoch."""
        return self.mjd_start + self.exptime_s / 172800.0

    @property
    def date_obs(self) -> str:
        """Start of exposure as ISO 8601 UTC."""
        start = MJD_EPOCH + datetime.timedelta(days=self.mjd_start)
        return start.isoformat(timespec="seconds")


@dataclasses.dataclass(frozen=True)
class PlatePlan:
    """Everything needed to render and describe one demo plate."""

    index: int
    plate_id: str
    series: Series
    shape: tuple[int, int]  # (ny, nx) of the solution frame
    rotation_delta: int
    compression: str
    tile: tuple[int, int] | None
    exposures: tuple[ExposurePlan, ...]
    seed: int


def plan_archive(
    n_plates: int,
    seed: int,
    size: int | None = None,
    series: list[str] | None = None,
    fields: tuple[tuple[float, float], ...] = CLUSTERS,
    height: int | None = None,
    compression: tuple[str, tuple[int, int] | None] | None = None,
) -> list[PlatePlan]:
    """Plan a demo archive.

    Parameters
    ----------
    n_plates
        Number of plates.
    seed
        Seed of the whole archive (sky and plates).
    size
        Side of square mosaics in pixels; default: 2,000-3,200 px, not square.
    series
        Series codes to use in turn (default: all of :data:`SERIES`).
    fields
        (RA, Dec) the plates cluster around, in turn (default :data:`CLUSTERS`); every
        plate covers its field.
    height
        With ``size``: rows of the mosaics (``size`` is then their width), e.g. strips
        as wide as DASCH's plates but shorter, for benchmarks; their exposures fall
        within the shorter side.
    compression
        (compression, tile) of every mosaic, e.g. ("RICE_1", None) for fpack's row
        tiles; default: the demo's variety, in turn.

    Returns
    -------
    list of PlatePlan
    """
    codes = series or list(SERIES)
    compression_of = compression
    unknown = set(codes) - set(SERIES)
    if unknown:
        raise ValueError(f"unknown series {sorted(unknown)}; known: {sorted(SERIES)}")
    rng = np.random.default_rng([seed, 7])
    numbers = dict(FIRST_NUMBERS)
    plans = []
    for i in range(n_plates):
        ser = SERIES[codes[(i // len(fields)) % len(codes)]]
        if size:
            nx, ny = size, height or size
        else:
            nx = int(rng.integers(1000, 1601)) * 2
            ny = int(nx * rng.uniform(0.8, 1.0)) // 2 * 2
        scale = ser.scale_arcsec / 3600.0
        width_deg = nx * scale if height is None else min(nx, ny) * scale
        ra0, dec0 = fields[i % len(fields)]
        r = 0.15 * width_deg * math.sqrt(rng.random())
        phi = rng.uniform(0, 2 * math.pi)
        dec_c = min(89.95, dec0 + r * math.sin(phi))
        ra_c = (ra0 + r * math.cos(phi) / math.cos(math.radians(dec0))) % 360.0
        distortion = rng.uniform(30.0, 120.0) * max(nx, ny) / 3000.0 * rng.choice([-1.0, 1.0])
        pa = rng.normal(0.0, 1.5)
        mjd = MJD_1890 + 100 * 365.2425 * rng.random()
        exposures = []
        for e in range(N_EXPOSURES[i % len(N_EXPOSURES)]):
            off = (0.0, 0.0) if e == 0 else tuple(rng.uniform(-0.12, 0.12, 2) * width_deg)
            exptime = 60.0 * round(float(rng.uniform(*ser.exptime_min)))
            sol_rng = np.random.default_rng([seed, i, e])
            crval = (
                (ra_c + off[0] / math.cos(math.radians(dec_c))) % 360.0,
                max(-89.9, min(89.9, dec_c + off[1])),
            )
            solution = design_solution(
                sol_rng, crval, (ny, nx), ser.scale_arcsec, distortion, pa + (0.3 * e)
            )
            exposures.append(ExposurePlan(e, float(mjd), exptime, solution))
            mjd += (exptime + 60.0 * rng.uniform(5, 30)) / 86400.0
        compression, tile = compression_of or COMPRESSIONS.get(i % 12, ("RICE_1", None))
        number = numbers[ser.code]
        # identifiers stay 5-digit and distinct however many plates there are
        numbers[ser.code] = number + int(rng.integers(1, max(2, min(4000, 250_000 // n_plates))))
        plans.append(
            PlatePlan(
                index=i,
                plate_id=f"{ser.code}{number % 100000:05d}",
                series=ser,
                shape=(ny, nx),
                rotation_delta=ROTATIONS[i % len(ROTATIONS)],
                compression=compression,
                tile=tile,
                exposures=tuple(exposures),
                seed=seed,
            )
        )
    return plans
