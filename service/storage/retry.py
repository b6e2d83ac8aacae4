"""Retrying transient failures with exponential backoff and full jitter."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from service.faults import TransientFault
from service.storage.base import FetchStats, RetryPolicy

T = TypeVar("T")


class Transient(Exception):
    """Raised inside a store for a failure worth retrying (5xx, throttling, reset, short body)."""


def with_retries(call: Callable[[], T], policy: RetryPolicy, stats: FetchStats, what: str) -> T:
    """Run ``call``, retrying :class:`Transient` failures.

    Parameters
    ----------
    call
        The attempt; raises :class:`Transient` for a retryable failure.
    policy
        Attempts and backoff.
    stats
        Counts retries.
    what
        Description for the final error (e.g. ``GET s3://b/k bytes 0-99``).

    Raises
    ------
    TransientFault
        When every attempt failed.
    """
    last: Exception | None = None
    for attempt in range(policy.max_attempts):
        if attempt:
            stats.add(retries=1)
            cap = min(policy.backoff_max_s, policy.backoff_base_s * 2 ** (attempt - 1))
            time.sleep(random.uniform(0.0, cap))
        try:
            return call()
        except Transient as exc:
            last = exc
    raise TransientFault(
        f"the archive store did not answer after {policy.max_attempts} attempts; try again later",
        detail=f"{what}: {last}",
    )
