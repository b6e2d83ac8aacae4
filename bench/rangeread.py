"""Ranged reads of a 20,000 x 20,000 px Rice row-tiled int16 plate in S3 (moto), vs peers.

For a 512 x 512 and a 2,000 x 2,000 px box at the plate centre, prints GETs, bytes,
sequential round-trip phases and wall time for:

* Platecut, cold (empty replica) and warm (same box again);
* astropy ``fits.open(url, use_fsspec=True)`` + ``.section``, default block size and 1 MiB;
* cfitsio with one GET per read: fitsio on a local copy, its read calls counted
  with strace (each would be one ranged GET through a naive remote driver);
* downloading the whole object.

A local emulator's per-request cost is not S3's, so it also prints a modelled
latency: phases x RTT + bytes / bandwidth (Platecut fetches a phase's ranges
concurrently; the peers read sequentially, so for them phases = GETs).

Run: ``make bench`` or ``.venv/bin/python -m bench.rangeread [--rtt-ms 30 --mbps 100]``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
from astropy.io import fits

from service.demo.generate import generate_archive
from service.rangeread.reader import MosaicReader, ReadOptions
from service.rangeread.replica import Replica
from service.storage.base import FetchStats, RetryPolicy
from service.storage.s3 import S3Store
from tests.servers import FaultProxy, MotoServer

BENCH_DIR = Path(__file__).resolve().parent.parent / "var" / "bench"
BUCKET = "platecut-bench"


def plate(size: int) -> Path:
    """The benchmark plate (generated once, kept under var/bench)."""
    root = BENCH_DIR / f"archive-{size}"
    if not (root / "archive.json").exists():
        generate_archive(root, plates=1, size=size, series=["a"], seed=3)
    return next(root.glob("mosaics/a/*.fits.fz"))


class Row:
    """One line of the results table."""

    def __init__(self, label: str, gets: int, nbytes: int, phases: int, wall: float) -> None:
        self.label, self.gets, self.nbytes, self.phases, self.wall = (
            label,
            gets,
            nbytes,
            phases,
            wall,
        )

    def model(self, rtt: float, bandwidth: float) -> float:
        return self.phases * rtt + self.nbytes / bandwidth


def strace_reads(path: Path, box: tuple[int, int, int, int]) -> tuple[int, int]:
    """Count cfitsio's read calls (and bytes) on the file while fitsio reads a box."""
    x0, x1, y0, y1 = box
    code = f"import fitsio; f = fitsio.FITS({str(path)!r}); d = f[1][{y0}:{y1}, {x0}:{x1}]"
    with tempfile.NamedTemporaryFile(suffix=".strace") as log:
        subprocess.run(
            [
                "strace",
                "-f",
                "-e",
                "trace=openat,read,pread64",
                "-o",
                log.name,
                sys.executable,
                "-c",
                code,
            ],
            check=True,
            capture_output=True,
        )
        text = Path(log.name).read_text()
    fds = set(re.findall(rf'openat\(.*"{re.escape(str(path))}".*\) = (\d+)', text))
    reads = []
    for match in re.finditer(r"(?:read|pread64)\((\d+), .*\) = (\d+)$", text, re.MULTILINE):
        if match[1] in fds:
            reads.append(int(match[2]))
    return len(reads), sum(reads)


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--rtt-ms", type=float, default=30.0)
    parser.add_argument("--mbps", type=float, default=100.0, help="bandwidth, MB/s")
    args = parser.parse_args()
    rtt, bandwidth = args.rtt_ms / 1000, args.mbps * 1e6
    path = plate(args.size)
    size = path.stat().st_size
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    moto = MotoServer()
    proxy = FaultProxy(moto.url)
    try:
        client = boto3.client("s3", endpoint_url=proxy.url, region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.upload_file(str(path), BUCKET, "plate.fits.fz")
        url = client.generate_presigned_url(
            "get_object", Params={"Bucket": BUCKET, "Key": "plate.fits.fz"}, ExpiresIn=3600
        )
        print(
            f"plate: {path.name}, {args.size} x {args.size} px, {size / 1e6:.1f} MB; "
            f"model: RTT {args.rtt_ms:.0f} ms, {args.mbps:.0f} MB/s\n"
        )
        policy = RetryPolicy(3, 0.05, 0.5, 5.0, 60.0)
        for side in (512, 2000):
            c = args.size // 2
            box = (c - side // 2, c + side // 2, c - side // 2, c + side // 2)
            x0, x1, y0, y1 = box
            rows: list[Row] = []
            with tempfile.TemporaryDirectory() as cache:
                store = S3Store(BUCKET, "", policy, endpoint_url=proxy.url)
                with MosaicReader(store, Replica(Path(cache), 1 << 34), ReadOptions()) as reader:
                    for label in ("Platecut, cold", "Platecut, warm"):
                        stats = FetchStats()
                        start = time.perf_counter()
                        result = reader.read_box("plate.fits.fz", box, stats=stats)
                        rows.append(
                            Row(
                                label,
                                stats.gets,
                                stats.bytes_fetched,
                                stats.phases,
                                time.perf_counter() - start,
                            )
                        )
                minimum = result.minimum_bytes
            for label, kwargs in (
                ("astropy + fsspec, default blocks", {}),
                ("astropy + fsspec, 1 MiB blocks", {"fsspec_kwargs": {"block_size": 1 << 20}}),
            ):
                before, seen = proxy.bytes_out, len(proxy.seen)
                start = time.perf_counter()
                with fits.open(url, use_fsspec=True, **kwargs) as hdul:
                    hdul[1].section[y0:y1, x0:x1]
                gets = sum(1 for m, _ in proxy.seen[seen:] if m == "GET")
                rows.append(
                    Row(label, gets, proxy.bytes_out - before, gets, time.perf_counter() - start)
                )
            start = time.perf_counter()
            reads, nbytes = strace_reads(path, box)
            rows.append(
                Row("cfitsio, one GET per read", reads, nbytes, reads, time.perf_counter() - start)
            )
            before = proxy.bytes_out
            start = time.perf_counter()
            client.get_object(Bucket=BUCKET, Key="plate.fits.fz")["Body"].read()
            rows.append(
                Row("whole object", 1, proxy.bytes_out - before, 1, time.perf_counter() - start)
            )
            print(
                f"### {side} x {side} px box (minimum {minimum / 1e6:.3f} MB: header + "
                "descriptors + tiles)\n"
            )
            print("| reader | GETs | MB fetched | x minimum | phases | wall (moto) | modelled |")
            print("|---|---|---|---|---|---|---|")
            for row in rows:
                print(
                    f"| {row.label} | {row.gets} | {row.nbytes / 1e6:.3f} | "
                    f"{row.nbytes / minimum:.3f} | {row.phases} | {row.wall:.3f} s | "
                    f"{row.model(rtt, bandwidth):.3f} s |"
                )
            print()
        client.close()
    finally:
        proxy.stop()
        moto.stop()


if __name__ == "__main__":
    main()
