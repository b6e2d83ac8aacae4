"""DASCH's API as daschlab calls it: queryexps at DASCH scale, and one daschlab cutout
end to end against our SODA call for the same pixels.

1. ``queryexps`` over HTTP (gunicorn, 2 workers) on the catalog benchmark's archive
   (``bench.catalog``: 430,000 plates, ~624,000 exposure solutions; built on first use,
   ~15 min, and kept at ``--db``), at ``--queries`` random positions: median and p90
   latency and rows per answer, beside SIA 2.0 for the same point (MAXREC large enough
   for every row), measured in the same run.
2. On the DR7-shaped test archive (mosaics in a bucket, DASCH's plates table, on a moto
   server of its own): for each solved exposure at one position, the real daschlab
   1.1.0 ``sess.cutout()`` (its HTTP call, base64, gunzip, its FITS rewrite) against
   ``GET /soda/sync`` on the same 835 x 835 grid. Each client has its own gunicorn with
   its own empty cache, so both are cold on each mosaic's first cutout; then the same
   calls again, warm.

Run: ``.venv/bin/python -m bench.dasch_api [--db var/bench/catalog-430k.sqlite]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import requests

from bench.catalog import build
from bench.cutout import exit_on_sigterm
from service.catalog.sqlite import SqliteCatalog
from tests.servers import Gunicorn, MotoServer

BENCH_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"


def p90(values: list[float]) -> float:
    return float(np.percentile(values, 90))


def queryexps_at_scale(db: Path, queries: int, scratch: Path) -> None:
    """Part 1: latency of queryexps and SIA 2.0 on the 430,000-plate catalog."""
    if not db.exists():
        db.parent.mkdir(parents=True, exist_ok=True)
        catalog = SqliteCatalog(db)
        catalog.create()
        build(catalog, 430_000, db)
        catalog.close()
    server = Gunicorn(
        {
            "PLATECUT_CONFIG": "",
            "PLATECUT_CATALOG_SQLITE_PATH": str(db),
            "PLATECUT_CACHE_DIR": str(scratch / "cache-catalog"),
            "PLATECUT_STACKS_SCHEDULER": "tcp://127.0.0.1:9",
            "PLATECUT_VO_MAX_MAXREC": "100000",
        },
        workers=2,
        log=scratch / "gunicorn-catalog.log",
    )
    rng = np.random.default_rng(7)
    times, sia, rows = [], [], []
    try:
        with requests.Session() as http:
            for _ in range(queries):
                ra = float(rng.uniform(0, 360))
                dec = math.degrees(math.asin(rng.uniform(-1, 1)))
                start = time.perf_counter()
                answer = http.post(
                    f"{server.url}/dasch/dr7/queryexps",
                    json={"ra_deg": ra, "dec_deg": dec},
                    timeout=120,
                )
                times.append(time.perf_counter() - start)
                answer.raise_for_status()
                rows.append(len(answer.json()) - 1)
                start = time.perf_counter()
                found = http.get(
                    f"{server.url}/sia/v2/query",
                    params={"POS": f"CIRCLE {ra} {dec} 1e-7", "MAXREC": 100000},
                    timeout=120,
                )
                sia.append(time.perf_counter() - start)
                found.raise_for_status()
    finally:
        server.stop()
    print(f"## queryexps at 430,000 plates ({db.name}, {queries} random positions)\n")
    print("| call | median | p90 | rows median (max) |")
    print("|---|---|---|---|")
    print(
        f"| POST /dasch/dr7/queryexps | {statistics.median(times) * 1000:.0f} ms | "
        f"{p90(times) * 1000:.0f} ms | {statistics.median(rows):.0f} ({max(rows)}) |"
    )
    print(
        f"| GET /sia/v2/query (same point, VOTable) | {statistics.median(sia) * 1000:.0f} ms"
        f" | {p90(sia) * 1000:.0f} ms | same |"
    )
    ratio = [a / b for a, b in zip(times, sia, strict=True)]
    print(f"\nqueryexps / SIA 2.0, median of per-position ratios: {statistics.median(ratio):.2f}\n")


DASCHLAB = """
import json, sys, time, warnings
warnings.simplefilter("ignore")
import daschlab
job = json.loads(sys.argv[1])
sess = daschlab.open_session(job["root"], interactive=False)
sess.select_target(ra_deg=job["ra"], dec_deg=job["dec"])
exposures = sess.exposures()
ids = [row.exp_id() for row in exposures]
out = {}
for rnd in ("cold", "warm"):
    for local_id in job["ids"]:
        if rnd == "warm":  # daschlab keeps what it wrote: make it ask again
            for path in sess.path("cutouts").glob("*"):
                path.unlink()
        start = time.perf_counter()
        assert sess.cutout(local_id) is not None
        out.setdefault(rnd, {})[ids[local_id]] = time.perf_counter() - start
