"""Drawing a plate: background, grain noise, stars and galaxies, plate saturation."""

from __future__ import annotations

import math

import numpy as np
from scipy.special import erf

from service.demo import sky
from service.demo.plan import ExposurePlan, PlatePlan

NOISE_ADU = 40.0
DENSITY_MAX = 52000.0
BACKGROUND_ADU = 9000.0
LIMIT_SNR = 6.0


def effective_limit(plan: PlatePlan, exposure: ExposurePlan) -> float:
    """Limiting magnitude of one exposure (deeper for longer exposures)."""
    ser = plan.series
    return ser.mag_limit + 1.25 * math.log10(exposure.exptime_s / ser.ref_exptime_s)


def star_flux(mag: np.ndarray, limit: float, sigma0: float) -> np.ndarray:
    """Total flux (ADU) of a star of magnitude ``mag`` on a plate of a given limit."""
    return LIMIT_SNR * NOISE_ADU * 2 * math.pi * sigma0**2 * 10.0 ** (-0.4 * (mag - limit))


def star_sigma(mag: np.ndarray, limit: float, sigma0: float) -> np.ndarray:
    """PSF width: photographic images of bright stars are larger."""
    return sigma0 * np.minimum(1.0 + 0.12 * np.maximum(limit - mag, 0.0), 4.0)


def exposure_objects(
    plan: PlatePlan, exposure: ExposurePlan
) -> tuple[sky.SkyObjects, np.ndarray, np.ndarray, np.ndarray]:
    """Objects imprinted by one exposure with their 0-based solution-frame pixels.

    Returns
    -------
    objects : sky.SkyObjects
    x, y : ndarray
        Pixel positions in the solution frame.
    mag : ndarray
        Magnitudes at the exposure's mid-time.
    """
    ny, nx = plan.shape
    sol = exposure.solution
    scale = plan.series.scale_arcsec / 3600.0
    radius = 1.25 * math.hypot(nx, ny) / 2 * scale
    limit = effective_limit(plan, exposure)
    objs = sky.objects_in_cone(plan.seed, sol.crval[0], sol.crval[1], radius, limit)
    x, y = sol.world_to_pixel(objs.ra, objs.dec)
    margin = 30
    inside = (x > -margin) & (x < nx + margin) & (y > -margin) & (y < ny + margin)
    objs = objs.select(inside)
    mag = objs.magnitude_at(exposure.mjd_mid)
    return objs, x[inside], y[inside], mag


def _add_gaussians(
    img: np.ndarray, x: np.ndarray, y: np.ndarray, flux: np.ndarray, sigma: np.ndarray
) -> None:
    """Add pixel-integrated circular Gaussians to ``img`` in place."""
    ny, nx = img.shape
    half = np.ceil(4.0 * sigma).astype(int)
    for h in np.unique(half):
        sel = np.flatnonzero(half == h)
        for start in range(0, len(sel), 20000):
            idx = sel[start : start + 20000]
            offs = np.arange(-h, h + 1)
            cx = np.floor(x[idx] + 0.5).astype(int)[:, None] + offs
            cy = np.floor(y[idx] + 0.5).astype(int)[:, None] + offs
            s = (math.sqrt(2.0) * sigma[idx])[:, None]
            gx = 0.5 * (erf((cx + 0.5 - x[idx, None]) / s) - erf((cx - 0.5 - x[idx, None]) / s))
            gy = 0.5 * (erf((cy + 0.5 - y[idx, None]) / s) - erf((cy - 0.5 - y[idx, None]) / s))
            vals = flux[idx, None, None] * gy[:, :, None] * gx[:, None, :]
            rows = np.broadcast_to(cy[:, :, None], vals.shape)
            cols = np.broadcast_to(cx[:, None, :], vals.shape)
            ok = (rows >= 0) & (rows < ny) & (cols >= 0) & (cols < nx)
            np.add.at(img, (rows[ok], cols[ok]), vals[ok].astype(img.dtype))


def _add_galaxy(
    img: np.ndarray, x: float, y: float, flux: float, scale_px: float, q: float, pa_deg: float
) -> None:
    h = int(math.ceil(7 * scale_px)) + 3
    ny, nx = img.shape
    x0, y0 = int(round(x)), int(round(y))
    r0, r1 = max(0, y0 - h), min(ny, y0 + h + 1)
    c0, c1 = max(0, x0 - h), min(nx, x0 + h + 1)
    if r0 >= r1 or c0 >= c1:
        return
    yy, xx = np.mgrid[y0 - h : y0 + h + 1, x0 - h : x0 + h + 1]
    t = math.radians(pa_deg)
    u = (xx - x) * math.cos(t) + (yy - y) * math.sin(t)
    v = (-(xx - x) * math.sin(t) + (yy - y) * math.cos(t)) / q
    prof = np.exp(-np.hypot(u, v) / scale_px)
    prof *= flux / prof.sum()
    img[r0:r1, c0:c1] += prof[r0 - (y0 - h) : r1 - (y0 - h), c0 - (x0 - h) : c1 - (x0 - h)].astype(
        img.dtype
    )


def render_solution_frame(plan: PlatePlan) -> np.ndarray:
    """Render a plate in its solution frame as uint16 (before the rotation delta).

    Parameters
    ----------
    plan
        The plate to draw.

    Returns
    -------
    ndarray
        (ny, nx) uint16 image: background + density of all exposures + grain noise.
    """
    ny, nx = plan.shape
    rng = np.random.default_rng([plan.seed, plan.index, 99])
    signal = np.zeros((ny, nx), dtype=np.float32)
    sigma0 = plan.series.psf_sigma_px
    for exposure in plan.exposures:
        objs, x, y, mag = exposure_objects(plan, exposure)
        limit = effective_limit(plan, exposure)
        flux = star_flux(mag, limit, sigma0)
        stars = objs.kind == 0
        _add_gaussians(
            signal, x[stars], y[stars], flux[stars], star_sigma(mag[stars], limit, sigma0)
        )
        for k in np.flatnonzero(~stars):
            scale_px = max(0.7, objs.radius_arcsec[k] / plan.series.scale_arcsec)
            _add_galaxy(signal, x[k], y[k], flux[k], scale_px, objs.axis_ratio[k], objs.pa_deg[k])
    # photographic response: density saturates smoothly, then the scanner clips
    np.multiply(signal, -1.0 / DENSITY_MAX, out=signal)
    np.exp(signal, out=signal)
    np.multiply(signal, -DENSITY_MAX, out=signal)
    signal += DENSITY_MAX
    yy = (np.arange(ny, dtype=np.float32) - ny / 2) / (ny / 2)
    xx = (np.arange(nx, dtype=np.float32) - nx / 2) / (nx / 2)
    c = rng.normal(0, 0.08, 5).astype(np.float32)
    signal += BACKGROUND_ADU * (
        1
        + c[0] * yy[:, None]
        + c[1] * xx[None, :]
        + c[2] * yy[:, None] * xx[None, :]
        - 0.12 * (yy[:, None] ** 2 + xx[None, :] ** 2)
        + c[3] * yy[:, None] ** 2
        + c[4] * xx[None, :] ** 2
    )
    for start in range(0, ny, 1024):
        stop = min(ny, start + 1024)
        signal[start:stop] += rng.standard_normal((stop - start, nx), dtype=np.float32) * NOISE_ADU
    np.clip(signal, 0, 65535, out=signal)
    return np.rint(signal).astype(np.uint16)
