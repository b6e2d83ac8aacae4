"""Memory of one cutout, measured in a process of its own: the peak stays within three
times the decoded source box plus 150 MB, and the process returns to its baseline."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

SCRIPT = """
import gc, json, sys
from service.settings import load_settings
from service.wiring import Services
from service.cutout.service import CutoutSpec

def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024

archive, catalog, cache, interpolation = sys.argv[1:5]
settings = load_settings(env={}, overrides={
    "archive": {"root": archive}, "catalog": {"sqlite_path": catalog}, "cache": {"dir": cache}})
services = Services(settings)
cutouts = services.cutouts
source = cutouts.resolve("a03393m0s0")
e = source.exposure
cutouts.cutout("a03393m0s0", CutoutSpec((e.ra, e.dec, 0.01), 1.44))  # imports, pools
gc.collect()
base = status("VmRSS")
open("/proc/self/clear_refs", "w").write("5")  # restart the peak count
spec = CutoutSpec((e.ra, e.dec, 0.3), 0.6, width=2900, height=2700, interpolation=interpolation)
result = cutouts.cut(source, cutouts.request_for(e, spec))
body = result.to_fits()
peak = status("VmHWM")
x0, x1, y0, y1 = result.box
box_bytes = (x1 - x0) * (y1 - y0) * 2
del result, body
gc.collect()
print(json.dumps({"base": base, "peak": peak, "after": status("VmRSS"), "box": box_bytes}))
"""


@pytest.mark.parametrize("interpolation", ["bilinear", "bicubic"])
def test_peak_memory_of_a_large_cutout(demo_archive, demo_catalog, tmp_path, interpolation):
    run = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(demo_archive), str(demo_catalog.path),
         str(tmp_path / "cache"), interpolation],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    figures = json.loads(run.stdout.strip().splitlines()[-1])
    assert figures["box"] > 10_000_000  # nearly the whole 2,934 x 2,708 plate
    assert figures["peak"] - figures["base"] <= 3 * figures["box"] + 150 * 2**20, figures
    assert figures["after"] - figures["base"] <= 32 * 2**20, figures
