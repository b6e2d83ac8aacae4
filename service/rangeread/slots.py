"""Compute slots: how many cutouts of one process use the CPU at once.

A Dask worker process is one core's worth of frames: it cuts several at once so that
some wait for the store while another decodes, but two decoding or resampling
together on one core only share it, and pay for the sharing (the GIL passed between
threads, caches evicted). A frame holds a slot while it computes and lends it while
it waits for the store (:meth:`ComputeSlots.waiting`, around the reader's fetches),
so that a warm stack computes one frame at a time per worker and a cold one still
overlaps its round trips with decoding.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class ComputeSlots:
    """At most ``slots`` threads of this process inside :meth:`computing` at once
    (0: no limit, both methods do nothing).

    Parameters
    ----------
    slots
        The number of slots.
    """

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._free = threading.BoundedSemaphore(max(1, slots))
        self._held = threading.local()

    def _holds(self) -> bool:
        return getattr(self._held, "slot", False)

    @contextlib.contextmanager
    def computing(self) -> Iterator[None]:
        """Hold a slot (waiting for one) for the block; within a block that holds one
        already, nothing more."""
        if not self.slots or self._holds():
            yield
            return
        self._free.acquire()
        self._held.slot = True
        try:
            yield
        finally:
            self._held.slot = False
            self._free.release()

    @contextlib.contextmanager
    def waiting(self) -> Iterator[None]:
        """Around a wait for something else than the CPU: the slot this thread holds
        (if any) goes to another thread meanwhile, and is held again after."""
        if not self._holds():
            yield
            return
        self._held.slot = False
        self._free.release()
        try:
            yield
        finally:
            self._free.acquire()
            self._held.slot = True
