"""Compute slots: at most so many threads compute at once, a wait for the store lends
the slot, and a block inside a block that holds one does not wait for itself."""

from __future__ import annotations

import threading
import time

import pytest

from service.rangeread.slots import ComputeSlots


def crowd(slots: ComputeSlots, threads: int, work) -> int:  # noqa: ANN001
    """Run ``work`` inside ``computing`` on ``threads`` threads; the most inside at once."""
    inside, most, lock = [0], [0], threading.Lock()

    def run() -> None:
        with slots.computing():
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            work()
            with lock:
                inside[0] -= 1

    pool = [threading.Thread(target=run) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join(10)
    assert not any(t.is_alive() for t in pool)
    return most[0]


@pytest.mark.parametrize("n", [1, 2])
def test_at_most_n_compute_at_once(n):
    assert crowd(ComputeSlots(n), 6, lambda: time.sleep(0.05)) == n


def test_no_limit_lets_every_thread_in():
    assert crowd(ComputeSlots(0), 6, lambda: time.sleep(0.1)) == 6


def test_a_wait_lends_the_slot_and_takes_it_back():
    slots = ComputeSlots(1)
    lent, entered, done = threading.Event(), threading.Event(), threading.Event()

    def other() -> None:
        lent.wait(5)
        with slots.computing():
            entered.set()

    t = threading.Thread(target=other)
    t.start()
    with slots.computing():
        with slots.waiting():
            lent.set()
            assert entered.wait(5)  # the other thread computed while this one waited
        t.join(5)

        # the slot is held again: a third thread waits until this block ends
        def third_thread() -> None:
            with slots.computing():
                done.set()

        third = threading.Thread(target=third_thread)
        third.start()
        assert not done.wait(0.2)
    assert done.wait(5)
    third.join(5)


def test_nested_blocks_and_waits_outside_a_slot_do_not_block():
    slots = ComputeSlots(1)
    with slots.waiting():  # no slot held: nothing to lend
        pass
    with slots.computing():
        with slots.computing():  # the same thread: no second slot
            pass
        with slots.waiting():
            pass
    assert crowd(slots, 2, lambda: None) == 1  # and every slot came back
