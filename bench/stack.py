"""Stacks: every exposure of one position from a 400-plate archive around one field,
as one SODA async job on the local Dask cluster, against the loop a client runs today
(one SIA 2.0 query, then one /soda/sync call per exposure, in turn, like daschlab),
on the same gunicorn server (the production configuration) in the same run.

The archive sits behind an S3-shaped origin adding ``--latency-ms`` to every request
(as in the W1 benchmark). Cold: a server started on an empty replica cache (web and
Dask workers alike); warm: the same server again. Times run from the first request to
the last byte: for the stack, POST to the MEF stack.fits downloaded; for the loop, the
SIA query to the last cutout. Time to first frame: the first SODA answer, or the job
reporting its first frame done. Throughput: cold stacks against the Dask workers of
the local cluster.

At DASCH's width (``--size 20000 --height 3000 --stamp-px 100``: strips of plates as
wide as DASCH's, fpack's row tiles, a few thousand rows high to keep the archive on
disk) it also measures, in this process on the same files: each frame's floor (the
decode of the rows it needs and the resampling of its grid, one thread, warm) and
the row-tile minimum of its bytes, against the stack's bytes per frame and its warm
CPU time per frame (wall time x cores / frames, and measured from /proc over the
server's processes); the job's floor (each mosaic's frames cut together, as a worker
cuts them: rows that exposures of one plate share are decoded once); and a bound: the
same frames cut warm that way by as many plain processes as cores, mosaics dealt out
in turn, with no scheduler, job or HTTP. ``--cluster external`` runs the
stacks on a Dask cluster started separately (``dask scheduler`` and ``dask worker``
processes, a fresh one for each cold run), and the scaling model is fitted from the
1- and 2-worker runs: time = frames x per-frame cost / workers + fixed cost.

Prints Markdown; medians of ``--repeat`` runs. Run: ``make bench`` or
``.venv/bin/python -m bench.stack [--plates 400] [--repeat 3]``; at DASCH's width:
``.venv/bin/python -m bench.stack --plates 150 --size 20000 --height 3000 --stamp-px 100``.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import tempfile
import time
from pathlib import Path

import requests
from astropy.io.votable import parse_single_table

from bench.cutout import BENCH_DIR, BUCKET, POLICY, archive, catalog_for, exit_on_sigterm, median
from service.catalog.sqlite import SqliteCatalog
from service.jobs.run import BATCH
from tests.servers import DaskCluster, Gunicorn, RangeFileServer

FIELD = (150.0, 30.0)
LOCAL_THREADS = 4  # stacks.local_threads: frames each worker cuts at once
SCALE = 1.44  # arcsec/px of the common grid


@dataclasses.dataclass(frozen=True)
class Grid:
    """The stack's grid: ``side`` px at SCALE around FIELD."""

    side: int

    @property
    def radius(self) -> float:
        return self.side * SCALE / 7200.0

    @property
    def pos(self) -> str:
        return f"CIRCLE {FIELD[0]} {FIELD[1]} {self.radius}"


def kept_catalog(root: Path, origin: RangeFileServer, path: Path) -> Path:
    """The archive's catalog, ingested once and kept beside the archive."""
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        catalog_for(root, origin, partial).close()
        partial.rename(path)
    return path


