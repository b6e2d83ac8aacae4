"""The one retry loop: what is retried, how often, how long it waits, what it raises."""

from __future__ import annotations

import time

import pytest

from service.retry import Backoff, Transient, retry


class GaveUp(Exception):
    pass


def test_transient_failures_are_retried_until_an_attempt_succeeds():
    calls, retries = [], []

    def attempt() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise Transient("not yet")
        return "done"

    assert retry(attempt, Backoff(5, 0.001, 0.002), GaveUp, lambda: retries.append(1)) == "done"
    assert len(calls) == 3 and len(retries) == 2


def test_after_the_last_attempt_give_up_gets_the_last_failure():
    seen = []

    def give_up(last: Transient | None) -> GaveUp:
        seen.append(str(last))
        return GaveUp()

    def attempt() -> None:
        raise Transient(f"failure {len(seen)}")

    with pytest.raises(GaveUp):
        retry(attempt, Backoff(3, 0.0, 0.0), give_up)
    assert seen == ["failure 0"]


def test_other_exceptions_are_not_retried():
    calls = []

    def attempt() -> None:
        calls.append(1)
        raise KeyError("a bug, not a transient failure")

    with pytest.raises(KeyError):
        retry(attempt, Backoff(5, 0.0, 0.0), GaveUp)
    assert len(calls) == 1


def test_waits_grow_exponentially_up_to_the_cap_with_full_jitter():
    backoff = Backoff(10, 0.1, 0.5)
    for n, cap in ((1, 0.1), (2, 0.2), (3, 0.4), (4, 0.5), (9, 0.5)):
        waits = [backoff.wait(n) for _ in range(400)]
        assert min(waits) >= 0.0 and max(waits) <= cap
        assert max(waits) > 0.8 * cap  # the whole range is used
    start = time.monotonic()
    with pytest.raises(GaveUp):
        retry(lambda: (_ for _ in ()).throw(Transient("x")), Backoff(3, 0.05, 0.05), GaveUp)
    assert time.monotonic() - start < 1.0
