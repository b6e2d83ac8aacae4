"""The Dask worker side of jobs: the tasks a worker runs (a job's own task, which fans
its frames out; the frames of one mosaic) and the parts of its process, built once
from the settings.

A worker imports the cutout path, the stores and Dask; never Flask, the VO layer or
the job service.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from service.jobs.model import Outcome
from service.jobs.run import FrameTask, by_mosaic, cut_frames, execute, pack
from service.settings import Settings
from service.wiring import Services, settle

if TYPE_CHECKING:
    from distributed import Future


def warm() -> None:
    """Import what frames need and set up the decoders, so that a worker's first frame
    costs what the others do (run on every worker of a cluster by
    :class:`service.jobs.plugin.WarmUp`)."""
    import astropy.wcs  # noqa: F401
    import scipy.ndimage  # noqa: F401

    from service.rangeread import decode

    decode.warm_up()
    settle()


@functools.lru_cache(maxsize=4)
def worker_services(settings: Settings) -> Services:
    """The parts of this (Dask worker) process, built once per settings. A worker
    process is a core's worth of frames: they run in parallel as tasks, so that some
    wait for the store while one computes (one compute slot, one decode thread)."""
    cutout = dataclasses.replace(settings.cutout, decode_threads=1, compute_slots=1)
    return Services(dataclasses.replace(settings, cutout=cutout))


def frames_task(settings: Settings, batch: list[FrameTask]) -> list[tuple[int, Outcome]]:
    """The frames of one mosaic, as a Dask task."""
    parts = worker_services(settings)
    return cut_frames(batch, parts.cutouts, parts.job_results)


def scheduler_knows(dask_scheduler: Any, key: str) -> bool:  # noqa: ANN401
    """Run on the scheduler: whether it holds task ``key``."""
    return key in dask_scheduler.tasks


def run_job(settings: Settings, job_id: str) -> str:
    """A job, as the Dask task that owns it: its frames are tasks of their own."""
    from distributed import as_completed, worker_client

    parts = worker_services(settings)
    with worker_client() as client:
        batches: dict[Future, list[FrameTask]] = {}  # each frame task's future: its frames

        def submit(todo: list[FrameTask]) -> Iterable[tuple[int, Outcome]]:
            slots = sum(client.nthreads().values())
            batches.update(  # all at once: cancel() may read it from the job's watcher
                {
                    client.submit(frames_task, settings, b, pure=False, retries=1): b
                    for b in pack(by_mosaic(todo), slots)
                }
            )
            for future in as_completed(list(batches)):
                if future.status == "finished":
                    yield from future.result()
                elif future.status == "error":
                    error = Outcome("error", f"FatalFault: {future.exception()}")
                    yield from ((t.index, error) for t in batches[future])

        def cancel() -> None:
            client.cancel(list(batches))

        job = execute(job_id, parts.jobs, parts.job_results, submit, cancel)
    return job.phase
