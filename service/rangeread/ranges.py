"""Byte-range arithmetic: merging, coalescing small gaps, splitting, subtracting."""

from __future__ import annotations

ByteRange = tuple[int, int]


def merge(ranges: list[ByteRange]) -> list[ByteRange]:
    """Sort and merge overlapping or touching ranges; drop empty ones."""
    out: list[ByteRange] = []
    for start, stop in sorted(r for r in ranges if r[1] > r[0]):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], stop))
        else:
            out.append((start, stop))
    return out


def total(ranges: list[ByteRange]) -> int:
    """Bytes covered by (merged) ranges."""
    return sum(stop - start for start, stop in ranges)


def coalesce(
    ranges: list[ByteRange], max_gap: int, waste_fraction: float = 0.01, waste_bytes: int = 32768
) -> list[ByteRange]:
    """Merge ranges across small gaps, smallest gaps first, within a waste budget.

    Parameters
    ----------
    ranges
        Needed ranges.
    max_gap
        No gap larger than this is ever bridged.
    waste_fraction, waste_bytes
        Bridged gaps add up to at most ``waste_fraction * needed + waste_bytes``.

    Returns
    -------
    list of ByteRange
        Fewer, larger ranges covering every needed byte.
    """
    ranges = merge(ranges)
    budget = waste_fraction * total(ranges) + waste_bytes
    gaps = sorted((ranges[i + 1][0] - ranges[i][1], i) for i in range(len(ranges) - 1))
    bridge = set()
    for gap, i in gaps:
        if gap > max_gap or gap > budget:
            break
        budget -= gap
        bridge.add(i)
    out: list[ByteRange] = []
    for i, (start, stop) in enumerate(ranges):
        if out and (i - 1) in bridge:
            out[-1] = (out[-1][0], stop)
        else:
            out.append((start, stop))
    return out


def split(ranges: list[ByteRange], part_size: int) -> list[ByteRange]:
    """Cut ranges longer than ``part_size`` into parts to fetch in parallel."""
    out = []
    for start, stop in ranges:
        while stop - start > part_size:
            out.append((start, start + part_size))
            start += part_size
        out.append((start, stop))
    return out


def subtract(ranges: list[ByteRange], present: list[ByteRange]) -> list[ByteRange]:
    """The parts of ``ranges`` not covered by ``present`` (both merged)."""
    out = []
    j = 0
    for start, stop in merge(ranges):
        while j < len(present) and present[j][1] <= start:
            j += 1
        k, cur = j, start
        while k < len(present) and present[k][0] < stop:
            if present[k][0] > cur:
                out.append((cur, present[k][0]))
            cur = max(cur, present[k][1])
            k += 1
        if cur < stop:
            out.append((cur, stop))
    return out
