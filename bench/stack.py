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

Prints Markdown; medians of ``--repeat`` runs. Run: ``make bench`` or
``.venv/bin/python -m bench.stack [--plates 400] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

import requests
from astropy.io.votable import parse_single_table

from bench.cutout import BENCH_DIR, BUCKET, archive, catalog_for, exit_on_sigterm, median
from tests.servers import Gunicorn, RangeFileServer

FIELD = (150.0, 30.0)
RADIUS = 0.05  # deg: a 250 x 250 px grid at 1.44"/px
POS = f"CIRCLE {FIELD[0]} {FIELD[1]} {RADIUS}"


def kept_catalog(root: Path, origin: RangeFileServer, path: Path) -> Path:
    """The archive's catalog, ingested once and kept beside the archive."""
    if not path.exists():
        partial = path.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        catalog_for(root, origin, partial).close()
        partial.rename(path)
    return path


class Server:
    """Gunicorn (2 web workers) with its local Dask cluster, on an empty cache."""

    def __init__(self, root: Path, origin: RangeFileServer, catalog: Path, workers: int) -> None:
        self.scratch = tempfile.TemporaryDirectory(prefix="platecut-bench-")
        env = {
            "PLATECUT_CONFIG": "",
            "PLATECUT_ARCHIVE_ROOT": f"s3://{BUCKET}/{root.name}",
            "PLATECUT_STORAGE_S3_ENDPOINT_URL": origin.url,
            "PLATECUT_CATALOG_SQLITE_PATH": str(catalog),
            "PLATECUT_CACHE_DIR": f"{self.scratch.name}/cache",
            "PLATECUT_STACKS_RESULTS_DIR": f"{self.scratch.name}/results",
            "PLATECUT_STACKS_LOCAL_WORKERS": str(workers),
            "PLATECUT_STACKS_SCHEDULER": "",
            "PLATECUT_VO_MAX_MAXREC": "100000",
            "PLATECUT_SERVER_TIMEOUT": "600",
        }
        self.gunicorn = Gunicorn(env, workers=2, log=Path(self.scratch.name) / "gunicorn.log")
        self.url = self.gunicorn.url

    def close(self) -> None:
        self.gunicorn.stop()
        self.scratch.cleanup()


def sequential(url: str, session: requests.Session) -> dict:
    """SIA 2.0, then one /soda/sync per exposure on the stack's grid, in date order."""
    start = time.perf_counter()
    query = {"POS": f"CIRCLE {FIELD[0]} {FIELD[1]} 1e-7", "MAXREC": 100000}
    table = parse_single_table(
        io.BytesIO(session.get(f"{url}/sia/v2/query", params=query, timeout=600).content)
    ).to_table()
    table.sort(["t_min", "obs_id"])
    side = round(2 * RADIUS * 3600 / 1.44)
    first = None
    nbytes = 0
    for did in table["obs_publisher_did"]:
        params = {"ID": str(did), "POS": POS, "WIDTH": side, "HEIGHT": side}
        r = session.get(f"{url}/soda/sync", params=params, timeout=600)
        assert r.status_code in (200, 204), r.text[:300]
        nbytes += len(r.content)
        first = first or time.perf_counter() - start
    return {"total": time.perf_counter() - start, "first": first, "frames": len(table),
            "bytes": nbytes}  # fmt: skip


def stack(url: str, session: requests.Session) -> dict:
    """One SODA async stack, polled every 100 ms, then its stack.fits."""
    start = time.perf_counter()
    r = session.post(f"{url}/soda/async", data={"POS": POS, "PHASE": "RUN"}, timeout=600)
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


def main() -> None:
    """Print the benchmark's tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plates", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    args = parser.parse_args()
    exit_on_sigterm()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")  # the origin ignores signatures
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    start = time.perf_counter()
    root = archive(f"archive-{args.plates}-field", plates=args.plates, seed=11, fields=(FIELD,))
    made = time.perf_counter() - start
    origin = RangeFileServer(BENCH_DIR, latency_s=args.latency_ms / 1000, bucket=BUCKET)
    cores = os.cpu_count() or 1
    runs: dict[str, list[dict]] = {}
    try:
        catalog = kept_catalog(root, origin, BENCH_DIR / f"stack-{args.plates}.sqlite")
        for _ in range(args.repeat):
            for label, how in (("sequential SODA loop", sequential), ("stack", stack)):
                server = Server(root, origin, catalog, cores)
                try:
                    with requests.Session() as session:
                        runs.setdefault(f"{label}, cold", []).append(how(server.url, session))
                        runs.setdefault(f"{label}, warm", []).append(how(server.url, session))
                finally:
                    server.close()
            for workers in sorted({1, 2, cores}):
                server = Server(root, origin, catalog, workers)
                try:
                    with requests.Session() as session:
                        runs.setdefault(f"workers {workers}", []).append(stack(server.url, session))
                finally:
                    server.close()
    finally:
        origin.stop()
    frames = runs["stack, cold"][0]["frames"]
    print(f"### Stacks: {frames} exposures of ({FIELD[0]}, {FIELD[1]}) from {args.plates} plates, "
          f"{2 * RADIUS * 60:.0f}' grid, origin latency {args.latency_ms:.0f} ms, {cores} cores, "
          f"medians of {args.repeat}\n")  # fmt: skip
    print(f"(archive generated in {made:.0f} s, or found under var/bench)\n")
    print("| run | total | first frame | per exposure | MB to the client |")
    print("|---|---|---|---|---|")
    totals = {}
    for label, values in runs.items():
        if label.startswith("workers"):
            continue
        total = median([v["total"] for v in values])
        totals[label] = total
        first = median([v["first"] for v in values])
        per = total / max(1, values[0]["frames"]) * 1000
        mb = median([v["bytes"] for v in values]) / 1e6
        print(f"| {label} | {total:.2f} s | {first:.2f} s | {per:.0f} ms | {mb:.1f} |")
    print("\n| Dask workers | cold stack | cutouts/s | speed-up |")
    print("|---|---|---|---|")
    base = None
    for label, values in runs.items():
        if label.startswith("workers"):
            total = median([v["total"] for v in values])
            rate = values[0]["frames"] / total
            base = base or rate
            print(f"| {label.split()[1]} | {total:.2f} s | {rate:.1f} | {rate / base:.2f}x |")
    print("\n| ratio | value | target |")
    print("|---|---|---|")
    cold = totals["stack, cold"] / totals["sequential SODA loop, cold"]
    warm = totals["stack, warm"] / totals["sequential SODA loop, warm"]
    print(f"| stack cold / sequential loop cold | {cold:.2f} | <= 0.5 |")
    print(f"| stack warm / sequential loop warm | {warm:.2f} | |\n")


if __name__ == "__main__":
    main()
