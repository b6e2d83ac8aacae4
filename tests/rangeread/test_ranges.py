"""Byte-range arithmetic, checked against a bytearray of flags."""

import numpy as np
import pytest

from service.rangeread.ranges import coalesce, merge, split, subtract, total


def flags(ranges, size=10_000):
    out = np.zeros(size, bool)
    for a, b in ranges:
        out[a:b] = True
    return out


def random_ranges(rng, n=40, size=10_000):
    starts = rng.integers(0, size - 200, n)
    return [(int(a), int(a + rng.integers(0, 200))) for a in starts]


@pytest.mark.parametrize("seed", range(20))
def test_merge_subtract_split_agree_with_flags(seed):
    rng = np.random.default_rng(seed)
    a, b = random_ranges(rng), random_ranges(rng)
    merged = merge(a)
    assert np.array_equal(flags(merged), flags(a))
    assert all(x[1] < y[0] for x, y in zip(merged, merged[1:], strict=False))
    assert np.array_equal(flags(subtract(a, merge(b))), flags(a) & ~flags(b))
    parts = split(merged, 37)
    assert max(q - p for p, q in parts) <= 37 and np.array_equal(flags(parts), flags(a))


@pytest.mark.parametrize("seed", range(20))
def test_coalesce_covers_everything_within_its_waste_budget(seed):
    rng = np.random.default_rng(seed)
    needed = merge(random_ranges(rng))
    out = coalesce(needed, max_gap=150, waste_fraction=0.01, waste_bytes=300)
    assert np.array_equal(flags(out) & flags(needed), flags(needed))
    waste = total(out) - total(needed)
    assert 0 <= waste <= 0.01 * total(needed) + 300
    assert len(out) <= len(needed)
    gaps_bridged = [g for g in (b[0] - a[1] for a, b in zip(needed, needed[1:], strict=False))]
    assert all(g > 0 for g in gaps_bridged)


def test_coalesce_prefers_small_gaps():
    needed = [(0, 100), (110, 200), (1000, 1100), (1300, 1400)]
    assert coalesce(needed, max_gap=500, waste_fraction=0, waste_bytes=10) == [
        (0, 200),
        (1000, 1100),
        (1300, 1400),
    ]
    assert coalesce(needed, max_gap=100, waste_fraction=0, waste_bytes=10_000) == [
        (0, 200),
        (1000, 1100),
        (1300, 1400),
    ]
    assert coalesce(needed, max_gap=1000, waste_fraction=0, waste_bytes=10_000) == [(0, 1400)]
