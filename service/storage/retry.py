"""The stores' use of :func:`service.retry.retry`: retries counted in the request's
fetch statistics, and one message when the store never answered."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from service.faults import TransientFault
from service.retry import Backoff, Transient, retry
from service.storage.base import FetchStats, RetryPolicy

T = TypeVar("T")

__all__ = ["Transient", "with_retries"]


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
        Description for the log (e.g. ``GET s3://b/k bytes 0-99``).

    Raises
    ------
    TransientFault
        When every attempt failed.
    """

    def give_up(last: Transient | None) -> TransientFault:
        return TransientFault(
            f"the archive store did not answer after {policy.max_attempts} attempts; "
            "try again later",
            detail=f"{what}: {last}",
        )

    backoff = Backoff(policy.max_attempts, policy.backoff_base_s, policy.backoff_max_s)
    return retry(call, backoff, give_up, lambda: stats.add(retries=1))
