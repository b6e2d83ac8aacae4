"""The worker plugin that readies every worker of a cluster for frames: registered by
whoever connects to the scheduler (the local cluster, the job executor of each web
worker), it runs :func:`service.jobs.worker.warm` on the workers there are and on every
worker that joins later or is restarted, including those of a cluster an operator
started with plain ``dask worker`` commands.

Imports Dask: only the job executor and the local cluster import it, when they connect.
"""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from service.jobs.worker import warm


class WarmUp(WorkerPlugin):
    """Runs :func:`~service.jobs.worker.warm` once in each worker process."""

    name = "platecut-warm-up"
    idempotent = True  # registered again by each web worker: workers that have it keep it

    def setup(self, worker: Any) -> None:  # noqa: ANN401, ARG002 - distributed.Worker
        """Warm the worker (imports, decoder tables, start-up objects frozen)."""
        warm()
