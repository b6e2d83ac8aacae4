"""What an operator watches: ``/metrics`` for Prometheus (prometheus_client, the
maintained exporter) and one log line per request, each with a request id that the
answer carries in ``X-Request-ID`` (the caller's own, when it sends a sane one).

Counted: requests by endpoint, method and status, and their latency; cutouts by
outcome, the bytes they read from the store and from the local replica; jobs by phase
(read from the job store when scraped). Under gunicorn every worker writes its counts
to ``PROMETHEUS_MULTIPROC_DIR`` (a directory of its own per server, made by
``conf/gunicorn.conf.py``) and any worker answers for all of them.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections import Counter as Tally
from collections.abc import Iterator

from flask import Blueprint, Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from service.cutout.engine import CutoutResult, NoOverlap
from service.jobs.model import PHASES
from service.jobs.store import JobStore
from service.web.context import services

blueprint = Blueprint("metrics", __name__)
log = logging.getLogger("platecut.requests")
REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
OURS = CollectorRegistry()  # this process's counts (under gunicorn: files, see above)

REQUESTS = Counter(
    "platecut_requests",
    "HTTP requests answered",
    ["endpoint", "method", "status"],
    registry=OURS,
)
LATENCY = Histogram(
    "platecut_request_seconds",
    "Time to answer a request",
    ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
    registry=OURS,
)
CUTOUTS = Counter("platecut_cutouts", "Cutouts made", ["outcome"], registry=OURS)
STORE_BYTES = Counter(
    "platecut_store_bytes", "Bytes cutouts read from the archive store", registry=OURS
)
REPLICA_BYTES = Counter(
    "platecut_replica_hit_bytes",
    "Bytes cutouts read from the local replica instead",
    registry=OURS,
)


def observe_cutout(result: CutoutResult | NoOverlap) -> None:
    """Count one cutout (the cutout service calls this for every one it makes)."""
    if isinstance(result, NoOverlap):
        CUTOUTS.labels("no-overlap").inc()
        return
    CUTOUTS.labels("ok").inc()
    STORE_BYTES.inc(result.stats.bytes_fetched)
    REPLICA_BYTES.inc(result.stats.replica_hit_bytes)


class _Registry(Collector):
    """The counts of a registry, collected into another."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()


class JobPhases(Collector):
    """Jobs by phase, as the job store holds them when scraped."""

    def __init__(self, store: JobStore) -> None:
        self.store = store

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = Tally(job.phase for job in self.store.list())
        family = GaugeMetricFamily("platecut_jobs", "Jobs by phase", labels=["phase"])
        for phase in PHASES:
            family.add_metric([phase], counts.get(phase, 0))
        yield family


def _begin() -> None:
    g.started = time.perf_counter()
    given = request.headers.get("X-Request-ID", "")
    g.request_id = given if REQUEST_ID.match(given) else uuid.uuid4().hex


def _end(response: Response) -> Response:
    elapsed = time.perf_counter() - getattr(g, "started", time.perf_counter())
    request_id = getattr(g, "request_id", "") or uuid.uuid4().hex
    endpoint = request.endpoint or "unrouted"
    response.headers["X-Request-ID"] = request_id
    REQUESTS.labels(endpoint, request.method, str(response.status_code)).inc()
    LATENCY.labels(endpoint).observe(elapsed)
    log.info(
        "%s %s %s %d %.1f ms id=%s",
        request.method,
        request.path,
        endpoint,
        response.status_code,
        elapsed * 1000,
        request_id,
    )
    return response


@blueprint.get("/metrics")
def metrics() -> Response:
    """Every counter of every worker, in Prometheus's text format."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)  # every worker's counts
    else:
        registry.register(_Registry(OURS))
    registry.register(JobPhases(services().jobs))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    """Time, count and log every request (registered first: its answer hook runs last,
    on the answer as sent, errors included)."""
    app.before_request(_begin)
    app.after_request(_end)
