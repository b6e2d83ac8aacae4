"""W1: DASCH's default cutout (835 x 835 px at 1.44"/px) from a 20,000 x 20,000 px
0.6"/px Rice row-tiled plate behind an S3-shaped origin that adds 30 ms to every
request, side by side with the same cutout made with astropy + s3fs +
``CompImageHDU.section`` + ``reproject_interp`` (s3fs's default blocks and 1 MiB).

Prints, as Markdown: round trips (sequential waves of requests, counted by the
origin), requests, bytes against the minimum (descriptor rows + tiles of the box,
from astropy's view of the file), time per step, cold and warm, medians of
``--repeat`` runs; an edge cutout against an interior one; decode time against
decode threads; and 50 cutouts of one position from 50 plates, cold and warm.

The peer runs in its own virtual environment (``var/bench/peer-venv``: s3fs pins an
older botocore than Platecut's boto3), created on first use.

Run: ``make bench`` or ``.venv/bin/python -m bench.cutout [--repeat 5]``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from service.archive.sidecars import ingest_one
from service.catalog.sqlite import SqliteCatalog
from service.cutout import engine as engine_module
from service.cutout.engine import CutoutEngine, CutoutLimits, CutoutRequest, solution_of
from service.cutout.grid import TargetGrid
from service.cutout.service import CutoutService
from service.demo.generate import generate_archive
from service.rangeread.reader import MosaicReader, ReadOptions
from service.rangeread.replica import Replica
from service.settings import load_settings
from service.storage.base import FetchStats, RetryPolicy
from service.storage.s3 import S3Store
from tests.fitsfiles import independent_minimum
from tests.servers import RangeFileServer

BENCH_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"
PEER_VENV = BENCH_DIR / "peer-venv"
BUCKET = "bench"
FIELD = (150.0, 30.0)
SERVICE = load_settings(env={}).service
POLICY = RetryPolicy(3, 0.05, 0.5, 5.0, 60.0)


def archive(name: str, **kwargs: object) -> Path:
    """A demo archive under var/bench (generated once)."""
    root = BENCH_DIR / name
    if not (root / "archive.json").exists():
        generate_archive(root, **kwargs)
    return root


def peer_python() -> Path:
    """The peer's interpreter (its virtual environment is made on first use)."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "astropy", "reproject", "s3fs"],
            check=True,
        )
    return python


def catalog_for(root: Path, origin: RangeFileServer, path: Path) -> SqliteCatalog:
    """The archive's catalog, ingested through the origin (so ETags are the origin's)."""
    catalog = SqliteCatalog(path)
    catalog.create()
    store = S3Store(BUCKET, root.name, POLICY, endpoint_url=origin.url)
    latency, origin.latency_s = origin.latency_s, 0.0
    for sidecar in sorted(root.glob("plates/*/*.json")):
        ingest_one(store, catalog, str(sidecar.relative_to(root)), SERVICE)
    origin.latency_s = latency
    store.close()
    return catalog


class Platecut:
    """One worker: a cutout service over the origin, with its own replica."""

    def __init__(self, root: Path, origin: RangeFileServer, catalog: SqliteCatalog, threads=0):
        self.cache = tempfile.TemporaryDirectory()
        store = S3Store(BUCKET, root.name, POLICY, endpoint_url=origin.url)
        reader = MosaicReader(
            store, Replica(Path(self.cache.name), 1 << 34), ReadOptions(decode_threads=threads)
        )
        self.service = CutoutService(catalog, CutoutEngine(reader, CutoutLimits(10**8, 10**9)), 835)
        engine_module._solution.cache_clear()  # a cold process parses the WCS too
        engine_module._layout.cache_clear()

    def close(self) -> None:
        self.service.engine.close()
        self.cache.cleanup()

    def cut(self, obs_id: str, grid: TargetGrid) -> tuple[dict, object]:
        """One cutout with the time of each step."""
        start = time.perf_counter()
        source = self.service.resolve(obs_id)
        resolved = time.perf_counter()
        result = self.service.cut(source, CutoutRequest(grid), FetchStats())
        clock = time.perf_counter()
        result.to_fits()
        done = time.perf_counter()
        steps = {"catalog": resolved - start, **result.timings, "fits": done - clock}
        steps["total"] = done - start
        return steps, result


