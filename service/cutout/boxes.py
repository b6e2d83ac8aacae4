"""Cutouts of one mosaic made together: boxes whose rows overlap are read as one box
when that decodes fewer tiles than reading them apart (fpack's row tiles make every
box decode its rows whole, so two exposures of one plate near the same rows share
most of their decoding), and each cutout is resampled from its own box in that read.

Depends on the cutout engine and :mod:`service.rangeread` (the image's layout, reads).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator

from service.catalog.records import CutoutSource
from service.cutout.engine import (
    CutoutEngine,
    CutoutRequest,
    CutoutResult,
    NoOverlap,
    Planned,
    version_of,
)
from service.rangeread.fitsmeta import CompressedImage, Image
from service.rangeread.reader import BoxRead, MosaicVersion
from service.storage.base import FetchStats

log = logging.getLogger(__name__)

Box = tuple[int, int, int, int]  # x0, x1, y0, y1: half-open, stored pixels


def cost(image: Image | None, box: Box) -> int:
    """Pixels decoded (compressed: whole tiles) or read (plain) for ``box``."""
    x0, x1, y0, y1 = box
    if isinstance(image, CompressedImage):
        return len(image.tiles_for_box(x0, x1, y0, y1)) * image.tile[0] * image.tile[1]
    return (x1 - x0) * (y1 - y0)


def union(a: Box, b: Box) -> Box:
    """The smallest box holding ``a`` and ``b``."""
    return min(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), max(a[3], b[3])


def read_together(
    boxes: list[Box], image: Image | None, most_pixels: int
) -> list[tuple[Box, list[int]]]:
    """The reads that give every box: (box read, indices of the boxes it holds), each
    index once, in the order of their first rows. Boxes are joined, in order of their
    first row, while their rows overlap, the joined box costs less than its parts read
    apart and it holds at most ``most_pixels`` pixels (a cutout's own limit of source
    pixels). Without the image's layout (``None``), every box is read alone."""
    order = sorted(range(len(boxes)), key=lambda i: (boxes[i][2], boxes[i][0]))
    reads: list[tuple[Box, list[int], int]] = []  # box, members, their cost apart
    for i in order:
        box = boxes[i]
        if reads and image is not None:
            joined, members, apart = reads[-1]
            both = union(joined, box)
            x0, x1, y0, y1 = both
            if (
                box[2] < joined[3]  # rows overlap
                and (x1 - x0) * (y1 - y0) <= most_pixels
                and cost(image, both) < apart + cost(image, box)
            ):
                reads[-1] = (both, [*members, i], apart + cost(image, box))
                continue
        reads.append((box, [i], cost(image, box)))
    return [(box, members) for box, members, _ in reads]


def make_many(
    engine: CutoutEngine, items: list[tuple[CutoutSource, CutoutRequest]]
) -> Iterator[tuple[int, CutoutResult | NoOverlap | Exception]]:
    """Make the cutouts of ``items`` with ``engine``, each of its own mosaic or several
    of one: cutouts of one mosaic version whose boxes :func:`read_together` joins read
    them once, each resampled from its own box in that read, so that each is the
    cutout :meth:`CutoutEngine.make` gives. A joined read that fails is read again box
    by box, so that a failure is each cutout's own.

    Yields
    ------
    tuple
        The index of each item and its cutout, NoOverlap, or the exception making it
        raised, as each is made (a caller done with one holds one cutout at a time).
    """
    plans: dict[tuple[str, str], tuple[MosaicVersion, list[tuple[int, Planned]]]] = {}
    for i, (source, request) in enumerate(items):
        try:
            native = request.native  # made at once: its box is in the solution's frame
            planned = engine.make(source, request) if native else engine.plan(source, request)
        except Exception as exc:  # noqa: BLE001 - each cutout's outcome is its own
            yield i, exc
            continue
        if isinstance(planned, Planned):
            version = version_of(source)
            mosaic = (source.exposure.object_key, version.info.etag)
            plans.setdefault(mosaic, (version, []))[1].append((i, planned))
        else:  # a native cutout, made; or no overlap
            yield i, planned
    for (key, _), (version, group) in plans.items():
        boxes = [p.box for _, p in group]
        for box, members in read_together(boxes, version.image, engine.limits.max_source_pixels):
            joined = _read_joined(engine, key, box, version) if len(members) > 1 else None
            for n, m in enumerate(members):
                i, planned = group[m]
                try:
                    if joined is None:
                        read = engine.reader.read_box(key, planned.box, version, FetchStats())
                    elif n == 0:  # the read's cost is the first cutout's
                        read = joined
                    else:
                        read = dataclasses.replace(
                            joined, stats=FetchStats(), minimum_bytes=0, fetch_s=0.0, decode_s=0.0
                        )
                    made: CutoutResult | Exception = engine.finish(planned, read)
                except Exception as exc:  # noqa: BLE001 - each cutout's outcome is its own
                    made = exc
                yield i, made
                del made  # the caller holds it now, or is done with it


def _read_joined(
    engine: CutoutEngine, key: str, box: Box, version: MosaicVersion
) -> BoxRead | None:
    """A box holding several cutouts' boxes; None if it cannot be read (they are then
    read apart, each failing or not on its own)."""
    try:
        return engine.reader.read_box(key, box, version, FetchStats())
    except Exception:  # noqa: BLE001 - read apart, each gets its own outcome
        log.info("%s: joined read of box %s failed; reading its cutouts apart", key, box)
        return None
