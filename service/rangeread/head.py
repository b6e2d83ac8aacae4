"""Reading the head of a FITS object: its leading bytes up to the image header's end,
with the object's size and ETag, in one round trip (more only for a longer header).

Depends on the object-store interface and :mod:`service.rangeread.fitsmeta`.
"""

from __future__ import annotations

from service.faults import CorruptDataFault
from service.rangeread.fitsmeta import FitsStructureError, Image, locate_image
from service.storage.base import FetchStats, ObjectInfo, ObjectStore

#: leading bytes read at first: eight FITS blocks hold the headers of an fpack file
HEADER_INITIAL_BYTES = 8 * 2880


def read_header(
    store: ObjectStore, key: str, initial_bytes: int, stats: FetchStats
) -> tuple[bytes, ObjectInfo, Image]:
    """The leading bytes of a FITS object up to its image header's end, the object's
    size and ETag, and the image's layout: one round trip (more only for a header
    longer than ``initial_bytes``).

    Raises
    ------
    NotFoundFault, TransientFault, CorruptDataFault
    """
    stats.add(phases=1)
    buf, info = store.read_head(key, initial_bytes, stats)
    while True:
        try:
            image = locate_image(buf)
        except FitsStructureError as exc:
            raise CorruptDataFault(f"{key}: {exc}") from exc
        if not isinstance(image, int):
            return buf, info, image
        if len(buf) >= info.size:
            raise CorruptDataFault(f"{key}: no 2-D image found")
        want = min(max(image, 2 * len(buf)), info.size)
        stats.add(phases=1)
        buf += store.read_range(key, len(buf), want, info.etag, stats)
