"""The replica's budget: kept without listing the whole cache on every write."""

from __future__ import annotations

import time

from service.rangeread.replica import EVICT_TO, RESCAN_S, Replica


class Listing(Replica):
    """A replica that counts the ``.ranges`` files it reads (one per replica listed)."""

    reads = 0

    def _ranges_of(self, path):  # noqa: ANN001, ANN205
        type(self).reads += 1
        return Replica._ranges_of(path)


def fill(cache: Replica, names: range, size: int) -> None:
    for i in names:
        cache.open("store", f"object-{i}", "etag", size).write([(0, bytes(size))])


def test_writes_under_the_budget_do_not_list_the_cache(tmp_path):
    cache = Listing(tmp_path, 10_000_000)
    Listing.reads = 0
    fill(cache, range(60), 1000)
    # listing on every write would read 1 + 2 + ... + 60 = 1,830 files
    assert Listing.reads <= 60, Listing.reads
    assert cache.usage() == 60_000


def test_a_cache_past_its_budget_is_evicted_below_it(tmp_path):
    cache = Replica(tmp_path, 50_000)
    for i in range(120):
        fill(cache, range(i, i + 1), 1000)
        assert cache.usage() <= 50_000  # one process: its estimate is exact
    assert cache.usage() <= 50_000 and cache.usage() >= EVICT_TO * 50_000 - 1000


def test_other_processes_writes_are_seen_at_the_next_listing(tmp_path):
    mine, other = Replica(tmp_path, 50_000), Replica(tmp_path, 10_000_000)
    fill(mine, range(0, 10), 1000)
    fill(other, range(10, 80), 1000)
    fill(mine, range(80, 81), 1000)  # within RESCAN_S: its own estimate, 11,000 bytes
    assert mine.usage() == 81_000  # the budget passed by what the other wrote
    time.sleep(RESCAN_S + 0.1)
    fill(mine, range(81, 82), 1000)  # listed again: evicted below the budget
    assert mine.usage() <= EVICT_TO * 50_000
