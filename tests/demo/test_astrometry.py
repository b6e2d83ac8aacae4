"""End-to-end astrometry of the demo archive: stars are where the headers say.

The truth (which stars, where) comes from the generator's own model; the
prediction tested comes from astropy reading the header files; the measurement
comes from fitting the pixels of the decompressed mosaics.
"""

from __future__ import annotations

import fitsio
import numpy as np
from astropy.coordinates import SkyCoord
from scipy.optimize import least_squares

from service.archive.layout import iter_local_plates
from service.demo.render import effective_limit, star_flux
from service.demo.truth import load_plan, true_positions
from service.wcs.rotation import solution_to_stored, stored_to_solution
from tests.demo.test_generate import read_solutions

HALF = 6


def fit_centroid(image: np.ndarray, x: float, y: float) -> tuple[float, float]:
    """Fit a Gaussian plus a plane to the stamp around (x, y); return its centre."""
    x0, y0 = int(round(x)), int(round(y))
    stamp = image[y0 - HALF : y0 + HALF + 1, x0 - HALF : x0 + HALF + 1].astype(float)
    yy, xx = np.mgrid[-HALF : HALF + 1, -HALF : HALF + 1]

    def residual(p: np.ndarray) -> np.ndarray:
        amp, cx, cy, sigma, b0, bx, by = p
        model = amp * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * sigma**2))
        return (model + b0 + bx * xx + by * yy - stamp).ravel()

    start = [stamp.max() - np.median(stamp), x - x0, y - y0, 2.0, np.median(stamp), 0, 0]
    fit = least_squares(residual, start)
    return x0 + fit.x[1], y0 + fit.x[2]


def clean_stars(root, plate_id: str, exposure: int, n: int = 25, min_peak: float = 300):
    """Bright, unsaturated stars well away from any other object of any exposure."""
    plan = load_plan(root, plate_id)
    ny, nx = plan.shape
    positions = [true_positions(root, plate_id, e.number) for e in plan.exposures]
    target = positions[exposure]
    limit = effective_limit(plan, plan.exposures[exposure])
    sigma0 = plan.series.psf_sigma_px
    peak = star_flux(target.mag, limit, sigma0) / (2 * np.pi * sigma0**2)
    everyone_x = np.concatenate([p.x for p in positions])
    everyone_y = np.concatenate([p.y for p in positions])
    chosen = []
    rotated_shape = (nx, ny) if plan.rotation_delta % 180 else (ny, nx)
    for k in np.argsort(-peak):
        if not (min_peak < peak[k] < 12000) or target.kind[k] != 0:
            continue
        x, y = target.x[k], target.y[k]
        if not (20 < x < rotated_shape[1] - 20 and 20 < y < rotated_shape[0] - 20):
            continue
        d = np.hypot(everyone_x - x, everyone_y - y)
        if np.sum(d < 14) > 1:
            continue
        chosen.append(k)
        if len(chosen) == n:
            break
    return plan, target, chosen


def test_stars_land_where_each_solution_says(demo_archive):
    checked_rotations, checked_multi = set(), 0
    for plate in iter_local_plates(demo_archive):
        mosaic = plate.mosaics[0]
        image = fitsio.read(str(demo_archive / mosaic.object_key), ext=1)
        solutions = read_solutions(demo_archive / mosaic.header_key)
        for exposure in plate.exposures:
            plan, target, chosen = clean_stars(demo_archive, plate.plate_id, exposure.exposure)
            assert len(chosen) >= 8, f"{plate.plate_id}: too few clean stars"
            wcs = solutions[exposure.solnum]
            sx, sy = wcs.all_world2pix(target.ra[chosen], target.dec[chosen], 0)
            px, py = solution_to_stored(sx, sy, plan.shape, mosaic.rotation_delta)
            measured = np.array([fit_centroid(image, x, y) for x, y in zip(px, py, strict=True)])
            error = np.hypot(measured[:, 0] - px, measured[:, 1] - py)
            assert error.max() < 0.2, (plate.plate_id, exposure.exposure, error.max())
        checked_rotations.add(mosaic.rotation_delta)
        checked_multi += len(plate.exposures) > 1
    assert checked_rotations == {0, 90, 180, 270} and checked_multi >= 3


def test_same_star_same_sky_position_on_overlapping_plates(demo_archive):
    """Measured on two plates, converted through each plate's own header WCS.

    Uses stars of high signal-to-noise (peak >= 50 sigma), whose centroids are
    good to a few hundredths of a pixel, so that 0.1 arcsec tests the astrometry
    rather than the noise.
    """
    plates = {p.plate_id: p for p in iter_local_plates(demo_archive)}
    pairs = 0
    ids = sorted(plates)
    for i, first in enumerate(ids):
        for second in ids[i + 1 :]:
            if plates[first].pixel_scale_arcsec > 1.5 or plates[second].pixel_scale_arcsec > 1.5:
                continue  # 0.1 arcsec is 0.015 px at 6.6"/px: beyond a centroid's precision
            sky = {}
            for plate_id in (first, second):
                plate = plates[plate_id]
                mosaic = plate.mosaics[0]
                plan, target, chosen = clean_stars(demo_archive, plate_id, 0, n=200, min_peak=2000)
                image = fitsio.read(str(demo_archive / mosaic.object_key), ext=1)
                wcs = read_solutions(demo_archive / mosaic.header_key)[0]
                for k in chosen:
                    cx, cy = fit_centroid(image, target.x[k], target.y[k])
                    ux, uy = stored_to_solution(cx, cy, plan.shape, mosaic.rotation_delta)
                    ra, dec = wcs.all_pix2world(ux, uy, 0)
                    sky.setdefault(target.ident[k], []).append((float(ra), float(dec)))
            common = [v for v in sky.values() if len(v) == 2]
            if len(common) < 3:
                continue
            pairs += 1
            a = SkyCoord([c[0] for c in common], unit="deg")
            b = SkyCoord([c[1] for c in common], unit="deg")
            separation = a.separation(b).arcsec
            assert np.median(separation) < 0.05 and separation.max() < 0.1, (
                first,
                second,
                separation.max(),
            )
    assert pairs >= 2
