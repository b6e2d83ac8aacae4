"""Load: 8 clients at once for ``--minutes`` on gunicorn (2 web workers, the production
configuration) serving the default demo archive from an S3-shaped origin (30 ms a
request), a realistic mix (60 % SIA 2.0 cones, 30 % SODA cutouts, 10 % DataLink of 1-5
IDs); then the same with 10 % of store requests failing (503, throttling, resets,
bodies cut short, stalls past the read timeout) through a fault-injecting proxy.

Prints Markdown: requests/s, p50/p95/p99 per kind, answers by status (a fault the
retries could not hide is a 503 with Retry-After, never a 500 or a dropped
connection), and the web workers' RSS sampled every 5 s. Run: ``make bench`` or
``.venv/bin/python -m bench.load [--minutes 10]``.
"""

from __future__ import annotations

import argparse
import collections
import io
import os
import random
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests
from astropy.io.votable import parse_single_table

from bench.cutout import BENCH_DIR, BUCKET, archive, catalog_for, exit_on_sigterm
from tests.servers import FaultProxy, Gunicorn, RangeFileServer

FIELDS = ((0.2, 12.0), (150.0, 30.0), (270.0, -30.0))
FAULTS = ("503", "throttle", "reset", "truncate", "short", "stall")


def exposures(url: str) -> list[tuple[str, float, float]]:
    """(publisher DID, ra, dec) of every exposure solution, from SIA 2.0."""
    out = []
    for ra, dec in FIELDS:
        r = requests.get(f"{url}/sia/v2/query", params={"POS": f"CIRCLE {ra} {dec} 5",
                         "MAXREC": 10000}, timeout=60)  # fmt: skip
        table = parse_single_table(io.BytesIO(r.content)).to_table()
        out += [(str(t["obs_publisher_did"]), float(t["s_ra"]), float(t["s_dec"])) for t in table]
    return sorted(set(out))


def client(url: str, rows: list, stop: float, seed: int, log: list, lock: threading.Lock) -> None:
    rng = random.Random(seed)
    session = requests.Session()
    while time.monotonic() < stop:
        draw = rng.random()
        did, ra, dec = rng.choice(rows)
        if draw < 0.6:
            kind, path = "SIA 2.0", "/sia/v2/query"
            at = f"{(ra + rng.uniform(-0.3, 0.3)) % 360} {dec + rng.uniform(-0.3, 0.3)}"
            params = {"POS": f"CIRCLE {at} {rng.choice([0.01, 0.1, 0.5])}"}
        elif draw < 0.9:
            kind, path = "SODA", "/soda/sync"
            centre = f"{(ra + rng.uniform(-0.05, 0.05)) % 360} {dec + rng.uniform(-0.05, 0.05)}"
            params = {"ID": did, "CIRCLE": f"{centre} {rng.choice([0.02, 0.05, 0.1])}"}
        else:
            kind, path = "DataLink", "/datalink/links"
            params = {"ID": [rng.choice(rows)[0] for _ in range(rng.randint(1, 5))]}
        start = time.monotonic()
        try:
            r = session.get(url + path, params=params, timeout=120)
            status = r.status_code
            if status == 503:
                assert r.headers.get("Retry-After"), "a 503 without Retry-After"
        except requests.RequestException:
            status = -1  # dropped connection
        with lock:
            log.append((kind, start, time.monotonic() - start, status))


def rss_mb(pids: list[int]) -> list[float]:
    out = []
    for pid in pids:
        try:
            text = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        out += [int(ln.split()[1]) / 1024 for ln in text.splitlines() if ln.startswith("VmRSS:")]
    return out


