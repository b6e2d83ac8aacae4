"""Running a job: each frame is a task (on Dask, or on threads of this process for a
small synchronous stack) carrying the pixel source it was planned with, its result
files written to the result store, its outcome recorded in the job.

:func:`execute` drives one job wherever it runs: it reports a heartbeat, records
outcomes as they come, watches for ABORT and the execution duration, resumes where
it stopped if run again (its worker died), and writes a stack's index and the product
its RESPONSEFORMAT asks for before the job is COMPLETED.
A frame that fails is an outcome with its error, never a failed job.

Depends on the cutout service, the job model, stores and products; never on Flask,
Dask or the catalog.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed

import numpy as np

from service.catalog.records import CutoutSource
from service.cutout.engine import CutoutRequest, CutoutResult, NoOverlap
from service.cutout.service import FITS_TYPES, CutoutService, CutoutSpec
from service.faults import Fault, NotFoundFault
from service.jobs.model import (
    ABORTED,
    COMPLETED,
    ERROR,
    EXECUTING,
    QUEUED,
    STACK,
    Job,
    Outcome,
    now,
)
from service.jobs.outputs import write_products
from service.jobs.plan import Plan
from service.jobs.results import ResultStore
from service.jobs.store import JobStore

log = logging.getLogger(__name__)
HEARTBEAT_S = 2.0  # a running job reports at least this often
FLUSH_S = 0.25  # outcomes are recorded this soon after they come (progress, first frame)
BATCH = 4  # frames cut in turn by one task, at most
SPREAD = 4  # a packed job keeps at least this many tasks per thread of the cluster


@dataclasses.dataclass(frozen=True)
class FrameTask:
    """One frame to cut: where it goes, what it is cut from, and how."""

    job_id: str
    kind: str
    index: int
    obs_id: str
    source: CutoutSource | None  # None: the catalog did not know the identifier
    spec: CutoutSpec
    mime: str


def frame_names(index: int, kind: str, mime: str) -> tuple[str, ...]:
    """Result files of frame ``index``: its FITS (and PNG preview for stacks, made from
    the FITS when first asked for), or the format asked for (async cutouts)."""
    stem = f"frame-{index + 1:04d}"
    if kind == STACK:
        return (f"{stem}.fits", f"{stem}.png")
    if mime in FITS_TYPES:
        return (f"{stem}.fits",)
    return (f"{stem}.{mime.split('/')[1]}",)


def tasks(job: Job, plan: Plan) -> list[FrameTask]:
    """The frames of ``job`` not done yet."""
    return [
        FrameTask(
            job.job_id,
            job.kind,
            i,
            f.obs_id,
            plan.sources.get(f.obs_id),
            job.specs[f.spec],
            job.response_format,
        )  # fmt: skip
        for i, f in enumerate(job.frames)
        if i not in job.outcomes
    ]


def by_mosaic(todo: list[FrameTask]) -> list[list[FrameTask]]:
    """The frames to cut in batches of one mosaic (in the order of their first frames),
    at most BATCH frames each: frames of one plate cut together fetch and decode the rows
    they share once (:func:`cut_frames`) instead of racing to fetch them, and a batch
    running when its job is aborted ends soon."""
    by_key: dict[str, list[FrameTask]] = {}
    for task in todo:
        key = task.source.exposure.object_key if task.source else f"\0{task.index}"
        by_key.setdefault(key, []).append(task)
    return [tasks[i : i + BATCH] for tasks in by_key.values() for i in range(0, len(tasks), BATCH)]


def pack(batches: list[list[FrameTask]], slots: int) -> list[list[FrameTask]]:
    """Join consecutive batches of :func:`by_mosaic` into tasks of at most BATCH frames,
    as long as the job keeps SPREAD tasks for each of the ``slots`` threads that run
    them: a Dask task costs its scheduler and workers milliseconds of CPU, so a stack
    of thousands of single-frame plates is cut in fewer, fuller tasks, while a small
    one is spread over every thread. The last round (``slots`` tasks' worth of frames)
    stays in batches, so that no thread is left with a full task while the others
    have run out of work. A batch is never split."""
    frames = sum(len(b) for b in batches)
    size = max(1, min(BATCH, frames // max(1, SPREAD * slots)))
    packed: list[list[FrameTask]] = []
    left = frames
    for batch in batches:
        left -= len(batch)
        if left < slots * size:  # the tail
            packed.append(batch)
        elif packed and len(packed[-1]) + len(batch) <= size:
            packed[-1] = packed[-1] + batch
        else:
            packed.append(batch)
    return packed


def cut_frames(
    batch: list[FrameTask], cutouts: CutoutService, results: ResultStore
) -> list[tuple[int, Outcome]]:
    """Cut a batch of frames, store their files, and say what became of each: (index,
    outcome). Frames of one mosaic whose rows overlap decode them once
    (:meth:`CutoutService.cut_many`); a frame that fails fails alone."""
    outcomes: dict[int, Outcome] = {}
    todo: list[tuple[FrameTask, CutoutRequest]] = []
    for task in batch:
        try:
            if task.source is None:
                raise NotFoundFault(f"no exposure solution {task.obs_id!r} in the catalog")
            request = cutouts.request_for(task.source.exposure, task.spec)
            if task.kind == STACK:
                request = dataclasses.replace(request, trim=False)  # one grid for every frame
            todo.append((task, request))
        except Exception as exc:  # noqa: BLE001 - a frame never fails the job
            outcomes[task.index] = _failed(task, exc)
    files: dict[int, tuple[float, list[tuple[str, bytes | None, str]]]] = {}
    with cutouts.computing():  # the pixels and the files' bytes; storing them waits
        for i, result in cutouts.cut_many([(task.source, request) for task, request in todo]):
            task = todo[i][0]
            if isinstance(result, Exception):
                outcomes[task.index] = _failed(task, result)
            elif isinstance(result, NoOverlap):
                outcomes[task.index] = Outcome("no-overlap", "the grid misses the plate", 1.0)
            else:
                try:
                    files[task.index] = _frame_files(task, result, cutouts)
                except Exception as exc:  # noqa: BLE001 - a frame never fails the job
                    outcomes[task.index] = _failed(task, exc)
            del result  # its pixels: only the files' bytes are kept until stored
    for task, _ in todo:
        if task.index in files:
            nan, made_files = files.pop(task.index)
            try:
                for name, body, mime in made_files:
                    if body is not None:
                        results.put(task.job_id, name, body, mime)
                names = tuple(name for name, _, _ in made_files)
                outcomes[task.index] = Outcome("ok", "", nan, names)
            except Exception as exc:  # noqa: BLE001 - a frame never fails the job
                outcomes[task.index] = _failed(task, exc)
    return [(task.index, outcomes[task.index]) for task in batch]


def _frame_files(
    task: FrameTask, result: CutoutResult, cutouts: CutoutService
) -> tuple[float, list[tuple[str, bytes | None, str]]]:
    """A frame's fraction of NaN pixels, and its files: name, bytes and media type of
    each (bytes None: made when first asked for, as a stack frame's preview is, by
    :mod:`service.jobs.outputs`)."""
    result.header["FRAME"] = (task.index + 1, "frame of the job (1-based, date order)")
    result.header["OBS_ID"] = (task.obs_id, "exposure solution")
    result.header["PUBDID"] = (task.source.exposure.publisher_did[-68:], "its publisher DID")
    nan = float(np.isnan(result.data).mean()) if result.data.dtype.kind == "f" else 0.0
    files: list[tuple[str, bytes | None, str]] = []
    for name in frame_names(task.index, task.kind, task.mime):
        if name.endswith(".fits"):
            files.append((name, result.to_fits(), "application/fits"))
        elif task.kind == STACK:
            files.append((name, None, task.mime))
        else:
            files.append(
                (name, cutouts.render(result, task.mime, task.spec.preview).body, task.mime)
            )
    return nan, files


def _failed(task: FrameTask, exc: Exception) -> Outcome:
    """The outcome of a frame that failed with ``exc``."""
    if isinstance(exc, Fault):
        return Outcome("error", f"{exc.dali_label}: {exc}"[:500], 1.0)
    log.error("frame %d of job %s", task.index, task.job_id, exc_info=exc)
    return Outcome("error", f"FatalFault: {type(exc).__name__}"[:500], 1.0)


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


Submit = Callable[[list[FrameTask]], Iterable[tuple[int, Outcome]]]


def execute(
    job_id: str, store: JobStore, results: ResultStore, submit: Submit, cancel: Callable[[], None]
) -> Job:
    """Run the frames of a job that are not done yet, recording outcomes as they come,
    a heartbeat, and stopping at ABORT or past the execution duration.

    ``submit`` runs frame tasks and yields (index, outcome) as they finish; ``cancel``
    stops those not started.
    """
    job = store.update(job_id, _begin)
    if job.phase != EXECUTING:
        return job
    plan = Plan.load(results, job_id)
    started = job.started.timestamp() if job.started else time.time()
    limit = job.execution_duration
    fresh: dict[int, Outcome] = {}
    lock, flushing = threading.Lock(), threading.Lock()
    stop, arrived = threading.Event(), threading.Event()
    state: dict = {"phase": EXECUTING, "job": job}

    def flush() -> None:  # one at a time: state["job"] holds every outcome taken
        def change(current: Job) -> None:
            current.outcomes.update(batch)
            current.heartbeat = time.time()

        with flushing:
            with lock:
                batch = dict(fresh)
                fresh.clear()
            state["job"] = store.update(job_id, change)
            state["phase"] = state["job"].phase

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

    def products() -> None:  # the watcher keeps reporting meanwhile
        try:
            flush()  # every outcome recorded: the products are made from them
            if state["phase"] == EXECUTING and not (limit and time.time() - started > limit):
                write_products(results, state["job"], plan)
        except NotFoundFault:  # destroyed under us
            pass
        except Exception:  # noqa: BLE001 - made on first request instead
            log.exception("the products of stack %s", job_id)

    watcher = threading.Thread(target=beat, name=f"job-{job_id}", daemon=True)
    watcher.start()
    try:
        for index, outcome in submit(tasks(job, plan)):
            with lock:
                fresh[index] = outcome
            arrived.set()
            if state["phase"] != EXECUTING:
                break
        if job.kind == STACK:  # its results are there when a client sees it COMPLETED
            products()
    finally:
        stop.set()
        watcher.join()
    try:
        flush()
    except NotFoundFault:
        return job
    if state["phase"] != EXECUTING:
        return store.get(job_id) or job
    if limit and time.time() - started > limit:
        return store.update(
            job_id, _finish(ERROR, f"the job ran past its execution duration ({limit} s)")
        )
    return store.update(job_id, _finish(COMPLETED))


def run_here(
    job_id: str, store: JobStore, results: ResultStore, cutouts: CutoutService, threads: int
) -> Job:
    """Run a job on threads of this process (synchronous stacks; no Dask)."""
    pool = ThreadPoolExecutor(max(1, threads), thread_name_prefix="frames")
    futures = []

    def submit(todo: list[FrameTask]) -> Iterable[tuple[int, Outcome]]:
        futures.extend(pool.submit(cut_frames, b, cutouts, results) for b in by_mosaic(todo))
        for future in as_completed(futures):
            yield from future.result()

    def cancel() -> None:
        for future in futures:
            future.cancel()

    try:
        return execute(job_id, store, results, submit, cancel)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