def run_peer(job: dict) -> list[dict]:
    out = subprocess.run(
        [str(peer_python()), str(Path(__file__).with_name("peer_s3fs.py"))],
        input=json.dumps(job),
        capture_output=True,
        text=True,
    )
    if out.returncode:
        raise RuntimeError(f"the peer failed:\n{out.stderr}")
    return json.loads(out.stdout)


def exit_on_sigterm() -> None:
    """Turn SIGTERM into an exit, so that the servers a benchmark started are stopped by
    its ``finally`` clauses when it is killed."""
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def dr7_plate(args: argparse.Namespace, origin: RangeFileServer, work: Path):  # noqa: ANN201
    """The same plate laid out as DASCH DR7 stores it (a bucket key from the item's
    template, the item's gzipped header, int16 pixels), catalogued from its item by the
    DR7 reader: (root, catalog, obs_id, header key for the peer)."""
    import gzip

    from service.archive.dr7 import MosaicRead, plate_from_item, plate_records
    from service.demo.dr7 import b01_header, item, plan_dr7, render_mosaics
    from service.rangeread.fitsmeta import layout_to_json
    from service.rangeread.head import read_header

    root = BENCH_DIR / f"dr7-{args.size}-a"
    plan = plan_dr7(1, 3, size=args.size, series=["a"])[0]
    values = item(plan)
    key = values["mosaic"]["s3KeyTemplate"].replace("{bin}", "01").replace("{tnx}", "_tnx")
    if not (root / key).exists():
        (root / key).parent.mkdir(parents=True, exist_ok=True)
        full, _ = render_mosaics(plan)
        (root / key).write_bytes(full)
        header = gzip.decompress(b01_header(plan)).decode().split("\n")
        text = "".join(card.ljust(80) for card in header) + "END".ljust(80)
        (root / "header.wcs.gz").write_bytes(gzip.compress(text.encode("ascii")))
    catalog = SqliteCatalog(work / "dr7.sqlite")
    catalog.create()
    store = S3Store(BUCKET, root.name, POLICY, endpoint_url=origin.url)
    latency, origin.latency_s = origin.latency_s, 0.0
    _, info, image = read_header(store, key, 8 * 2880, FetchStats())
    plate = plate_from_item(values)
    record, exposures, pixels = plate_records(
        plate, MosaicRead(info, layout_to_json(image)), "bench", SERVICE
    )
    catalog.put_plate(record, exposures, pixels)
    origin.latency_s = latency
    store.close()
    return root, catalog, exposures[0].obs_id, "header.wcs.gz"


