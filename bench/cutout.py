"""The default cutout (835 x 835 px at 1.44"/px) from 20,000 px plates, timed by step.

For a 0.6"/px plate and a 6.6"/px plate (demo plates, local files, cold replica):
Platecut's time split into catalog/WCS, mapping, fetch, decompress, interpolation and
FITS writing, then the same cutout made with astropy + reproject
(``reproject_interp`` on the ``.section`` of the box Platecut needed).

Run: ``make bench`` or ``.venv/bin/python -m bench.cutout``.
"""

from __future__ import annotations

import argparse
import io
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.io import fits
from reproject import reproject_interp

from service.archive.access import ArchiveReader
from service.cutout.engine import CutoutEngine, CutoutLimits, CutoutRequest
from service.cutout.grid import TargetGrid
from service.demo.generate import generate_archive
from service.rangeread.reader import MosaicReader, ReadOptions
from service.rangeread.replica import Replica
from service.storage.local import LocalStore

BENCH_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"


def archive(series: str, size: int) -> Path:
    """A one-plate demo archive of the series (generated once under var/bench)."""
    root = BENCH_DIR / f"archive-{size}-{series}"
    if not (root / "archive.json").exists():
        generate_archive(root, plates=1, size=size, series=[series], seed=3)
    return root


def main() -> None:
    """Print a Markdown table of timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| plate | step | Platecut (s) |")
    print("|---|---|---|")
    summary = []
    for series in ("a", "ac"):
        root = archive(series, args.size)
        store = LocalStore(root)
        arch = ArchiveReader(store)
        plate = next(iter(arch_ids(root)))
        meta = arch.plate(plate)
        solution = arch.solutions(meta)[0]
        ny, nx = solution.shape
        ra, dec = (
            float(v[0]) for v in solution.pixel_to_world(np.array([nx * 0.4]), np.array([ny * 0.6]))
        )
        grid = TargetGrid(ra, dec, 835, 835, 1.44)
        best: dict[str, float] = {}
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory() as cache:
                engine = CutoutEngine(
                    ArchiveReader(store),
                    MosaicReader(store, Replica(Path(cache), 1 << 34), ReadOptions()),
                    CutoutLimits(10**8, 10**9, 32),
                )
                start = time.perf_counter()
                result = engine.make(CutoutRequest(plate, 0, grid))
                clock = time.perf_counter()
                result.to_fits()
                timings = dict(
                    result.timings,
                    fits=time.perf_counter() - clock,
                    total=time.perf_counter() - start,
                )
                engine.reader.close()
            best = {k: min(v, best.get(k, v)) for k, v in timings.items()}
        for step in (
            "catalog_wcs",
            "mapping",
            "fetch",
            "decompress",
            "interpolation",
            "fits",
            "total",
        ):
            print(f'| {plate} ({meta.pixel_scale_arcsec}"/px) | {step} | {best[step]:.3f} |')
        # the peer: astropy .section of the same box, reproject_interp, FITS writing
        x = result.mapping.x[np.isfinite(result.data)]
        y = result.mapping.y[np.isfinite(result.data)]
        x0, x1 = int(np.floor(x.min())) - 1, int(np.ceil(x.max())) + 2
        y0, y1 = int(np.floor(y.min())) - 1, int(np.ceil(y.max())) + 2
        peer = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            with fits.open(root / meta.mosaics[0].object_key) as hdul:
                section = hdul[1].section[y0:y1, x0:x1]
            wcs = solution.wcs.deepcopy()
            wcs.wcs.crpix = wcs.wcs.crpix - np.array([x0, y0])
            data, _ = reproject_interp(
                (section.astype(float), wcs), grid.wcs(), shape_out=grid.shape
            )
            fits.PrimaryHDU(data.astype(np.float32), grid.wcs().to_header()).writeto(io.BytesIO())
            peer.append(time.perf_counter() - start)
        same = np.nanmax(np.abs(data - result.data)) / (np.nanmax(data) - np.nanmin(data))
        summary.append(
            (plate, meta.pixel_scale_arcsec, best["total"], min(peer), same, (x1 - x0) * (y1 - y0))
        )
    print(
        "\n| plate | source box (px) | Platecut total | astropy + reproject | ratio | "
        "max diff / range |"
    )
    print("|---|---|---|---|---|---|")
    for plate, scale, ours, theirs, same, area in summary:
        print(
            f'| {plate} ({scale}"/px) | {area:,} | {ours:.3f} s | {theirs:.3f} s | '
            f"{theirs / ours:.1f}x | {same:.1e} |"
        )


def arch_ids(root: Path) -> list[str]:
    """Plate identifiers of a local archive."""
    return sorted(p.stem for p in root.glob("plates/*/*.json"))


if __name__ == "__main__":
    main()