class Server:
    """Gunicorn (2 web workers) with its local Dask cluster, or a Dask cluster started
    separately (``external``: a scheduler and ``workers`` worker processes), on an empty
    cache."""

    def __init__(
        self, root: Path, origin: RangeFileServer, catalog: Path, workers: int,
        external: bool = False,
    ) -> None:  # fmt: skip
        self.scratch = tempfile.TemporaryDirectory(prefix="platecut-bench-")
        self.cluster = DaskCluster(workers, LOCAL_THREADS) if external else None
        env = {
            "PLATECUT_CONFIG": "",
            "PLATECUT_ARCHIVE_ROOT": f"s3://{BUCKET}/{root.name}",
            "PLATECUT_STORAGE_S3_ENDPOINT_URL": origin.url,
            "PLATECUT_CATALOG_SQLITE_PATH": str(catalog),
            "PLATECUT_CACHE_DIR": f"{self.scratch.name}/cache",
            "PLATECUT_STACKS_RESULTS_DIR": f"{self.scratch.name}/results",
            "PLATECUT_STACKS_LOCAL_WORKERS": str(workers),
            "PLATECUT_STACKS_SCHEDULER": self.cluster.address if self.cluster else "",
            "PLATECUT_VO_MAX_MAXREC": "100000",
            "PLATECUT_SERVER_TIMEOUT": "600",
            "PLATECUT_STACKS_LOCAL_THREADS": str(LOCAL_THREADS),
        }
        try:
            self.gunicorn = Gunicorn(env, workers=2, log=Path(self.scratch.name) / "gunicorn.log")
        except BaseException:  # nothing started may outlive the benchmark
            if self.cluster is not None:
                self.cluster.stop()
            self.scratch.cleanup()
            raise
        self.url = self.gunicorn.url

    def cpu_s(self) -> float:
        """CPU seconds used so far by the server's processes (gunicorn, its local
        cluster, or the external cluster's scheduler and workers), from /proc."""
        roots = [self.gunicorn.proc.pid] + [q.pid for q in getattr(self.cluster, "procs", [])]
        return tree_cpu_s(roots)

    def close(self) -> None:
        self.gunicorn.stop()
        if self.cluster is not None:
            self.cluster.stop()
        self.scratch.cleanup()


def tree_cpu_s(roots: list[int]) -> float:
    """User + system CPU seconds of the processes ``roots`` and all their descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # ended meanwhile
                continue
            stats[int(entry.name)] = (int(fields[1]), (int(fields[11]) + int(fields[12])) / tick)
    inside, grew = set(roots), True
    while grew:
        more = {pid for pid, (parent, _) in stats.items() if parent in inside} - inside
        inside |= more
        grew = bool(more)
    return sum(stats[pid][1] for pid in inside if pid in stats)


def sequential(url: str, session: requests.Session, grid: Grid) -> dict:
    """SIA 2.0, then one /soda/sync per exposure on the stack's grid, in date order."""
    start = time.perf_counter()
    query = {"POS": f"CIRCLE {FIELD[0]} {FIELD[1]} 1e-7", "MAXREC": 100000}
    table = parse_single_table(
        io.BytesIO(session.get(f"{url}/sia/v2/query", params=query, timeout=600).content)
    ).to_table()
    table.sort(["t_min", "obs_id"])
    first = None
    nbytes = 0
    for did in table["obs_publisher_did"]:
        params = {"ID": str(did), "POS": grid.pos, "WIDTH": grid.side, "HEIGHT": grid.side}
        r = session.get(f"{url}/soda/sync", params=params, timeout=600)
        assert r.status_code in (200, 204), r.text[:300]
        nbytes += len(r.content)
        first = first or time.perf_counter() - start
    return {"total": time.perf_counter() - start, "first": first, "frames": len(table),
            "bytes": nbytes}  # fmt: skip


def stack(url: str, session: requests.Session, grid: Grid) -> dict:
    """One SODA async stack, polled every 100 ms, then its stack.fits."""
    start = time.perf_counter()
    data = {"POS": grid.pos, "WIDTH": grid.side, "HEIGHT": grid.side, "PHASE": "RUN"}
    r = session.post(f"{url}/soda/async", data=data, timeout=600)
    assert r.status_code == 200, r.text[:300]
    job = r.url
    first = None
    while True:
        text = session.get(job, timeout=600).text
        done = int(text.split(' done="', 1)[1].split('"', 1)[0])
        total = int(text.split(' total="', 1)[1].split('"', 1)[0])
        if first is None and done:
            first = time.perf_counter() - start
        if "<uws:phase>COMPLETED" in text:
            break
        assert "<uws:phase>ERROR" not in text and "ABORTED" not in text, text
        time.sleep(0.1)
    body = session.get(f"{job}/results/stack.fits", timeout=600).content
    elapsed = time.perf_counter() - start
    session.delete(job, timeout=600)
    return {"total": elapsed, "first": first, "frames": total, "bytes": len(body)}


STEPS = ("catalog", "catalog_wcs", "mapping", "fetch", "decompress", "interpolation", "fits",
         "store")  # fmt: skip


