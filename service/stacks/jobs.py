"""The job service: what the UWS endpoints and the synchronous stack do, between the
blueprints and the job store, the result store and Dask.

Jobs run on Dask (``stacks.scheduler``): RUN submits the job's own task, which fans its
frames out as tasks; any web worker or instance answers for any job from the store. A
running job nobody reported on for ``stacks.stall_s`` is marked ERROR when next read,
so a job never hangs; destroyed and expired jobs are removed with their results.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import logging
import os
import time
from typing import Any

from service.faults import Fault, NotFoundFault, TransientFault, UsageFault
from service.stacks import outputs, plan
from service.stacks.run import frame_names, run_here, run_job, scheduler_knows
from service.uws.model import (
    ABORTED,
    ACTIVE,
    CUTOUTS,
    ERROR,
    EXECUTING,
    FINAL,
    PENDING,
    QUEUED,
    Job,
    now,
)
from service.vo.params import Params

log = logging.getLogger(__name__)
MIME = {".fits": "application/fits", ".png": "image/png", ".jpeg": "image/jpeg",
        ".json": "application/json", ".zip": "application/zip", ".pdf": "application/pdf",
        ".webp": "image/webp"}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class ResultFile:
    """A result as listed in /results: its name (id), media type and size if known."""

    name: str
    mime: str
    size: int | None = None


class JobService:
    """UWS jobs and stacks of one process (see :mod:`service.wiring`)."""

    def __init__(self, services: Any) -> None:  # noqa: ANN401 - service.wiring.Services
        self.services = services
        self.settings = services.settings
        self.store = services.jobs
        self.results = services.job_results

    # -- creating and running -------------------------------------------------------------
    def create(self, params: Params) -> Job:
        """A PENDING job from SODA async parameters: cutouts with IDs, a stack without.

        Raises
        ------
        UsageFault
            Before anything is stored.
        """
        run = [v.strip().upper() for v in params.all("PHASE")]
        if any(v != "RUN" for v in run):
            raise UsageFault(f"Field PHASE: Invalid value {run[-1][:30]!r} (a new job takes RUN)")
        self.clean()
        if params.all("ID"):
            job = plan.cutouts_job(params, self.settings)
        else:
            job = plan.stack_job(params, self.settings, self.services.catalog)
        self._check(job)
        self.store.create(job)
        if run:
            self._run(job.job_id)
        return self.store.get(job.job_id) or job

    def _check(self, job: Job) -> None:
        """Refuse cutouts beyond the limits before the job exists (with a region the
        grid is known; without one, each exposure's default grid is within them)."""
        cutouts = self.services.cutouts
        for body in job.specs:
            spec = plan.spec_from_dict(body)
            if spec.circle is not None:
                cutouts.check(cutouts.request_for(None, spec))

    def phase(self, job_id: str, value: str) -> Job:
        """PHASE=RUN queues the job on Dask; PHASE=ABORT stops it.

        Raises
        ------
        UsageFault
            For another value, or RUN of a job that is not PENDING.
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
            from distributed import fire_and_forget

            client = self.services.dask
            key = f"job-{job_id}"
            fire_and_forget(client.submit(run_job, self.settings, job_id, pure=False, key=key))
            # messages to the scheduler are batched: answer only once it holds the job, so
            # that the job outlives this process even if it dies right after answering
            deadline = time.monotonic() + 10.0
            while not client.run_on_scheduler(scheduler_knows, key=key):
                if (self.store.get(job_id) or job).phase != QUEUED:
                    break  # already run, or aborted
                if time.monotonic() > deadline:
                    raise TransientFault("the Dask scheduler did not take the job in 10 s")
                time.sleep(0.02)
        except Fault as exc:
            return self.store.update(job_id, _failed(str(exc), "transient"))
        except Exception as exc:  # noqa: BLE001 - the scheduler refused: the job says why
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
        limit = self.settings.stacks.max_wait_s
        deadline = time.monotonic() + (limit if wait < 0 else min(wait, limit))
        start_phase, start_done = job.phase, job.done
        while time.monotonic() < deadline:
            time.sleep(0.2)
            job = self._read(job_id)
            if job.phase != start_phase or job.phase in FINAL:
                break
        del start_done
        return job

    def _read(self, job_id: str) -> Job:
        job = self.store.get(job_id)
        if job is None:
            raise NotFoundFault(f"no job {job_id[:40]!r}")
        if job.destruction <= now():
            self.destroy(job_id)
            raise NotFoundFault(f"job {job_id} was destroyed at {job.destruction.isoformat()}")
        stall = self.settings.stacks.stall_s
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
        if after is not None:
            jobs = [j for j in jobs if j.created > after]
        if last is not None:
            jobs = sorted(jobs, key=lambda j: j.created, reverse=True)[:last]
        return jobs[-self.settings.stacks.max_jobs_listed :]

    def result_files(self, job: Job) -> list[ResultFile]:
        """The job's results: for a stack its products (the one asked for first), the
        index, then every frame's files; for cutouts, every frame's file."""
        files: list[ResultFile] = []
        if job.kind != CUTOUTS and job.phase == "COMPLETED":
            first = outputs.main_product(job)
            names = [first] + [n for n in outputs.PRODUCTS if n != first]
            files += [ResultFile(n, outputs.PRODUCTS[n]) for n in names]
        for index in sorted(job.outcomes):
            outcome = job.outcomes[index]
            for name in outcome.results:
                files.append(ResultFile(name, _mime(name)))
        return files

    def result(self, job_id: str, name: str) -> tuple[bytes | None, str | None, str]:
        """(bytes or None, redirect URL or None, media type) of one result.

        Raises
        ------
        NotFoundFault
        """
        job = self._read(job_id)
        if name in outputs.PRODUCTS and job.kind != CUTOUTS:
            if job.phase != "COMPLETED":
                raise NotFoundFault(f"job {job_id} is {job.phase}: no {name} yet")
            body = outputs.product(self.services, job, name)
            url = self.results.url(job_id, name)
            return (None if url else body), url, outputs.PRODUCTS[name]
        if not any(name in o.results for o in job.outcomes.values()):
            raise NotFoundFault(f"job {job_id} has no result {name[:60]!r}")
        if job.kind != CUTOUTS and name.endswith(".png"):
            outputs.frame_preview(self.services, job, name)  # made on first request
        url = self.results.url(job_id, name)
        return (None if url else self.results.get(job_id, name)), url, _mime(name)

    # -- changing ---------------------------------------------------------------------------
    def destruction(self, job_id: str, text: str) -> Job:
        """DESTRUCTION=<ISO 8601>: earlier is granted, later capped at the default."""
        try:
            moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
        except ValueError:
            raise UsageFault(f"Field DESTRUCTION: Invalid value {text[:40]!r}") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        latest = self._read(job_id).created + datetime.timedelta(
            seconds=self.settings.stacks.default_destruction_s
        )

        def change(job: Job) -> None:
            job.destruction = min(moment.astimezone(datetime.UTC), latest).replace(microsecond=0)

        return self.store.update(job_id, change)

    def execution_duration(self, job_id: str, text: str) -> Job:
        """EXECUTIONDURATION=<s> (PENDING jobs; 0 or more than the limit: the limit)."""
        try:
            seconds = int(text.strip())
        except ValueError:
            raise UsageFault(f"Field EXECUTIONDURATION: Invalid value {text[:40]!r}") from None
        limit = self.settings.stacks.max_execution_s

        def change(job: Job) -> None:
            if job.phase != PENDING:
                raise UsageFault(f"job {job_id} is {job.phase}: its duration is fixed")
            job.execution_duration = limit if seconds <= 0 else min(seconds, limit)

        return self.store.update(job_id, change)

    def destroy(self, job_id: str) -> None:
        """Delete a job and its results (aborting it if it runs)."""
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
    def sync_stack(self, params: Params) -> tuple[bytes, str, str]:
        """A small stack made in this process: (bytes, the media type asked for, file
        name).

        Raises
        ------
        UsageFault
            Past ``stacks.max_sync_frames`` (use /soda/async).
        """
        job = plan.stack_job(params, self.settings, self.services.catalog)
        self._check(job)
        limit = self.settings.stacks.max_sync_frames
        if job.total > limit:
            raise UsageFault(
                f"the stack has {job.total} exposures, more than {limit} "
                "(stacks.max_sync_frames): use /soda/async"
            )
        job = dataclasses.replace(job, phase=QUEUED, heartbeat=time.time())
        self.store.create(job)
        try:
            done = run_here(self.services, job.job_id, os.cpu_count() or 1)
            if done.phase != "COMPLETED":
                raise TransientFault(f"the stack did not complete: {done.error or done.phase}")
            name = outputs.main_product(done)
            body = outputs.product(self.services, done, name)
            return body, done.response_format, name  # the media type asked for (DALI)
        finally:
            self.destroy(job.job_id)


def _mime(name: str) -> str:
    return MIME.get(os.path.splitext(name)[1], "application/octet-stream")


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


__all__ = ["JobService", "ResultFile", "frame_names"]