def w1(args: argparse.Namespace, origin: RangeFileServer, work: Path) -> None:
    """The default cutout from the 20,000 px plate: Platecut and the peers."""
    if args.layout == "dasch-dr7":
        root, catalog, obs_id, header_key = dr7_plate(args, origin, work)
    else:
        root = archive("archive-20000-a", plates=1, size=args.size, series=["a"], seed=3)
        catalog = catalog_for(root, origin, work / "w1.sqlite")
        obs_id = sorted(p.stem for p in root.glob("plates/*/*.json"))[0] + "m0s0"
        header_key = catalog.source(obs_id).exposure.header_key
    source = catalog.source(obs_id)
    solution = solution_of(source)
    ny, nx = solution.shape
    positions = {"interior": (0.4, 0.6), "edge": (0.0, 0.5)}
    grids = {}
    for name, (fx, fy) in positions.items():
        ra, dec = solution.pixel_to_world(np.array([fx * nx - 0.5]), np.array([fy * ny]))
        grids[name] = TargetGrid(float(ra[0]), float(dec[0]), 835, 835, 1.44)
    if args.fresh_only:
        fresh_process(root, origin, work, obs_id, grids, args.repeat)
        catalog.close()
        return
    mosaic = root / source.exposure.object_key
    rows = {}  # label -> list of (steps, waves, requests, bytes)
    boxes = {}
    for _ in range(args.repeat):
        for name, grid in grids.items():
            worker = Platecut(root, origin, catalog)
            for phase in ("cold", "warm"):
                since = len(origin.log)
                steps, result = worker.cut(obs_id, grid)
                log = origin.log[since:]
                rows.setdefault(f"Platecut, {name}, {phase}", []).append(
                    (steps, len(origin.waves(since)), len(log), sum(e[5] for e in log))
                )
                boxes[name] = (result.box, result.data)
            worker.close()
    for block, label in ((None, "default blocks"), (1 << 20, "1 MiB blocks")):
        for _ in range(args.repeat):
            for name, grid in grids.items():
                since = len(origin.log)
                out = work / f"peer-{name}.npy"
                job = {
                    "endpoint": origin.url,
                    "bucket": BUCKET,
                    "header": f"{root.name}/{header_key}",
                    "mosaic": f"{root.name}/{source.exposure.object_key}",
                    "key": source.pixels.solution_key,
                    "block_size": block,
                    "grids": [[grid.ra, grid.dec, grid.nx, grid.scale_arcsec, str(out)]],
                }
                (timing,) = run_peer(job)
                log = origin.log[since:]
                rows.setdefault(f"astropy + s3fs ({label}), {name}, cold", []).append(
                    ({**timing["cold"], "warm_total": timing["warm"]["total"]}, len(log), len(log),
                     sum(e[5] for e in log))
                )  # fmt: skip
                ours = boxes[name][1]
                theirs = np.load(out)
                both = np.isfinite(ours) & np.isfinite(theirs)
                span = np.nanmax(theirs) - np.nanmin(theirs)
                rows[f"agreement {name}"] = float(np.max(np.abs(ours[both] - theirs[both])) / span)
    minimum = {name: independent_minimum(mosaic, box, False) for name, (box, _) in boxes.items()}
    print(
        f'### W1: 835 x 835 px at 1.44"/px from a {args.size:,} px 0.6"/px plate '
        f"({args.layout} layout), origin latency {args.latency_ms:.0f} ms per request, "
        f"medians of {args.repeat}\n"
    )
    print("| reader | position | round trips | requests | MB | x minimum | total |")
    print("|---|---|---|---|---|---|---|")
    totals = {}
    for label, runs in rows.items():
        if label.startswith("agreement"):
            continue
        name = "edge" if ", edge," in label else "interior"
        waves = median([r[1] for r in runs])
        gets = median([r[2] for r in runs])
        nbytes = median([r[3] for r in runs])
        total = median([r[0]["total"] for r in runs])
        totals[label] = total
        who, phase = label.split(",")[0], label.split(", ")[-1]
        print(
            f"| {who}, {phase} | {name} | {waves:.0f} | {gets:.0f} | {nbytes / 1e6:.2f} | "
            f"{nbytes / minimum[name]:.3f} | {total:.3f} s |"
        )
        if "astropy" in label:
            warm = median([r[0]["warm_total"] for r in runs])
            totals[label.replace(", cold", ", warm")] = warm
            print(f"| {label.split(',')[0]}, warm (same process) | {name} | | | | | {warm:.3f} s |")
    print("\nPlatecut, time per step (s, medians):\n")
    steps = ("catalog", "catalog_wcs", "mapping", "fetch", "decompress", "interpolation", "fits")
    print("| run | " + " | ".join(steps) + " | total |")
    print("|---|" + "---|" * (len(steps) + 1))
    for label, runs in rows.items():
        if label.startswith("Platecut"):
            cells = [median([r[0].get(s, 0.0) for r in runs]) for s in (*steps, "total")]
            print(f"| {label[10:]} | " + " | ".join(f"{v:.3f}" for v in cells) + " |")
    peers = [v for k, v in totals.items() if "astropy" in k and "interior, cold" in k]
    best_cold = min(peers)
    best_warm = min(v for k, v in totals.items() if "astropy" in k and "interior, warm" in k)
    cold = totals["Platecut, interior, cold"]
    warm = totals["Platecut, interior, warm"]
    print("\n| ratio | value | target |")
    print("|---|---|---|")
    print(f"| Platecut cold / best peer cold | {cold / best_cold:.2f} | <= 0.5 |")
    print(f"| Platecut warm / best peer cold | {warm / best_cold:.2f} | <= 0.35 |")
    print(f"| Platecut warm / best peer warm | {warm / best_warm:.2f} | |")
    edge = totals["Platecut, edge, cold"] / cold
    print(f"| Platecut edge / interior, cold | {edge:.2f} | <= 1.5 |")
    agreement = max(v for k, v in rows.items() if k.startswith("agreement"))
    print(f"| largest pixel difference from the peer / range | {agreement:.1e} | |\n")
    decode_scaling(root, origin, catalog, obs_id, grids["interior"], args.repeat)
    if args.layout == "platecut":
        fresh_process(root, origin, work, obs_id, grids, args.repeat)
    catalog.close()