def stack_frames(catalog: SqliteCatalog, side: int) -> tuple[list, object]:
    """The catalog rows of the stack's exposures and the request for its common grid."""
    from service.catalog.query import ExposureQuery
    from service.cutout.engine import CutoutRequest
    from service.cutout.grid import TargetGrid
    from service.sky import Circle

    rows = catalog.search(ExposureQuery(regions=(Circle(*FIELD, 1e-7),), maxrec=100000)).rows
    return rows, CutoutRequest(TargetGrid(FIELD[0], FIELD[1], side, side, SCALE))


def worker_parts(url: str, root_name: str, scratch: Path) -> tuple[object, object]:
    """A cutout engine and a local result store as a Dask worker has them (one decode
    thread), over the origin at ``url`` with its replica under ``scratch``."""
    from service.cutout.engine import CutoutEngine, CutoutLimits
    from service.jobs.results import LocalResults
    from service.rangeread.reader import MosaicReader, ReadOptions
    from service.rangeread.replica import Replica
    from service.storage.s3 import S3Store

    store = S3Store(BUCKET, root_name, POLICY, endpoint_url=url)
    reader = MosaicReader(store, Replica(scratch / "cache", 1 << 36), ReadOptions(decode_threads=1))
    return CutoutEngine(reader, CutoutLimits(10**8, 10**9)), LocalResults(scratch / "results")


def frame_steps(root: Path, origin: RangeFileServer, catalog_path: Path, grid: Grid) -> dict:
    """Every frame of the stack cut in this process as a Dask worker cuts it (one decode
    thread, the stack's grid, its FITS written to a local result store), cold through the
    origin and again warm: the time of each step, the floor (decode of its rows and
    resampling of its grid) and the row-tile minimum of the stack's bytes (each
    mosaic's rows read once)."""
    from service.cutout.boxes import make_many
    from tests.fitsfiles import independent_minimum

    catalog = SqliteCatalog(catalog_path)
    rows, request = stack_frames(catalog, grid.side)
    out: dict[str, dict[str, list[float]]] = {"cold": {}, "warm": {}}
    boxes: dict[str, list[tuple[int, int, int, int]]] = {}
    with tempfile.TemporaryDirectory() as scratch:
        engine, results = worker_parts(origin.url, root.name, Path(scratch))
        for k, row in enumerate(rows):
            for phase in ("cold", "warm"):
                start = time.perf_counter()
                source = catalog.source(row.obs_id)
                looked = time.perf_counter()
                result = engine.make(source, request)
                made = time.perf_counter()
                if not hasattr(result, "box"):
                    break
                body = result.to_fits()
                written = time.perf_counter()
                results.put("bench", f"frame-{k:04d}.fits", body, "application/fits")
                done = time.perf_counter()
                timings = result.timings
                steps = {"catalog": looked - start, **timings, "fits": written - made,
                         "store": done - written, "total": done - start,
                         "floor": timings["decompress"] + timings["interpolation"]}  # fmt: skip
                for name, value in steps.items():
                    out[phase].setdefault(name, []).append(value)
            else:
                boxes.setdefault(row.object_key, []).append(result.box)
        # the job's floor: each mosaic's frames cut together as a worker cuts them (shared
        # rows decoded once), warm; its decode and resampling summed over the frames
        by_key: dict[str, list] = {}
        for row in rows:
            by_key.setdefault(row.object_key, []).append(catalog.source(row.obs_id))
        shared = []
        for sources in by_key.values():
            for i in range(0, len(sources), BATCH):
                made = make_many(engine, [(src, request) for src in sources[i : i + BATCH]])
                shared += [m.timings["decompress"] + m.timings["interpolation"]
                           for _, m in made if hasattr(m, "box")]  # fmt: skip
        engine.close()
    catalog.close()
    out["job_floor"] = sum(shared)
    minimum = 0  # exposures of one plate share its rows: the union of each mosaic's boxes
    for key, spans in boxes.items():
        spans.sort(key=lambda b: b[2])
        merged = [list(spans[0])]
        for x0, x1, y0, y1 in spans[1:]:
            last = merged[-1]
            if y0 <= last[3]:
                last[0], last[1], last[3] = min(last[0], x0), max(last[1], x1), max(last[3], y1)
            else:
                merged.append([x0, x1, y0, y1])
        minimum += sum(independent_minimum(root / key, tuple(b), False) for b in merged)
    return {**out, "minimum": minimum, "frames": sum(len(b) for b in boxes.values())}