print(json.dumps(out))
"""


def daschlab_against_soda(scratch: Path) -> None:
    """Part 2: a daschlab cutout end to end and our SODA call, cold and warm."""
    from tests.dr7 import make_dr7

    moto = MotoServer()
    servers: list[Gunicorn] = []
    try:
        dr7 = make_dr7(moto.url, scratch / "dr7")
        s = dr7.settings

        def serve(name: str) -> Gunicorn:
            env = {
                "PLATECUT_CONFIG": "",
                "PLATECUT_ARCHIVE_ROOT": s.archive.root,
                "PLATECUT_ARCHIVE_LAYOUT": s.archive.layout,
                "PLATECUT_STORAGE_S3_ENDPOINT_URL": s.storage.s3_endpoint_url,
                "PLATECUT_CATALOG_DYNAMODB_ENDPOINT_URL": s.catalog.dynamodb_endpoint_url,
                "PLATECUT_CATALOG_SQLITE_PATH": str(s.catalog.sqlite_file()),
                "PLATECUT_CACHE_DIR": str(scratch / f"cache-{name}"),
                "PLATECUT_STACKS_SCHEDULER": "tcp://127.0.0.1:9",
            }
            servers.append(Gunicorn(env, workers=2, log=scratch / f"gunicorn-{name}.log"))
            return servers[-1]

        for_daschlab, for_soda = serve("daschlab"), serve("soda")
        plan = next(p for p in dr7.plans if p.n_solutions >= 2)
        ra, dec = plan.plan.exposures[1].solution.crval
        lines = requests.post(
            f"{for_daschlab.url}/dasch/dr7/queryexps",
            json={"ra_deg": ra, "dec_deg": dec},
            timeout=60,
        ).json()
        header = lines[0].split(",")
        solved = []
        for i, line in enumerate(lines[1:]):
            cells = dict(zip(header, line.split(","), strict=True))
            if cells["solnum"] not in ("", "-1"):
                solved.append((i, cells))
        job = {"root": str(scratch / "session"), "ra": ra, "dec": dec}
        job["ids"] = [i for i, _ in solved]
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(DASCHLAB), json.dumps(job)],
            capture_output=True, text=True, timeout=1200, cwd=scratch,
            env={"DASCHLAB_API_BASE_URL": for_daschlab.url, "PATH": "/usr/bin:/bin",
                 "HOME": str(scratch)},
        )  # fmt: skip
        if done.returncode:
            raise RuntimeError(done.stderr[-3000:])
        ours = json.loads(done.stdout.strip().splitlines()[-1])
        soda: dict[str, dict[str, float]] = {}
        with requests.Session() as http:
            for rnd in ("cold", "warm"):
                for _, cells in solved:
                    plate = f"{cells['series']}{int(cells['platenum']):05d}"
                    obs_id = f"{plate}m{cells['mosnum']}s{cells['solnum']}"
                    start = time.perf_counter()
                    r = http.get(
                        f"{for_soda.url}/soda/sync",
                        params={"ID": obs_id, "CIRCLE": f"{ra} {dec} 0.1", "WIDTH": 835,
                                "SCALE": 1.44},
                        timeout=120,
                    )  # fmt: skip
                    r.content  # noqa: B018 (read it all)
                    soda.setdefault(rnd, {})[obs_id] = time.perf_counter() - start
                    r.raise_for_status()
    finally:
        for server in servers:
            server.stop()
        moto.stop()
    print(f"## daschlab 1.1.0 sess.cutout() vs GET /soda/sync ({len(solved)} exposures)\n")
    print("| | daschlab median | SODA median | daschlab / SODA |")
    print("|---|---|---|---|")
    for rnd in ("cold", "warm"):
        a, b = statistics.median(ours[rnd].values()), statistics.median(soda[rnd].values())
        print(f"| {rnd} | {a * 1000:.0f} ms | {b * 1000:.0f} ms | {a / b:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=BENCH_DIR / "catalog-430k.sqlite")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--skip-scale", action="store_true", help="part 2 only")
    args = parser.parse_args()
    exit_on_sigterm()
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):  # moto accepts any
        os.environ.setdefault(name, "bench")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_scale:
            queryexps_at_scale(args.db, args.queries, Path(tmp))
        daschlab_against_soda(Path(tmp))


if __name__ == "__main__":
    main()
