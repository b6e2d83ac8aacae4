"""The job service: what the UWS endpoints, the synchronous stack and the command line
do with jobs, between the typed requests and the job store, the result store and an
executor.

Jobs run elsewhere (:class:`Executor`: Dask in every configuration that serves UWS):
RUN hands the job over, its own task fans the frames out, and any web worker or
instance answers for any job from the store. A running job nobody reported on for
``stacks.stall_s`` is marked ERROR when next read, so a job never hangs; destroyed
and expired jobs are removed with their results. Small synchronous stacks run on
threads of this process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import os
import time
from collections.abc import Callable
from typing import Protocol

from service.catalog.base import Catalog
from service.cutout.service import CutoutService
from service.faults import Fault, NotFoundFault, TransientFault, UsageFault
from service.jobs import outputs
from service.jobs.formats import PRODUCTS, file_mime
from service.jobs.model import (
    ABORTED,
    ACTIVE,
    COMPLETED,
    CUTOUTS,
    ERROR,
    EXECUTING,
    FINAL,
    PENDING,
    QUEUED,
    Job,
    now,
)
from service.jobs.plan import Plan, plan
from service.jobs.requests import JobRequest, StackRequest
from service.jobs.results import ResultStore
from service.jobs.run import run_here
from service.jobs.store import JobStore
from service.settings import StackSettings
from service.times import instant

log = logging.getLogger(__name__)


class Executor(Protocol):
    """Where jobs run, away from the process that created them."""

    def submit(self, job_id: str, queued: Callable[[], bool]) -> None:
        """Hand a QUEUED job over; return once it will run even if this process dies,
        or once ``queued()`` says it no longer waits.

        Raises
        ------
        TransientFault
            If nothing can take the job now.
        """
        ...

    def close(self) -> None:
        """Release connections."""
        ...


@dataclasses.dataclass(frozen=True)
class ResultFile:
    """A result as listed in /results: its name (id), media type and size if known."""

    name: str
    mime: str
    size: int | None = None


@dataclasses.dataclass(frozen=True)
class ResultAnswer:
    """How a client gets a result: its bytes, or a URL to fetch them from."""

    mime: str
    body: bytes | None = None
    url: str | None = None


class JobService:
    """UWS jobs and stacks.

    Parameters
    ----------
    catalog
        Read once per job, when it is planned.
    cutouts
        Cuts the frames of synchronous stacks, and checks limits before a job exists.
    store, results
        Where jobs and their result files are kept.
    executor
        Where queued jobs run.
    limits
        The ``[stacks]`` settings.
    """

    def __init__(
        self,
        *,
        catalog: Catalog,
        cutouts: CutoutService,
        store: JobStore,
        results: ResultStore,
        executor: Executor,
        limits: StackSettings,
    ) -> None:
        self.catalog = catalog
        self.cutouts = cutouts
        self.store = store
        self.results = results
        self.executor = executor
        self.limits = limits

    # -- creating and running -------------------------------------------------------------
    def create(self, request: JobRequest) -> Job:
        """A PENDING job (QUEUED when the request says RUN).

        Raises
        ------
        UsageFault
            Before anything is stored.
        """
        self.clean()
        job, planned = self._plan(request)
        self.store.create(job)
        planned.save(self.results, job.job_id)
        if request.submission.run:
            self._run(job.job_id)
        return self.store.get(job.job_id) or job

    def _plan(self, request: JobRequest) -> tuple[Job, Plan]:
        """The job and its plan, refused beyond the limits before it exists (with a
        region the grid is known; without one, each exposure's default grid is within
        them)."""
        job, planned = plan(request, self.catalog, self.limits)
        for spec in job.specs:
            if spec.circle is not None:
                self.cutouts.check(self.cutouts.request_for(None, spec))
        return job, planned

    def phase(self, job_id: str, value: str) -> Job:
        """PHASE=RUN queues the job; PHASE=ABORT stops it.

        Raises
        ------
        UsageFault
            For another value.
        """
        value = value.strip().upper()
        if value == "RUN":
            return self._run(job_id)
        if value == "ABORT":
            return self.store.update(job_id, _abort)
        raise UsageFault(f"Field PHASE: Invalid value {value[:30]!r} (expected RUN or ABORT)")

    def _run(self, job_id: str) -> Job:
        def queue(job: Job) -> None:
            if job.phase == PENDING:
                job.phase = QUEUED
                job.heartbeat = time.time()

        job = self.store.update(job_id, queue)
        if job.phase != QUEUED:
            return job  # already running or finished: RUN is a no-op (UWS)
        try:
            self.executor.submit(job_id, lambda: (self.store.get(job_id) or job).phase == QUEUED)
        except Fault as exc:
            return self.store.update(job_id, _failed(str(exc), "transient"))
        except Exception as exc:  # noqa: BLE001 - the executor refused: the job says why
            log.exception("submitting job %s", job_id)
            return self.store.update(job_id, _failed(f"Dask refused the job: {exc}", "transient"))
        return job

    # -- reading ----------------------------------------------------------------------------
    def get(self, job_id: str, wait: float | None = None, phase: str | None = None) -> Job:
        """The job; with ``wait``, block until its phase changes (or is no longer
        ``phase``) or ``wait`` seconds pass (capped at ``stacks.max_wait_s``).

        Raises
        ------
        NotFoundFault
        """
        job = self._read(job_id)
        if wait is None or job.phase in FINAL or (phase and job.phase != phase):
            return job
        limit = self.limits.max_wait_s
        deadline = time.monotonic() + (limit if wait < 0 else min(wait, limit))
        start_phase = job.phase
        while time.monotonic() < deadline:
            time.sleep(0.2)
            job = self._read(job_id)
            if job.phase != start_phase or job.phase in FINAL:
                break
        return job

    def _read(self, job_id: str) -> Job:
        job = self.store.get(job_id)
        if job is None:
            raise NotFoundFault(f"no job {job_id[:40]!r}")
        if job.destruction <= now():
            self.destroy(job_id)
            raise NotFoundFault(f"job {job_id} was destroyed at {job.destruction.isoformat()}")
        stall = self.limits.stall_s
        if job.phase in ACTIVE and time.time() - job.heartbeat > stall:
            message = (
                f"no worker has reported on this job for {stall} s: the Dask cluster running "
                "it stopped or lost it"
            )
            job = self.store.update(job_id, _failed(message, "transient", ACTIVE))
        return job

    def list(
        self, phases: tuple[str, ...] = (), after: datetime.datetime | None = None,
        last: int | None = None,
    ) -> list[Job]:  # fmt: skip
        """Jobs, oldest first (UWS 1.1 2.2.2.1: PHASE, AFTER, LAST filters; ARCHIVED only
        when asked)."""
        self.clean()
        jobs = self.store.list()
        if phases:
            jobs = [j for j in jobs if j.phase in phases]
        else:
            jobs = [j for j in jobs if j.phase != "ARCHIVED"]
        if after is not None:
            jobs = [j for j in jobs if j.created > after]
        if last is not None:
            jobs = sorted(jobs, key=lambda j: j.created, reverse=True)[:last]
        return jobs[-self.limits.max_jobs_listed :]

    def result_files(self, job: Job) -> list[ResultFile]:
        """The job's results: for a stack its products (the one asked for first), the
        index, then every frame's files; for cutouts, every frame's file."""
        files: list[ResultFile] = []
        if job.kind != CUTOUTS and job.phase == COMPLETED:
            first = outputs.main_product(job)
            names = [first] + [n for n in PRODUCTS if n != first]
            files += [ResultFile(n, PRODUCTS[n]) for n in names]
        for index in sorted(job.outcomes):
            for name in job.outcomes[index].results:
                files.append(ResultFile(name, file_mime(name)))
        return files

    def result(self, job_id: str, name: str) -> ResultAnswer:
        """One result: its URL when the result store gives one (its bytes are then
        never read here), else its bytes.

        Raises
        ------
        NotFoundFault
        """
        job = self._read(job_id)
        if name in PRODUCTS and job.kind != CUTOUTS:
            if job.phase != COMPLETED:
                raise NotFoundFault(f"job {job_id} is {job.phase}: no {name} yet")
            outputs.ensure_product(self.results, job, name)
            mime = PRODUCTS[name]
        elif any(name in o.results for o in job.outcomes.values()):
            if job.kind != CUTOUTS and name.endswith(".png"):
                outputs.ensure_frame_preview(self.results, job, name)  # made on first request
            mime = file_mime(name)
        else:
            raise NotFoundFault(f"job {job_id} has no result {name[:60]!r}")
        url = self.results.url(job_id, name)
        if url:
            return ResultAnswer(mime, url=url)
        return ResultAnswer(mime, body=self.results.get(job_id, name))

    # -- changing ---------------------------------------------------------------------------
    def destruction(self, job_id: str, text: str) -> Job:
        """DESTRUCTION=<ISO 8601>: earlier is granted, later capped at the default."""
        try:
            moment = instant(text)
        except ValueError:
            raise UsageFault(f"Field DESTRUCTION: Invalid value {text[:40]!r}") from None
        latest = self._read(job_id).created + datetime.timedelta(
            seconds=self.limits.default_destruction_s
        )

        def change(job: Job) -> None:
            job.destruction = min(moment, latest).replace(microsecond=0)

        return self.store.update(job_id, change)

    def execution_duration(self, job_id: str, text: str) -> Job:
        """EXECUTIONDURATION=<s> (PENDING jobs; 0 or more than the limit: the limit)."""
        try:
            seconds = int(text.strip())
        except ValueError:
            raise UsageFault(f"Field EXECUTIONDURATION: Invalid value {text[:40]!r}") from None
        limit = self.limits.max_execution_s

        def change(job: Job) -> None:
            if job.phase != PENDING:
                raise UsageFault(f"job {job_id} is {job.phase}: its duration is fixed")
            job.execution_duration = limit if seconds <= 0 else min(seconds, limit)

        return self.store.update(job_id, change)

    def destroy(self, job_id: str) -> None:
        """Delete a job and its results (aborting it if it runs; idempotent)."""
        with contextlib.suppress(NotFoundFault):
            self.store.update(job_id, _abort)
        self.store.delete(job_id)
        self.results.delete(job_id)

    def clean(self) -> None:
        """Destroy expired jobs."""
        moment = now()
        for job in self.store.list():
            if job.destruction <= moment:
                self.destroy(job.job_id)

    # -- synchronous stacks -----------------------------------------------------------------
    def sync_stack(self, request: StackRequest) -> tuple[bytes, str, str]:
        """A small stack made in this process: (bytes, the media type asked for, file
        name).

        Raises
        ------
        UsageFault
            Past ``stacks.max_sync_frames`` (use /soda/async).
        """
        job, planned = self._plan(request)
        limit = self.limits.max_sync_frames
        if job.total > limit:
            raise UsageFault(
                f"the stack has {job.total} exposures, more than {limit} "
                "(stacks.max_sync_frames): use /soda/async"
            )
        job = dataclasses.replace(job, phase=QUEUED, heartbeat=time.time())
        self.store.create(job)
        try:
            planned.save(self.results, job.job_id)
            threads = os.cpu_count() or 1
            done = run_here(job.job_id, self.store, self.results, self.cutouts, threads)
            if done.phase != COMPLETED:
                raise TransientFault(f"the stack did not complete: {done.error or done.phase}")
            name = outputs.main_product(done)
            outputs.ensure_product(self.results, done, name)
            body = self.results.get(done.job_id, name)
            return body, done.response_format, name  # the media type asked for (DALI)
        finally:
            self.destroy(job.job_id)


def _abort(job: Job) -> None:
    if job.phase in (PENDING, QUEUED, EXECUTING):
        job.phase = ABORTED
        job.ended = now()


def _failed(message: str, kind: str, only: tuple[str, ...] = (PENDING, QUEUED, EXECUTING)):  # noqa: ANN202
    def change(job: Job) -> None:
        if job.phase in only:
            job.phase = ERROR
            job.ended = now()
            job.error, job.error_type = message, kind

    return change