BOUND_PART = """
import sys
from bench.stack import bound_part
bound_part(*sys.argv[1:])
"""


def bound_part(url: str, root: str, catalog_path: str, scratch: str, side: str, part: str,
               parts: str, go: str) -> None:  # fmt: skip
    """In a process of its own: cut, as a worker does (one decode thread, FITS written
    to a local result store), the frames of every ``parts``-th mosaic of the stack from
    the replica under ``scratch``, starting at time ``go``; print its end and CPU time."""
    import json

    from service.cutout.boxes import make_many

    catalog = SqliteCatalog(Path(catalog_path))
    rows, request = stack_frames(catalog, int(side))
    keys = sorted({r.object_key for r in rows})
    mine = set(keys[int(part) :: int(parts)])
    sources = [catalog.source(r.obs_id) for r in rows if r.object_key in mine]
    engine, results = worker_parts(url, Path(root).name, Path(scratch))
    engine.make(sources[0], request)  # imports and decoder tables, as a warmed worker
    while time.time() < float(go):
        time.sleep(0.001)
    cpu = time.process_time()
    by_key: dict[str, list] = {}
    for source in sources:
        by_key.setdefault(source.exposure.object_key, []).append(source)
    batches = [same[i : i + BATCH] for same in by_key.values() for i in range(0, len(same), BATCH)]
    k = 0
    for batch in batches:  # a mosaic's frames together, as a worker cuts them
        for _, result in make_many(engine, [(source, request) for source in batch]):
            body = result.to_fits()
            results.put("bound", f"frame-{part}-{k:04d}.fits", body, "application/fits")
            k += 1
    print(json.dumps({"end": time.time(), "cpu": time.process_time() - cpu, "n": len(sources)}))
    engine.close()


def process_bound(root: Path, origin: RangeFileServer, catalog: Path, grid: Grid, cores: int,
                  repeat: int) -> dict:  # fmt: skip
    """The stack's frames cut warm by ``cores`` plain processes, the mosaics dealt out
    in turn, with no scheduler, job or HTTP: what the frames alone cost on this machine
    (medians of ``repeat``: wall time from a common start to the last frame, CPU)."""
    import json
    import subprocess
    import sys

    runs = []
    with tempfile.TemporaryDirectory() as scratch:

        def parts(n: int, go: float) -> list[dict]:
            args = [origin.url, str(root), str(catalog), scratch, str(grid.side)]
            procs = [
                subprocess.Popen(
                    [sys.executable, "-c", BOUND_PART, *args, str(k), str(n), str(go)],
                    stdout=subprocess.PIPE,
                    text=True,
                    cwd=Path(__file__).resolve().parent.parent,
                )  # fmt: skip
                for k in range(n)
            ]
            outs = [p.communicate()[0] for p in procs]
            if any(p.returncode for p in procs):
                raise RuntimeError("a bound process failed")
            return [json.loads(o.strip().splitlines()[-1]) for o in outs]

        parts(1, 0.0)  # fills the replica
        for _ in range(repeat):
            go = time.time() + 5.0  # every process has imported and warmed up by then
            outs = parts(cores, go)
            total = max(o["end"] for o in outs) - go
            cpu, frames = sum(o["cpu"] for o in outs), sum(o["n"] for o in outs)
            runs.append({"total": total, "cpu": cpu, "frames": frames})
    return {k: median([r[k] for r in runs]) for k in ("total", "cpu", "frames")}


