"""Hostile input, generated (hypothesis): random and hostile values for every parameter
of every endpoint (names from the protocols' own tables, and stray ones), by GET and
POST, against gunicorn with 2 workers. Every answer: no 5xx, no dropped connection,
every XML body parses (lxml), within the time bound, and the workers' memory bounded
afterwards."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from service.settings import load_settings
from service.vo.capabilities import tables

ANSWER_BOUND_S = 10.0  # a fuzzed request is answered within this (see README: limits)
RSS_BOUND_MB = 1200  # a web worker after the run (see README: limits)
#: requests per run (``PLATECUT_FUZZ_EXAMPLES=16000`` for a long one)
EXAMPLES = int(os.environ.get("PLATECUT_FUZZ_EXAMPLES", "600"))

TABLES = tables(load_settings(env={}))
ENDPOINTS = {
    "/sia/v2/query": [p.name for p in TABLES["sia2"].params],
    "/sia/v1/query": [p.name for p in TABLES["sia1"].params],
    "/soda/sync": [p.name for p in TABLES["soda-sync"].params],
    "/soda/stack": [p.name for p in TABLES["soda-async"].params],
    "/soda/async": [p.name for p in TABLES["soda-async"].params]
    + ["PHASE", "RUNID", "AFTER", "LAST"],
    "/datalink/links": [p.name for p in TABLES["datalink"].params],
    "/registry/oai": [
        "verb",
        "identifier",
        "metadataPrefix",
        "from",
        "until",
        "set",
        "resumptionToken",
    ],
    "/": ["pos", "radius", "from", "to"],
    "/capabilities": [],
    "/availability": [],
    "/registry/record": [],
}
PATHS = [
    "/files/mosaics/a/a03393_00.fits.fz",
    "/files/mosaics/a/",
    "/files/headers/",
    "/files/../../etc/passwd",
    "/files/mosaics/%2e%2e/%2e%2e/etc/passwd",
    "/soda/async/0123456789abcdef0123/results/stack.fits",
    "/soda/async/%00/phase",
    "/sia/v2/nothing",
]
GOOD = ["a03393m0s1", "ivo://platecut.example/plates?a03393m0s1", "0.2 12 0.01", "CIRCLE 0.2 12 0.01",
        "RANGE 0 1 11 13", "POLYGON 0 11 1 11 1 13", "fits", "png", "RUN", "ABORT", "1925-01-01",
        "ListRecords", "ivo_vor", "oai_dc", "Identify", "GetRecord"]  # fmt: skip
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["1e-310", "1e308", "-0", "NaN", "+Inf", "-Inf", "0x10", "1_000", "١٢"]),
)
TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
HOSTILE = st.sampled_from(
    [
        "\x00",
        "\x01\x02",
        "<script>",
        "]]>",
        "&amp;",
        "'\"",
        "../../etc/passwd",
        "%00",
        "\ufffe",
        "\U0001f600",
        " " * 5,
        "CIRCLE",
        "POLYGON",
        "CIRCLE 1 2",
        "CIRCLE NaN 0 1",
        "RANGE -Inf +Inf -Inf +Inf",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        "a" * 1500,
    ]  # fmt: skip
)


def shape(name: str) -> st.SearchStrategy[str]:
    """Values shaped like a parameter (numbers, shapes, lists of numbers) or not."""
    numbers = st.lists(NUMBERS, min_size=1, max_size=12).map(" ".join)
    many = st.integers(3, 3000).map(
        lambda n: " ".join(f"{i % 360} {i % 90 - 45}" for i in range(n))
    )
    shapes = st.tuples(
        st.sampled_from(["CIRCLE", "RANGE", "POLYGON", "circle", "BOX"]), numbers
    ).map(" ".join)
    return st.one_of(
        NUMBERS,
        numbers,
        shapes,
        TEXT,
        HOSTILE,
        st.sampled_from(GOOD),
        many if name in ("POLYGON", "POS") else NUMBERS,
    )


@st.composite
def a_request(draw: st.DrawFn) -> tuple[str, str, list[tuple[str, str]]]:
    if draw(st.integers(0, 9)) == 0:
        return "GET", draw(st.sampled_from(PATHS)), []
    path = draw(st.sampled_from(sorted(ENDPOINTS)))
    names = ENDPOINTS[path] or ["x"]
    pairs = []
    for _ in range(draw(st.integers(0, 6))):
        name = draw(st.one_of(st.sampled_from(names), st.sampled_from(names).map(str.lower), TEXT))
        pairs.append((name, draw(shape(name.upper()))))
    return draw(st.sampled_from(["GET", "POST"])), path, pairs


def worker_rss_mb(pids: list[int]) -> list[float]:
    out = []
    for pid in pids:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                out.append(int(line.split()[1]) / 1024)
    return out


def check(base: str, method: str, path: str, pairs: list[tuple[str, str]]) -> None:
    start = time.monotonic()
    if method == "GET":
        r = requests.get(base + path, params=pairs, timeout=60, allow_redirects=False)
    else:
        r = requests.post(base + path, data=pairs, timeout=60, allow_redirects=False)
    elapsed = time.monotonic() - start
    where = f"{method} {path} {pairs!r:.300}"
    assert r.status_code < 500, f"{where}: {r.status_code} {r.text[:300]}"
    assert elapsed < ANSWER_BOUND_S, f"{where}: {elapsed:.1f} s"
    assert "Traceback" not in r.text[:5000], where
    kind = r.headers.get("Content-Type", "")
    if "xml" in kind:
        etree.fromstring(r.content)  # raises on a malformed document
    length = r.headers.get("Content-Length")
    if length is not None:
        assert int(length) == len(r.content), where


@pytest.mark.slow
def test_fuzzed_requests_never_break_the_server(served, gunicorn):
    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(a_request())
    def fuzz(request: tuple[str, str, list[tuple[str, str]]]) -> None:
        check(served, *request)
        made.append(request)

    made: list = []
    fuzz()
    print(f"{len(made)} fuzzed requests")
    assert len(made) >= EXAMPLES
    for path in ENDPOINTS:  # the server still answers normally afterwards
        assert requests.get(served + path, timeout=60).status_code in (200, 400)
    rss = worker_rss_mb(gunicorn.worker_pids())
    assert rss and max(rss) < RSS_BOUND_MB, rss
