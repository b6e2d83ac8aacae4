"""The largest request of each kind the limits allow, each on a fresh one-worker
gunicorn: its peak RSS (VmHWM) above the idle worker's stays under the bound the
README documents, and the answer is complete."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
import requests

from tests.servers import Gunicorn

POLYGON = " ".join(f"{0.2 + 0.05 * math.cos(2 * math.pi * k / 1000)} "
                   f"{12 + 0.05 * math.sin(2 * math.pi * k / 1000)}" for k in range(1000))  # fmt: skip
#: kind -> (method, path, parameters, bound on the peak RSS above idle, MB)
LARGEST = {
    "SODA FITS 4000 x 4000 bicubic": ("GET", "/soda/sync", {"ID": "a03393m0s1", "POS": "CIRCLE 0.2 12 0.5",
        "WIDTH": 4000, "HEIGHT": 4000, "SCALE": 0.5, "INTERPOLATION": "bicubic"}, 900),
    "SODA PNG 4000 x 4000": ("GET", "/soda/sync", {"ID": "a03393m0s1", "POS": "CIRCLE 0.2 12 0.5",
        "WIDTH": 4000, "HEIGHT": 4000, "SCALE": 0.5, "RESPONSEFORMAT": "png"}, 900),
    "SODA native, whole plate": ("GET", "/soda/sync", {"ID": "a03393m0s1", "POS": "CIRCLE 0.2 12 0.75",
        "NATIVE": "true"}, 600),
    "SIA 2.0, every row, MAXREC at its limit": ("GET", "/sia/v2/query",
        {"POS": "CIRCLE 0 0 180", "MAXREC": 100000}, 150),
    "SIA 2.0, 1000-vertex polygon": ("POST", "/sia/v2/query", {"POS": f"POLYGON {POLYGON}"}, 150),
    "DataLink, 100 IDs": ("POST", "/datalink/links", {"ID": [f"{p}m0s{s}" for p in
        ("a03393", "a04877", "mc12668", "ac04210") for s in (0, 1, 2)] * 9}, 150),
    "stack, every exposure, 0.1 deg": ("GET", "/soda/stack", {"POS": "CIRCLE 0.2 12 0.1"}, 600),
}  # fmt: skip


def peak_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of a process, MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(LARGEST))
def test_largest_request_stays_under_its_memory_bound(kind, vo_settings, tmp_path):
    method, path, params, bound = LARGEST[kind]
    server = Gunicorn({"PLATECUT_CONFIG": "", "PLATECUT_ARCHIVE_ROOT": vo_settings.archive.root,
                       "PLATECUT_CATALOG_SQLITE_PATH": str(vo_settings.catalog.sqlite_file()),
                       "PLATECUT_CACHE_DIR": str(tmp_path / "cache"),
                       "PLATECUT_STACKS_SCHEDULER": "tcp://127.0.0.1:9"},
                      workers=1, log=tmp_path / "log")  # fmt: skip
    try:
        requests.get(f"{server.url}/sia/v2/query", params={"POS": "CIRCLE 0.2 12 0.1"}, timeout=60)
        (pid,) = server.worker_pids()
        idle, _ = peak_mb(pid)
        send = requests.get if method == "GET" else requests.post
        start = time.monotonic()
        r = send(f"{server.url}{path}", **({"params": params} if method == "GET" else {"data": params}),
                 timeout=300)  # fmt: skip
        elapsed = time.monotonic() - start
        assert r.status_code == 200, r.text[:300]
        assert int(r.headers["Content-Length"]) == len(r.content)
        _, peak = peak_mb(pid)
        print(
            f"{kind}: {len(r.content) / 1e6:.1f} MB in {elapsed:.1f} s, peak RSS {peak - idle:.0f} MB above idle ({idle:.0f} MB)"
        )
        assert peak - idle < bound, f"{kind}: {peak - idle:.0f} MB above idle"
    finally:
        server.stop()