def main() -> None:
    """Print the benchmark's tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plates", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--size", type=int, help="plate width (px); default: the demo's")
    parser.add_argument("--height", type=int, help="with --size: plate height (px)")
    parser.add_argument("--stamp-px", type=int, default=250, help='grid side at 1.44"/px')
    parser.add_argument("--cluster", choices=("local", "external"), default="local")
    args = parser.parse_args()
    exit_on_sigterm()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")  # the origin ignores signatures
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    grid = Grid(args.stamp_px)
    external = args.cluster == "external"
    start = time.perf_counter()
    if args.size:
        name = f"archive-{args.plates}-{args.size}x{args.height or args.size}-field"
        root = archive(name, plates=args.plates, seed=11, fields=(FIELD,), size=args.size,
                       height=args.height, series=["a"], compression=("RICE_1", None))  # fmt: skip
    else:
        name = f"archive-{args.plates}-field"
        root = archive(name, plates=args.plates, seed=11, fields=(FIELD,))
    made = time.perf_counter() - start
    origin = RangeFileServer(BENCH_DIR, latency_s=args.latency_ms / 1000, bucket=BUCKET)
    cores = os.cpu_count() or 1
    runs: dict[str, list[dict]] = {}
    try:
        catalog = kept_catalog(root, origin, BENCH_DIR / f"stack-{name}.sqlite")
        for _ in range(args.repeat):
            for label, how in (("sequential SODA loop", sequential), ("stack", stack)):
                server = Server(root, origin, catalog, cores, external and how is stack)
                try:
                    with requests.Session() as session:
                        since = len(origin.log)
                        cold = how(server.url, session, grid)
                        cold["fetched"] = sum(e[5] for e in origin.log[since:])
                        runs.setdefault(f"{label}, cold", []).append(cold)
                        spent = server.cpu_s()
                        warm = how(server.url, session, grid)
                        warm["cpu"] = server.cpu_s() - spent
                        runs.setdefault(f"{label}, warm", []).append(warm)
                finally:
                    server.close()
            for workers in sorted({1, 2, cores}):
                server = Server(root, origin, catalog, workers, external)
                try:
                    with requests.Session() as session:
                        runs.setdefault(f"workers {workers}", []).append(
                            stack(server.url, session, grid)
                        )
                finally:
                    server.close()
        steps = frame_steps(root, origin, catalog, grid)
        bound = process_bound(root, origin, catalog, grid, cores, args.repeat)
    finally:
        origin.stop()
    frames = runs["stack, cold"][0]["frames"]
    where = "a separately started Dask cluster" if external else "gunicorn's local Dask cluster"
    print(f"### Stacks: {frames} exposures of ({FIELD[0]}, {FIELD[1]}) from {args.plates} "
          f"plates ({name}), {grid.side} x {grid.side} px at {SCALE}\"/px, on {where}, "
          f"origin latency {args.latency_ms:.0f} ms, {cores} cores, medians of "
          f"{args.repeat}\n")  # fmt: skip
    print(f"(archive generated in {made:.0f} s, or found under var/bench)\n")
    print("| run | total | first frame | per exposure | MB to the client | MB fetched |")
    print("|---|---|---|---|---|---|")
    totals = {}
    for label, values in runs.items():
        if label.startswith("workers"):
            continue
        total = median([v["total"] for v in values])
        totals[label] = total
        first = median([v["first"] for v in values])
        per = total / max(1, values[0]["frames"]) * 1000
        mb = median([v["bytes"] for v in values]) / 1e6
        fetched = median([v["fetched"] for v in values]) / 1e6 if "cold" in label else 0.0
        print(f"| {label} | {total:.2f} s | {first:.2f} s | {per:.0f} ms | {mb:.1f} | "
              f"{fetched:.1f} |")  # fmt: skip
    print("\n| Dask workers | cold stack | cutouts/s | speed-up |")
    print("|---|---|---|---|")
    base = None
    scaling = {}
    for label, values in runs.items():
        if label.startswith("workers"):
            total = median([v["total"] for v in values])
            scaling[int(label.split()[1])] = total
            rate = values[0]["frames"] / total
            base = base or rate
            print(f"| {label.split()[1]} | {total:.2f} s | {rate:.1f} | {rate / base:.2f}x |")
    cold = totals["stack, cold"] / totals["sequential SODA loop, cold"]
    warm = totals["stack, warm"] / totals["sequential SODA loop, warm"]
    n = steps["frames"]
    minimum = steps["minimum"] / n
    fetched = median([v["fetched"] for v in runs["stack, cold"]]) / frames
    cpu_per_frame = totals["stack, warm"] * cores / frames
    floor_per_frame = sum(steps["warm"]["floor"]) / n
    print(f"\nA frame cut in this process as a worker cuts it ({n} frames, one decode thread;"
          f" cold through the origin, then warm), ms, medians:\n")  # fmt: skip
    print("| frame | " + " | ".join(STEPS) + " | total | floor |")
    print("|---|" + "---|" * (len(STEPS) + 2))
    for phase in ("cold", "warm"):
        cells = [
            median(steps[phase].get(name, [0.0])) * 1000 for name in (*STEPS, "total", "floor")
        ]
        print(f"| {phase} | " + " | ".join(f"{v:.1f}" for v in cells) + " |")
    warm_total = sum(steps["warm"]["total"]) / n
    print(f"\nFloor (decode of the rows + resampling, warm): {floor_per_frame * 1000:.1f} ms a "
          f"frame on average; the whole warm frame in this process {warm_total * 1000:.1f} ms "
          f"({warm_total / floor_per_frame:.2f}x the floor); in the warm stack "
          f"{cpu_per_frame * 1000:.1f} ms of a core a frame ({cpu_per_frame / floor_per_frame:.2f}x"
          f"). Row-tile minimum {minimum / 1e6:.2f} MB a frame, the cold stack fetched "
          f"{fetched / 1e6:.2f} MB a frame.\n")  # fmt: skip
    job_floor = steps["job_floor"] / n
    print(f"Job floor (each mosaic's frames cut together, as a worker cuts them: rows two "
          f"exposures of a plate share decoded once): {job_floor * 1000:.1f} ms a frame, "
          f"{job_floor / floor_per_frame:.2f}x the frame floor.\n")  # fmt: skip
    stack_cpu = median([v["cpu"] for v in runs["stack, warm"]]) / frames
    loop_cpu = median([v["cpu"] for v in runs["sequential SODA loop, warm"]]) / frames
    busy = loop_cpu * frames / totals["sequential SODA loop, warm"]
    print(f"Measured CPU (from /proc, the server's processes: gunicorn, Dask scheduler and "
          f"workers) a frame, warm: stack {stack_cpu * 1000:.1f} ms "
          f"({stack_cpu / floor_per_frame:.2f}x the floor), loop {loop_cpu * 1000:.1f} ms "
          f"({loop_cpu / floor_per_frame:.2f}x). The warm loop keeps {busy:.2f} of the "
          f"{cores} cores busy (its CPU / its wall: /soda/sync decodes a frame's rows on every "
          f"core), so a stack at the loop's CPU per frame can be at best {busy / cores:.2f}x "
          f"the loop.\n")  # fmt: skip
    print(f"Bound: the same {bound['frames']:.0f} frames cut warm by {cores} plain processes "
          f"(no scheduler, job or HTTP): {bound['total']:.2f} s, "
          f"{bound['cpu'] / bound['frames'] * 1000:.1f} ms of CPU a frame; "
          f"{bound['total'] / totals['sequential SODA loop, warm']:.2f}x the warm loop, the "
          f"warm stack {totals['stack, warm'] / bound['total']:.2f}x the bound.\n")  # fmt: skip
    if 1 in scaling and 2 in scaling:
        per = 2 * (scaling[1] - scaling[2]) / frames
        fixed = 2 * scaling[2] - scaling[1]
        print(f"Scaling model from the 1- and 2-worker cold stacks: time = {frames} frames x "
              f"{per * 1000:.0f} ms / workers + {fixed:.1f} s.\n")  # fmt: skip
    print("| ratio | value | target |")
    print("|---|---|---|")
    print(f"| stack cold / sequential loop cold | {cold:.2f} | <= 0.35 |")
    print(f"| stack warm / sequential loop warm | {warm:.2f} | <= 0.6 |")
    print(f"| bytes fetched per frame (cold stack) / row-tile minimum | {fetched / minimum:.3f}"
          f" | <= 1.05 |")  # fmt: skip
    print(f"| warm stack CPU per frame (wall x {cores} / frames) / floor | "
          f"{cpu_per_frame / floor_per_frame:.2f} | <= 1.5 |")  # fmt: skip
    print(f"| warm stack CPU per frame (measured) / floor | {stack_cpu / floor_per_frame:.2f} "
          f"| |")  # fmt: skip
    print(f"| warm stack CPU per frame (measured) / job floor | {stack_cpu / job_floor:.2f} "
          f"| |")  # fmt: skip
    print(f"| bound ({cores} plain processes) / sequential loop warm | "
          f"{bound['total'] / totals['sequential SODA loop, warm']:.2f} | |")  # fmt: skip
    print(f"| cores the warm loop keeps busy / {cores} (a stack at its CPU a frame, at best) | "
          f"{busy / cores:.2f} | |\n")  # fmt: skip


if __name__ == "__main__":
    main()
