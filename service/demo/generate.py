"""Writing a demo archive in the documented layout (see :mod:`service.archive.layout`)."""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import fitsio
import numpy as np
from astropy.io import fits

from service.archive import layout
from service.demo.plan import CLUSTERS, PlatePlan, plan_archive
from service.demo.render import render_solution_frame
from service.wcs.rotation import stored_shape

FITSIO_COMPRESSION = {
    "RICE_1": "RICE",
    "GZIP_1": "GZIP",
    "GZIP_2": "GZIP_2",
    "HCOMPRESS_1": "HCOMPRESS",
    "PLIO_1": "PLIO",
}


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def header_text(plan: PlatePlan) -> str:
    """The WCS header file of a plate's mosaic, as DASCH writes it.

    One solution per exposure; with several they use alternate keys A, B, ...
    and the newest is also written under the primary key.
    """
    ny, nx = plan.shape
    header = fits.Header()
    header["NAXIS"] = (2, "solution pixel frame")
    header["NAXIS1"] = nx
    header["NAXIS2"] = ny
    header["PLATE_ID"] = plan.plate_id
    header["MOSNUM"] = 0
    header["NSOLUT"] = (len(plan.exposures), "number of WCS solutions")
    several = len(plan.exposures) > 1
    keys = [chr(ord("A") + e.number) for e in plan.exposures] if several else [""]
    if several:
        keys.append("")
    for key in keys:
        exposure = plan.exposures[-1] if key == "" else plan.exposures[ord(key) - ord("A")]
        header[f"WCSNAME{key}"] = f"exposure {exposure.number}"
        for name, value, comment in exposure.solution.header_cards(key):
            header[name] = (value, comment)
    return header.tostring(sep="", endcard=True, padding=False)


def _mosaic_header(plan: PlatePlan) -> list[dict[str, object]]:
    first = plan.exposures[0]
    return [
        {"name": "PLATE_ID", "value": plan.plate_id, "comment": "plate identifier"},
        {"name": "MOSNUM", "value": 0, "comment": "mosaic number"},
        {"name": "SCANNUM", "value": 1, "comment": "scan number"},
        {"name": "TELESCOP", "value": plan.series.telescope[:68], "comment": ""},
        {"name": "DATE-OBS", "value": first.date_obs, "comment": "start of first exposure"},
        {"name": "EXPTIME", "value": first.exptime_s, "comment": "[s] first exposure"},
        {
            "name": "ROTDELTA",
            "value": plan.rotation_delta,
            "comment": "[deg] stored = rot90(solution frame)",
        },
        {"name": "ORIGIN", "value": "Platecut demo-archive", "comment": ""},
    ]


def write_plate(root: Path, plan: PlatePlan) -> layout.PlateMeta:
    """Render one plate and write its mosaic, header file, sidecar and truth.

    Returns
    -------
    PlateMeta
        The sidecar written.
    """
    image = np.ascontiguousarray(np.rot90(render_solution_frame(plan), plan.rotation_delta // 90))
    ny, nx = stored_shape(plan.shape, plan.rotation_delta)
    tile = plan.tile or (1, nx)
    mos_key = layout.mosaic_key(plan.plate_id, 0)
    hdr_key = layout.header_key(plan.plate_id, 0)
    mos_path = root / mos_key
    mos_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = mos_path.with_name(mos_path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    with fitsio.FITS(str(tmp), "rw") as fits_file:
        fits_file.write(
            image,
            header=_mosaic_header(plan),
            compress=FITSIO_COMPRESSION[plan.compression],
            tile_dims=list(tile),
            qlevel=None,
            hcomp_scale=0.0 if plan.compression == "HCOMPRESS_1" else None,
        )
    os.replace(tmp, mos_path)
    del image
    _atomic_write(root / hdr_key, gzip.compress(header_text(plan).encode("ascii"), mtime=0))
    meta = layout.PlateMeta(
        plate_id=plan.plate_id,
        series=plan.series.code,
        number=int(plan.plate_id[len(plan.series.code) :]),
        telescope=plan.series.telescope,
        plate_class=plan.series.plate_class,
        pixel_scale_arcsec=plan.series.scale_arcsec,
        mosaics=(
            layout.MosaicMeta(
                mosnum=0,
                scan_id=f"{plan.plate_id}_00_1",
                object_key=mos_key,
                header_key=hdr_key,
                width=nx,
                height=ny,
                rotation_delta=plan.rotation_delta,
                compression=plan.compression,
                tile=(tile[1], tile[0]),
            ),
        ),
        exposures=tuple(
            layout.ExposureMeta(
                exposure=e.number,
                mosnum=0,
                solnum=e.number,
                date_obs=e.date_obs,
                mjd_start=e.mjd_start,
                mjd_end=e.mjd_start + e.exptime_s / 86400.0,
                exptime_s=e.exptime_s,
            )
            for e in plan.exposures
        ),
    )
    _atomic_write(root / meta.sidecar_key, meta.to_json().encode())
    truth = {
        "plate_id": plan.plate_id,
        "plan_index": plan.index,
        "exposures": [dataclasses.asdict(e.solution) for e in plan.exposures],
    }
    _atomic_write(root / "truth" / f"{plan.plate_id}.json", json.dumps(truth).encode())
    return meta


def _write_one(args: tuple[Path, PlatePlan]) -> tuple[str, float]:
    root, plan = args
    start = time.perf_counter()
    write_plate(root, plan)
    return plan.plate_id, time.perf_counter() - start


def generate_archive(
    root: Path,
    plates: int = 12,
    seed: int = 1,
    size: int | None = None,
    series: list[str] | None = None,
    workers: int | None = None,
    fields: tuple[tuple[float, float], ...] | None = None,
    height: int | None = None,
    compression: tuple[str, tuple[int, int] | None] | None = None,
) -> list[str]:
    """Generate a demo archive.

    Parameters
    ----------
    root
        Output directory (created).
    plates, seed, size, series, height, compression
        See :func:`service.demo.plan.plan_archive`.
    workers
        Processes to render with (default: the CPU count).
    fields
        (RA, Dec) the plates cluster around (default: the three demo fields).

    Returns
    -------
    list of str
        Plate identifiers written.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    plans = plan_archive(
        plates, seed, size=size, series=series, fields=fields or CLUSTERS, height=height,
        compression=compression,
    )  # fmt: skip
    workers = workers or os.cpu_count() or 1
    jobs = [(root, plan) for plan in plans]
    if workers == 1 or len(jobs) == 1:
        done = [_write_one(job) for job in jobs]
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            done = list(pool.map(_write_one, jobs))
    description = {
        "name": "Platecut demo plate archive",
        "generator": "platecut demo-archive",
        "seed": seed,
        "plates": plates,
        "size": size,
        "height": height,
        "compression": compression,
        "series": series,
        "fields": [list(f) for f in (fields or CLUSTERS)],
        "layout": "plates/<series>/<plate>.json, mosaics/..., headers/...; truth/ is demo-only",
    }
    _atomic_write(root / "archive.json", json.dumps(description, indent=1).encode())
    return [plate_id for plate_id, _ in done]
