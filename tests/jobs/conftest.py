"""A Dask cluster of its own (the project's local-cluster process, 2 workers on
127.0.0.1) and the services of the session's served demo archive using it."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.jobs import cluster
from service.jobs.dask import DaskExecutor
from service.jobs.model import FINAL, Job
from service.jobs.requests import JobRequest
from service.jobs.service import JobService
from service.settings import Settings, load_settings
from service.vo import soda
from service.vo.values import Params
from service.wiring import Services
from tests.servers import MotoServer

RA, DEC, RADIUS = 0.2, 12.0, 0.03
#: what parsing a job's parameters reads: the grid defaults and the service's identity
PARSING = load_settings(env={})


def params(**values: object) -> Params:
    pairs = []
    for name, value in values.items():
        for item in value if isinstance(value, list) else [value]:
            pairs.append((name, str(item)))
    return Params(pairs)


def ask(**values: object) -> JobRequest:
    """A new job's parameters, parsed as /soda/async parses them."""
    return soda.parse_job(params(**values), PARSING)


def job_services(settings: Settings) -> Services:
    """The parts of a process that hands jobs to the Dask cluster of ``settings``."""
    return Services(settings, executor=DaskExecutor(settings))


@pytest.fixture(scope="session")
def serial_moto_server(aws_credentials: None) -> Iterator[MotoServer]:
    """A moto server answering one request at a time: DynamoDB's conditional writes
    atomic, as on AWS (moto's threaded server checks and writes without a lock)."""
    server = MotoServer(serial=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[tuple[str, int]]:
    """(scheduler address, pid of the cluster process) of a 2-worker local cluster."""
    address, proc = cluster.start(2, 2)
    yield address, proc.pid
    cluster.stop(proc)


def with_scheduler(settings: Settings, address: str, **stacks: object) -> Settings:
    """``settings`` sending jobs to ``address`` (and other stacks.* values)."""
    changed = dataclasses.replace(settings.stacks, scheduler=address, **stacks)
    return dataclasses.replace(settings, stacks=changed)


@pytest.fixture(scope="session")
def stack_settings(vo_settings: Settings, dask_cluster: tuple[str, int]) -> Settings:
    """The served demo archive, jobs on the test cluster, stalls noticed after 15 s."""
    return with_scheduler(vo_settings, dask_cluster[0], stall_s=15)


@pytest.fixture(scope="session")
def stack_services(stack_settings: Settings) -> Iterator[Services]:
    services = job_services(stack_settings)
    yield services
    services.close()


@pytest.fixture
def jobs(stack_services: Services) -> JobService:
    return stack_services.job_service


def wait_final(jobs: JobService, job_id: str, timeout_s: float = 180.0) -> Job:
    """The job once it is COMPLETED, ERROR or ABORTED (fails past ``timeout_s``)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = jobs.get(job_id, wait=5)
        if job.phase in FINAL:
            return job
    raise AssertionError(f"job {job_id} still {jobs.get(job_id).phase} after {timeout_s} s")


def results_dir(services: Services, job_id: str) -> Path:
    return services.settings.stacks.results_path(services.settings.catalog.sqlite_file()) / job_id


@pytest.fixture(scope="session")
def stack(stack_services: Services) -> dict:
    """One completed stack at (RA, DEC), FITS by default."""
    jobs = stack_services.job_service
    job = jobs.create(ask(POS=f"CIRCLE {RA} {DEC} {RADIUS}", PHASE="RUN"))
    return {"job": wait_final(jobs, job.job_id)}


def assert_workers_run_with_conf_dask(client, workers: int) -> None:
    """Each of the ``workers`` workers of ``client``'s cluster runs without Dask's
    profiler, with the environment ``conf/dask`` sets before a worker starts."""
    import yaml

    from service.jobs.cluster import DASK_CONF

    conf = yaml.safe_load((DASK_CONF / "platecut.yaml").read_text())["distributed"]
    assert conf["worker"]["profile"]["enabled"] is False
    wanted = {k: str(v) for k, v in conf["nanny"]["pre-spawn-environ"].items()}
    assert int(wanted["MALLOC_TRIM_THRESHOLD_"]) > 65536  # not Dask's default

    callbacks = client.run(lambda dask_worker: sorted(dask_worker.periodic_callbacks))
    assert len(callbacks) == workers
    assert all("heartbeat" in names and "profile" not in names for names in callbacks.values())
    # a lambda travels by value: the workers cannot import this test module
    env = client.run(lambda: {k: __import__("os").environ.get(k) for k in wanted})
    assert list(env.values()) == [wanted] * workers, env
