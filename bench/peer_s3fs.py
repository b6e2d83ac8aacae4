"""The peer of the cutout benchmark: the same cutout made today with astropy + s3fs +
``CompImageHDU.section`` + ``reproject_interp``, as an astronomer would script it.

Runs in its own virtual environment (s3fs pins a botocore older than Platecut's
boto3), so it imports nothing from Platecut. Reads a JSON job on stdin, prints JSON
timings and writes the cutouts it made (``.npy``) for the caller to compare.

Job: endpoint, bucket, header key, mosaic key, solution key letter, block size (None:
s3fs's default), and a list of grids (ra, dec, n, scale, out path); each grid is
cut twice in the same process (cold, then warm with s3fs's block cache).
"""

from __future__ import annotations

import gzip
import io
import json
import sys
import time

import numpy as np
import s3fs
from astropy.io import fits
from astropy.wcs import WCS
from reproject import reproject_interp


def target(ra: float, dec: float, n: int, scale_arcsec: float) -> WCS:
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [(n + 1) / 2, (n + 1) / 2]
    s = scale_arcsec / 3600
    wcs.wcs.cd = [[-s, 0.0], [0.0, s]]
    return wcs


def solution(fs: s3fs.S3FileSystem, path: str, key: str) -> WCS:
    """The exposure's WCS from the plate's header file (DASCH's TAN + PV is TPV)."""
    with fs.open(path, "rb") as f:
        text = gzip.decompress(f.read()).decode("ascii")
    header = fits.Header.fromstring(text)
    for axis in (1, 2):
        name = f"CTYPE{axis}{key}"
        header[name] = header[name].replace("-TAN", "-TPV")
    return WCS(header, key=key or " ")


def cut(hdul: fits.HDUList, wcs: WCS, grid: WCS, n: int, shape: tuple[int, int]):
    """Box of the grid on the plate, its section, reproject, FITS bytes; per-step times."""
    times = {}
    clock = time.perf_counter()
    edge = np.linspace(-0.5, n - 0.5, 64)
    ex = np.concatenate([edge, edge, np.full(64, -0.5), np.full(64, n - 0.5)])
    ey = np.concatenate([np.full(64, -0.5), np.full(64, n - 0.5), edge, edge])
    sky = grid.all_pix2world(ex, ey, 0)
    sx, sy = wcs.all_world2pix(sky[0], sky[1], 0, quiet=True)
    ny, nx = shape
    x0, x1 = max(0, int(np.nanmin(sx)) - 2), min(nx, int(np.nanmax(sx)) + 3)
    y0, y1 = max(0, int(np.nanmin(sy)) - 2), min(ny, int(np.nanmax(sy)) + 3)
    times["box"] = time.perf_counter() - clock
    clock = time.perf_counter()
    section = hdul[1].section[y0:y1, x0:x1]
    times["section"] = time.perf_counter() - clock
    clock = time.perf_counter()
    shifted = wcs.deepcopy()
    shifted.wcs.crpix = shifted.wcs.crpix - np.array([x0, y0])
    data, _ = reproject_interp((section.astype(float), shifted), grid, shape_out=(n, n))
    times["reproject"] = time.perf_counter() - clock
    clock = time.perf_counter()
    buffer = io.BytesIO()
    fits.PrimaryHDU(data.astype(np.float32), grid.to_header()).writeto(buffer)
    times["fits"] = time.perf_counter() - clock
    return data.astype(np.float32), times


def main() -> None:
    job = json.load(sys.stdin)
    fs = s3fs.S3FileSystem(
        key="bench", secret="bench", client_kwargs={"endpoint_url": job["endpoint"]}
    )
    results = []
    for grid_job in job["grids"]:
        ra, dec, n, scale, out = grid_job
        fs.invalidate_cache()
        start = time.perf_counter()
        clock = time.perf_counter()
        wcs = solution(fs, f"{job['bucket']}/{job['header']}", job["key"])
        kwargs = {"block_size": job["block_size"]} if job["block_size"] else {}
        handle = fs.open(f"{job['bucket']}/{job['mosaic']}", "rb", **kwargs)
        hdul = fits.open(handle)
        shape = hdul[1].shape
        opened = time.perf_counter() - clock
        grid = target(ra, dec, n, scale)
        data, cold = cut(hdul, wcs, grid, n, shape)
        cold = {"open": opened, **cold, "total": time.perf_counter() - start}
        start = time.perf_counter()
        _, warm = cut(hdul, wcs, grid, n, shape)
        warm["total"] = time.perf_counter() - start
        hdul.close()
        handle.close()
        np.save(out, data)
        results.append({"cold": cold, "warm": warm})
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
