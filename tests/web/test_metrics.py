"""/metrics under gunicorn (two workers, one metrics directory): Prometheus's own parser
reads it, and after a known mix of requests its counts have grown by that mix; every
answer, errors included, carries a request id, and the log has one line for it."""

from __future__ import annotations

import collections
import uuid

import requests
from prometheus_client.parser import text_string_to_metric_families

DID = "ivo://platecut.example.org/platecut?a03393m0s1"


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    reply = requests.get(f"{url}/metrics", timeout=30)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].startswith("text/plain; version=")
    values = {}
    for family in text_string_to_metric_families(reply.text):
        for sample in family.samples:
            values[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return values


def total(values: dict, name: str, **labels: str) -> float:
    return sum(
        v for (n, ls), v in values.items()
        if n == name and all(dict(ls).get(k) == w for k, w in labels.items())
    )  # fmt: skip


def test_metrics_count_the_mix_of_requests(gunicorn):
    url = gunicorn.url
    before = scrape(url)
    mix = collections.Counter()
    for _ in range(7):
        r = requests.get(f"{url}/sia/v2/query", params={"POS": "CIRCLE 0.2 12 0.05"}, timeout=60)
        mix[("sia2.query", r.status_code)] += 1
    for k in range(4):
        r = requests.get(
            f"{url}/soda/sync", params={"ID": DID, "CIRCLE": f"0.2 12 {0.01 + k * 0.001}"},
            timeout=60,
        )  # fmt: skip
        mix[("soda.sync", r.status_code)] += 1
    for _ in range(3):
        r = requests.get(f"{url}/sia/v2/query", params={"POS": "CIRCLE 0.2 95 1"}, timeout=60)
        mix[("sia2.query", r.status_code)] += 1
    r = requests.get(f"{url}/soda/sync", params={"ID": "a99999m0s0"}, timeout=60)
    mix[("soda.sync", r.status_code)] += 1
    assert mix == {("sia2.query", 200): 7, ("sia2.query", 400): 3, ("soda.sync", 200): 4,
                   ("soda.sync", 404): 1}  # fmt: skip
    after = scrape(url)
    for (endpoint, status), count in mix.items():
        grown = total(after, "platecut_requests_total", endpoint=endpoint, status=str(status))
        was = total(before, "platecut_requests_total", endpoint=endpoint, status=str(status))
        assert grown - was == count, (endpoint, status)
    latency = total(after, "platecut_request_seconds_count", endpoint="sia2.query") - total(
        before, "platecut_request_seconds_count", endpoint="sia2.query"
    )
    assert latency == 10
    cutouts = total(after, "platecut_cutouts_total", outcome="ok") - total(
        before, "platecut_cutouts_total", outcome="ok"
    )
    assert cutouts == 4
    read = total(after, "platecut_store_bytes_total") + total(
        after, "platecut_replica_hit_bytes_total"
    )
    assert read > total(before, "platecut_store_bytes_total") + total(
        before, "platecut_replica_hit_bytes_total"
    )
    assert total(after, "platecut_jobs", phase="PENDING") >= 0  # jobs by phase, scraped


def test_every_answer_carries_a_request_id_and_has_a_log_line(gunicorn):
    url = gunicorn.url
    seen = set()
    for path, params in (("/", {}), ("/sia/v2/query", {"POS": "CIRCLE 0.2 95 1"}),
                         ("/soda/sync", {}), ("/no/such/path", {}), ("/health", {})):  # fmt: skip
        r = requests.get(f"{url}{path}", params=params, timeout=60)
        request_id = r.headers["X-Request-ID"]
        assert len(request_id) == 32 and request_id not in seen
        seen.add(request_id)
    mine = f"test-{uuid.uuid4().hex[:12]}"
    r = requests.get(f"{url}/health", headers={"X-Request-ID": mine}, timeout=30)
    assert r.headers["X-Request-ID"] == mine
    odd = requests.get(f"{url}/health", headers={"X-Request-ID": "<script>"}, timeout=30)
    assert odd.headers["X-Request-ID"] != "<script>"
    log = gunicorn.log.read_text()
    assert "GET /health landing.health 200" in log and f"id={mine}" in log
    for request_id in seen:
        assert f"id={request_id}" in log
