"""Retrying what may pass: exponential backoff with full jitter.

The one retry loop of the package: object stores (5xx, throttling, resets, short
bodies), the DynamoDB catalog (unprocessed keys and items) and the DynamoDB job store
(a version that changed under an update) all call :func:`retry`. Depends on nothing
else in the package.
"""

from __future__ import annotations

import dataclasses
import random
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Transient(Exception):
    """Raised by an attempt whose failure is worth another try."""


@dataclasses.dataclass(frozen=True)
class Backoff:
    """How often to try, and how long to wait between tries (the n-th wait is uniform
    in [0, min(max_s, base_s * 2**(n-1))]: full jitter)."""

    attempts: int
    base_s: float
    max_s: float

    def wait(self, retry: int) -> float:
        """Seconds to wait before retry number ``retry`` (1-based)."""
        return random.uniform(0.0, min(self.max_s, self.base_s * 2 ** (retry - 1)))


def retry(
    attempt: Callable[[], T],
    backoff: Backoff,
    give_up: Callable[[Transient | None], Exception],
    on_retry: Callable[[], None] | None = None,
) -> T:
    """Run ``attempt`` until it returns, retrying :class:`Transient` failures.

    Parameters
    ----------
    attempt
        One try; raises :class:`Transient` for a failure worth retrying.
    backoff
        Attempts and waits.
    give_up
        Makes the exception raised when every attempt failed (from the last failure).
    on_retry
        Called before each retry (e.g. to count it).

    Raises
    ------
    Exception
        What ``give_up`` makes, once ``backoff.attempts`` attempts failed.
    """
    last: Transient | None = None
    for n in range(max(1, backoff.attempts)):
        if n:
            if on_retry is not None:
                on_retry()
            time.sleep(backoff.wait(n))
        try:
            return attempt()
        except Transient as exc:
            last = exc
    raise give_up(last)