def run(
    label: str,
    url: str,
    gunicorn: Gunicorn,
    rows: list,
    args: argparse.Namespace,
    proxy: FaultProxy,
) -> None:
    log: list = []
    lock = threading.Lock()
    stop = time.monotonic() + args.minutes * 60
    threads = [threading.Thread(target=client, args=(url, rows, stop, i, log, lock))
               for i in range(args.clients)]  # fmt: skip
    samples = []
    seen_before = len(proxy.seen)
    begin = time.monotonic()
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        samples.append((time.monotonic() - begin, rss_mb(gunicorn.worker_pids())))
        time.sleep(5)
    elapsed = time.monotonic() - begin
    print(f"#### {label}: {args.clients} clients, {args.minutes:g} min\n")
    store = proxy.seen[seen_before:]
    faults = sum(fault != "ok" for _, fault in store)
    print(
        f"{len(log)} requests, {len(log) / elapsed:.1f} requests/s; the store got "
        f"{len(store)} requests ({len(store) / elapsed:.1f}/s), {faults} of them faulty\n"
    )
    print("| kind | requests/s | p50 | p95 | p99 | answers |")
    print("|---|---|---|---|---|---|")
    for kind in ("SIA 2.0", "SODA", "DataLink"):
        times = [d for k, _, d, _ in log if k == kind]
        statuses = collections.Counter(s for k, _, _, s in log if k == kind)
        p50, p95, p99 = (float(np.percentile(times, q)) * 1000 for q in (50, 95, 99))
        shown = ", ".join(
            f"{'dropped' if s == -1 else s}: {n}" for s, n in sorted(statuses.items())
        )
        print(f"| {kind} | {len(times) / elapsed:.1f} | {p50:.0f} ms | {p95:.0f} ms | "
              f"{p99:.0f} ms | {shown} |")  # fmt: skip
    print("\nWeb workers' RSS (MB) over time:\n")
    print("| t (s) | " + " | ".join(f"worker {i + 1}" for i in range(2)) + " |")
    print("|---|---|---|")
    step = max(1, len(samples) // 10)
    for t, values in samples[::step] + [samples[-1]]:
        shown = [f"{v:.0f}" for v in values] + ["-"] * (2 - len(values))  # not yet forked
        print(f"| {t:.0f} | " + " | ".join(shown) + " |")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--fault-rate", type=float, default=0.10)
    parser.add_argument("--cache-mb", type=float, default=16.0)
    args = parser.parse_args()
    exit_on_sigterm()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    root = archive("archive-demo-12", plates=12, seed=1)
    origin = RangeFileServer(BENCH_DIR, latency_s=args.latency_ms / 1000, bucket=BUCKET)
    proxy = FaultProxy(origin.url, stall_s=3.0)
    plates = len(list(root.glob("plates/*/*.json")))
    print(f"### Load: the default demo archive ({plates} plates), origin latency "
          f"{args.latency_ms:.0f} ms, gunicorn 2 workers, {os.cpu_count()} cores, a "
          f"{args.cache_mb:g} MB replica\n")  # fmt: skip
    try:
        with tempfile.TemporaryDirectory(prefix="platecut-load-") as work:
            catalog = Path(work) / "catalog.sqlite"
            catalog_for(root, origin, catalog).close()
            faulty = (f"{args.fault_rate:.0%} store faults", (args.fault_rate, FAULTS, 7))
            for label, chaos in (("no faults", None), faulty):
                proxy.chaos = chaos
                server = Gunicorn({
                    "PLATECUT_CONFIG": "", "PLATECUT_ARCHIVE_ROOT": f"s3://{BUCKET}/{root.name}",
                    "PLATECUT_STORAGE_S3_ENDPOINT_URL": proxy.url,
                    "PLATECUT_STORAGE_READ_TIMEOUT_S": "2.0",
                    "PLATECUT_CATALOG_SQLITE_PATH": str(catalog),
                    "PLATECUT_CACHE_DIR": f"{work}/cache-{len(label)}",
                    "PLATECUT_CACHE_BUDGET_BYTES": str(int(args.cache_mb * 2**20)),
                    "PLATECUT_STACKS_SCHEDULER": "tcp://127.0.0.1:9",  # no jobs in this mix
                }, log=Path(work) / f"gunicorn-{len(label)}.log")  # fmt: skip
                try:
                    rows = exposures(server.url)
                    run(label, server.url, server, rows, args, proxy)
                finally:
                    server.stop()
    finally:
        proxy.stop()
        origin.stop()


if __name__ == "__main__":
    main()
