"""Running a job: each frame is a task (on Dask, or on threads of this process for a
small synchronous stack), its result files written to the result store, its outcome
recorded in the job. The job's own task (:func:`run_job`) runs on a Dask worker, not in
the web worker that created the job, so the job survives that worker; it reports a
heartbeat, watches for ABORT and its execution duration, and resumes where it stopped
if Dask runs it again (its worker died).

A frame that fails is an outcome with its error, never a failed job.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from service.cutout.engine import NoOverlap
from service.cutouts import FITS_TYPES
from service.faults import Fault, NotFoundFault
from service.settings import Settings
from service.stacks.plan import spec_from_dict
from service.uws.model import ABORTED, COMPLETED, ERROR, EXECUTING, QUEUED, STACK, Job, Outcome, now

log = logging.getLogger(__name__)
HEARTBEAT_S = 2.0  # a running job reports at least this often
FLUSH_S = 0.25  # outcomes are recorded this soon after they come (progress, first frame)


def warm() -> None:
    """Import what frames need and set up the decoders, so that a worker's first frame
    costs what the others do (run on every worker when the local cluster starts)."""
    import astropy.wcs  # noqa: F401
    import scipy.ndimage  # noqa: F401

    import service.wiring  # noqa: F401
    from service.rangeread import decode

    decode.warm_up()


def frame_names(index: int, kind: str, mime: str) -> tuple[str, ...]:
    """Result files of frame ``index``: its FITS (and PNG preview for stacks, made from
    the FITS when first asked for), or the format asked for (async cutouts)."""
    stem = f"frame-{index + 1:04d}"
    if kind == STACK:
        return (f"{stem}.fits", f"{stem}.png")
    if mime in FITS_TYPES:
        return (f"{stem}.fits",)
    return (f"{stem}.{mime.split('/')[1]}",)


def cut_frame(
    services: Any,  # noqa: ANN401 - service.wiring.Services (imported lazily: no cycle)
    job_id: str,
    kind: str,
    index: int,
    obs_id: str,
    spec_body: dict[str, Any],
    mime: str,
) -> Outcome:
    """Cut one frame, store its files, and say what became of it."""
    spec = spec_from_dict(spec_body)
    cutouts = services.cutouts
    try:
        source = cutouts.resolve(obs_id)
        request = cutouts.request_for(source.exposure, spec)
        if kind == STACK:
            request = dataclasses.replace(request, trim=False)  # one grid for every frame
        result = cutouts.cut(source, request)
        if isinstance(result, NoOverlap):
            return Outcome("no-overlap", "the grid misses the plate", 1.0)
        result.header["FRAME"] = (index + 1, "frame of the job (1-based, date order)")
        result.header["OBS_ID"] = (obs_id, "exposure solution")
        result.header["PUBDID"] = (source.exposure.publisher_did[-68:], "its publisher DID")
        names = frame_names(index, kind, mime)
        nan = float(np.isnan(result.data).mean()) if result.data.dtype.kind == "f" else 0.0
        for name in names:
            if name.endswith(".fits"):
                services.job_results.put(job_id, name, result.to_fits(), "application/fits")
            elif kind == STACK:
                continue  # a stack frame's preview is made when first asked for (outputs)
            else:
                rendered = cutouts.render(result, mime, spec.preview)
                services.job_results.put(job_id, name, rendered.body, mime)
        return Outcome("ok", "", nan, names)
    except Fault as exc:
        return Outcome("error", f"{exc.dali_label}: {exc}"[:500], 1.0)
    except Exception as exc:  # noqa: BLE001 - a frame never fails the job
        log.exception("frame %d of job %s", index, job_id)
        return Outcome("error", f"FatalFault: {type(exc).__name__}"[:500], 1.0)


# --- the services of a Dask worker process -------------------------------------------------
@functools.lru_cache(maxsize=4)
def worker_services(settings: Settings) -> Any:  # noqa: ANN401
    """The services of this (Dask worker) process, built once per settings. Frames run
    in parallel as tasks, so each decodes on one thread."""
    from service.wiring import Services

    cutout = dataclasses.replace(settings.cutout, decode_threads=1)
    return Services(dataclasses.replace(settings, cutout=cutout))


def frame_task(
    settings: Settings, job_id: str, kind: str, index: int, obs_id: str, spec: dict, mime: str
) -> tuple[int, Outcome]:
    """One frame, as a Dask task."""
    return index, cut_frame(worker_services(settings), job_id, kind, index, obs_id, spec, mime)


# --- a job -----------------------------------------------------------------------------------
def _begin(job: Job) -> None:
    if job.phase in (QUEUED, EXECUTING):
        job.phase = EXECUTING
        job.started = job.started or now()
        job.heartbeat = time.time()


def _finish(phase: str, message: str = "") -> Callable[[Job], None]:
    def change(job: Job) -> None:
        if job.phase == EXECUTING:
            job.phase = phase
            job.ended = now()
            if message:
                job.error, job.error_type = message, "fatal"

    return change


def execute(
    services: Any,  # noqa: ANN401
    job_id: str,
    submit: Callable[[list[tuple]], Iterable[tuple[int, Outcome]]],
    cancel: Callable[[], None],
) -> Job:
    """Run the frames of a job that are not done yet, recording outcomes as they come,
    a heartbeat, and stopping at ABORT or past the execution duration.

    ``submit`` runs frame tasks (arguments of :func:`frame_task` after the settings)
    and yields (index, outcome) as they finish; ``cancel`` stops those not started.
    """
    jobs = services.jobs
    job = jobs.update(job_id, _begin)
    if job.phase != EXECUTING:
        return job
    pending = [
        (job_id, job.kind, i, f.obs_id, job.specs[f.spec], job.response_format)
        for i, f in enumerate(job.frames)
        if i not in job.outcomes
    ]
    started = job.started.timestamp() if job.started else time.time()
    limit = job.execution_duration
    fresh: dict[int, Outcome] = {}
    lock = threading.Lock()
    stop, arrived = threading.Event(), threading.Event()
    state = {"phase": EXECUTING}

    def flush() -> None:
        with lock:
            batch = dict(fresh)
            fresh.clear()

        def change(current: Job) -> None:
            current.outcomes.update(batch)
            current.heartbeat = time.time()

        current = jobs.update(job_id, change)
        state["phase"] = current.phase

    def beat() -> None:
        while not stop.is_set():
            arrived.wait(HEARTBEAT_S)  # outcomes came, or time for a heartbeat
            if stop.wait(FLUSH_S):  # gather those arriving together
                return
            arrived.clear()
            try:
                flush()
            except NotFoundFault:  # destroyed under us
                state["phase"] = ABORTED
            if state["phase"] != EXECUTING or (limit and time.time() - started > limit):
                cancel()
                return

    watcher = threading.Thread(target=beat, name=f"job-{job_id}", daemon=True)
    watcher.start()
    try:
        for index, outcome in submit(pending):
            with lock:
                fresh[index] = outcome
            arrived.set()
            if state["phase"] != EXECUTING:
                break
    finally:
        stop.set()
        watcher.join()
    try:
        flush()
    except NotFoundFault:
        return job
    if state["phase"] != EXECUTING:
        return jobs.get(job_id) or job
    if limit and time.time() - started > limit:
        return jobs.update(
            job_id, _finish(ERROR, f"the job ran past its execution duration ({limit} s)")
        )
    final = jobs.update(job_id, _finish(COMPLETED))
    if final.kind == STACK and final.phase == COMPLETED:
        from service.stacks.outputs import write_index

        write_index(services, final)
    return final


def scheduler_knows(dask_scheduler: Any, key: str) -> bool:  # noqa: ANN401
    """Run on the scheduler: whether it holds task ``key``."""
    return key in dask_scheduler.tasks


def run_job(settings: Settings, job_id: str) -> str:
    """A job, as the Dask task that owns it: its frames are tasks of their own."""
    from distributed import as_completed, worker_client

    services = worker_services(settings)
    with worker_client() as client:
        futures = []

        def submit(tasks: list[tuple]) -> Iterable[tuple[int, Outcome]]:
            futures.extend(
                client.submit(frame_task, settings, *t, pure=False, retries=1) for t in tasks
            )
            for future in as_completed(futures):
                if future.status == "finished":
                    yield future.result()
                elif future.status == "error":
                    index = futures.index(future)
                    yield tasks[index][2], Outcome("error", f"FatalFault: {future.exception()}")

        def cancel() -> None:
            client.cancel(futures)

        job = execute(services, job_id, submit, cancel)
    return job.phase


def run_here(services: Any, job_id: str, threads: int) -> Job:  # noqa: ANN401
    """Run a job on threads of this process (synchronous stacks; no Dask)."""
    from concurrent.futures import ThreadPoolExecutor, as_completed

    pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="frames")
    futures = []

    def submit(tasks: list[tuple]) -> Iterable[tuple[int, Outcome]]:
        futures.extend(
            pool.submit(lambda t: (t[2], cut_frame(services, *t)), task) for task in tasks
        )
        for future in as_completed(futures):
            yield future.result()

    def cancel() -> None:
        for future in futures:
            future.cancel()

    try:
        return execute(services, job_id, submit, cancel)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
