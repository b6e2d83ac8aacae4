"""The executor of jobs on a Dask cluster (``stacks.scheduler``): RUN hands the job's
own task (:func:`service.jobs.worker.run_job`) to the scheduler, which keeps it when
the web worker that submitted it is gone."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from service.faults import TransientFault
from service.jobs.worker import run_job, scheduler_knows
from service.settings import Settings

#: how long the scheduler may take to acknowledge a job
TAKE_S = 10.0


class DaskExecutor:
    """Runs jobs on the Dask cluster of ``settings.stacks.scheduler``.

    Parameters
    ----------
    settings
        Sent with each job: the workers build their parts from them.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def client(self) -> Any:  # noqa: ANN401 - distributed.Client
        """The client of the scheduler (connected on first use).

        Raises
        ------
        TransientFault
            If no scheduler is configured or it cannot be reached.
        """
        return self._connect()

    def _connect(self) -> Any:  # noqa: ANN401
        from distributed import Client

        address = self.settings.stacks.scheduler
        if not address:
            raise TransientFault(
                "no Dask scheduler: stacks.scheduler is empty and no local cluster runs "
                "(`make serve` starts one; elsewhere set PLATECUT_STACKS_SCHEDULER)"
            )
        with self._lock:
            if self._client is None:
                from service.jobs.plugin import WarmUp

                try:
                    client = Client(address, timeout=10, set_as_default=False)
                except (OSError, TimeoutError) as exc:
                    raise TransientFault(f"the Dask scheduler {address} cannot be reached") from exc
                client.register_plugin(WarmUp())  # workers of any cluster, and those joining
                self._client = client
            return self._client

    def submit(self, job_id: str, queued: Callable[[], bool]) -> None:
        """Fire the job's task and wait until the scheduler holds it (messages to the
        scheduler are batched), so that the job outlives this process; ``queued`` says
        whether the job still waits (once it ran or was aborted, waiting is over).

        Raises
        ------
        TransientFault
            If the scheduler cannot be reached or does not take the job in time.
        """
        from distributed import fire_and_forget

        client = self._connect()
        key = f"job-{job_id}"
        fire_and_forget(client.submit(run_job, self.settings, job_id, pure=False, key=key))
        deadline = time.monotonic() + TAKE_S
        while not client.run_on_scheduler(scheduler_knows, key=key):
            if not queued():
                return
            if time.monotonic() > deadline:
                raise TransientFault(f"the Dask scheduler did not take the job in {TAKE_S:g} s")
            time.sleep(0.02)

    def close(self) -> None:
        """Close the client, if one was opened."""
        with self._lock:
            if self._client is not None:
                self._client.close()
                self._client = None