FRESH = """
import json, sys, time
begun = float(sys.argv[1])
job = json.loads(sys.argv[2])
from service.app import create_app
from service.wiring import settle
imported = time.time()
app = create_app()
settle()  # as the Lambda handler and each gunicorn worker do once the app is built
built = time.time()
client = app.test_client()
out = {"import": imported - begun, "app": built - imported}
for name in ("first", "second", "repeat"):
    start = time.time()
    answer = client.get("/soda/sync", query_string=job[name])
    assert answer.status_code == 200, answer.data[:500]
    out[name] = time.time() - start
    tag = answer.headers["ETag"]
out["from_exec"] = out["import"] + out["app"] + out["first"]
start = time.perf_counter()
held = client.get("/soda/sync", query_string=job["repeat"], headers={"If-None-Match": tag})
out["not_modified"] = time.perf_counter() - start
assert held.status_code == 304
out["modules"] = sorted(m for m in ("boto3", "botocore", "dask", "distributed", "matplotlib",
                                    "scipy.interpolate", "astropy.coordinates") if m in sys.modules)
print(json.dumps(out))
"""


def fresh_process(root, origin, work, obs_id, grids, repeat) -> None:  # noqa: ANN001
    """A process that has just started (the Lambda cold start, a new gunicorn worker):
    from exec to its first cold cutout answered through the app (S3 store to the same
    origin, its own empty replica), against the same process's next cold cutout (other
    rows of the plate) and a repeat: what starting costs beyond the bytes.

    Twice, in turn: with the package's bytecode compiled beforehand (``compileall``, as
    an installed package and the image have it), and from its source (an editable
    checkout under PYTHONDONTWRITEBYTECODE=1, which this machine sets, compiles every
    module of ``service`` at each start). Dependencies keep the bytecode pip wrote."""
    import shutil

    def query(grid: TargetGrid) -> dict:
        radius = grid.nx * grid.scale_arcsec / 7200
        return {"ID": obs_id, "CIRCLE": f"{grid.ra} {grid.dec} {radius}", "WIDTH": grid.nx,
                "SCALE": grid.scale_arcsec}  # fmt: skip

    job = {"first": query(grids["interior"]), "second": query(grids["edge"])}
    job["repeat"] = job["first"]
    project = Path(__file__).resolve().parent.parent
    runs: dict[str, list[dict]] = {"bytecode": [], "source": []}
    for i in range(repeat):
        for variant, values in runs.items():
            for cache in (project / "service").rglob("__pycache__"):
                shutil.rmtree(cache)
            if variant == "bytecode":
                subprocess.run([sys.executable, "-m", "compileall", "-q", "service"],
                               cwd=project, check=True)  # fmt: skip
            env = {
                **os.environ,
                "PYTHONDONTWRITEBYTECODE": "1",  # the runs leave the package as they found it
                "PLATECUT_CONFIG": "",
                "PLATECUT_ARCHIVE_ROOT": f"s3://{BUCKET}/{root.name}",
                "PLATECUT_STORAGE_S3_ENDPOINT_URL": origin.url,
                "PLATECUT_CATALOG_SQLITE_PATH": str(work / "w1.sqlite"),
                "PLATECUT_CACHE_DIR": str(work / f"fresh-cache-{variant}-{i}"),
                "PLATECUT_STACKS_SCHEDULER": "tcp://127.0.0.1:9",
            }
            done = subprocess.run(
                [sys.executable, "-c", FRESH, str(time.time()), json.dumps(job)],
                capture_output=True, text=True, env=env, cwd=project,
            )  # fmt: skip
            if done.returncode:
                raise RuntimeError(done.stderr[-3000:])
            values.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"### A fresh process: exec to its first cold cutout, medians of {repeat}\n")
    print("| step | bytecode compiled (installed, image) | from source (editable checkout) |")
    print("|---|---|---|")
    for key, label in (("import", "exec + import service.app"), ("app", "create_app()"),
                       ("first", "first cutout (cold, fresh process)"),
                       ("from_exec", "exec to first cutout answered"),
                       ("second", "next cold cutout, same process (other rows)"),
                       ("repeat", "repeat, warm"),
                       ("not_modified", "repeat with If-None-Match: 304")):  # fmt: skip
        cells = [median([r[key] for r in values]) * 1000 for values in runs.values()]
        print(f"| {label} | " + " | ".join(f"{v:.1f} ms" for v in cells) + " |")
    ran = runs["bytecode"]
    first, second = median([r["first"] for r in ran]), median([r["second"] for r in ran])
    print(f"\nfirst / next cold cutout: {first / second:.2f}; modules loaded by then: "
          f"{', '.join(ran[0]['modules']) or 'none of boto3, dask, matplotlib'}\n")  # fmt: skip


def decode_scaling(root, origin, catalog, obs_id, grid, repeat) -> None:  # noqa: ANN001
    """Decode time of the default cutout's box against decode threads (warm replica)."""
    print("| decode threads | decode (s, median) | speed-up |")
    print("|---|---|---|")
    base = None
    for threads in (1, 2, 4):
        worker = Platecut(root, origin, catalog, threads)
        worker.cut(obs_id, grid)
        runs = [worker.cut(obs_id, grid)[0]["decompress"] for _ in range(repeat)]
        worker.close()
        value = median(runs)
        base = base or value
        print(f"| {threads} | {value:.3f} | {base / value:.2f}x |")
    print()


def fifty(args: argparse.Namespace, origin: RangeFileServer, work: Path) -> None:
    """50 cutouts of one position from 50 plates, cold and warm."""
    root = archive("archive-50-field", plates=50, seed=5, fields=(FIELD,))
    catalog = catalog_for(root, origin, work / "fifty.sqlite")
    ids = [f"{p.stem}m0s0" for p in sorted(root.glob("plates/*/*.json"))]
    grid = TargetGrid(FIELD[0], FIELD[1], 835, 835, 1.44)
    print(f"### 50 cutouts of ({FIELD[0]}, {FIELD[1]}) from 50 plates (one request each, "
          f"sequential), latency {args.latency_ms:.0f} ms, medians of {args.repeat}\n")  # fmt: skip
    print("| run | total | per cutout | round trips | MB |")
    print("|---|---|---|---|---|")
    results: dict[str, list[tuple[float, int, int]]] = {}
    for _ in range(args.repeat):
        worker = Platecut(root, origin, catalog)
        for phase in ("cold", "warm"):
            since = len(origin.log)
            start = time.perf_counter()
            for obs_id in ids:
                worker.cut(obs_id, grid)
            total = time.perf_counter() - start
            log = origin.log[since:]
            results.setdefault(phase, []).append(
                (total, len(origin.waves(since)), sum(e[5] for e in log))
            )
        worker.close()
    for phase, runs in results.items():
        total = median([r[0] for r in runs])
        waves, nbytes = median([r[1] for r in runs]), median([r[2] for r in runs])
        print(
            f"| Platecut, {phase} | {total:.2f} s | {total / len(ids) * 1000:.0f} ms | "
            f"{waves:.0f} | {nbytes / 1e6:.1f} |"
        )
    print()
    catalog.close()


def main() -> None:
    """Print the benchmark's tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--skip-fifty", action="store_true")
    parser.add_argument(
        "--fresh-only", action="store_true", help="only the fresh process (no peers, no fifty)"
    )
    parser.add_argument(
        "--layout",
        choices=("platecut", "dasch-dr7"),
        default="platecut",
        help="the plate's archive layout (dasch-dr7: catalogued from its item)",
    )
    args = parser.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")  # the origin ignores signatures
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    origin = RangeFileServer(BENCH_DIR, latency_s=args.latency_ms / 1000, bucket=BUCKET)
    try:
        with tempfile.TemporaryDirectory() as work:
            w1(args, origin, Path(work))
            if not (args.skip_fifty or args.fresh_only):
                fifty(args, origin, Path(work))
    finally:
        origin.stop()


if __name__ == "__main__":
    main()
