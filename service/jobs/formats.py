"""The one table of stack formats: how RESPONSEFORMAT names each, the product file it
asks for, and the file suffixes the command line knows it by. The SODA parser, its
descriptor, the command line, the job's result list and the product makers all derive
from it.

Depends on nothing else in the package.
"""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class StackFormat:
    """One way of getting a whole stack.

    Attributes
    ----------
    mime
        The media type RESPONSEFORMAT names (and the answer of /soda/stack carries).
    aliases
        Short forms RESPONSEFORMAT also takes (DALI), and the command line's --format.
    product
        The result file it asks for (``stack.fits``...).
    product_mime
        The media type of that file.
    suffixes
        File suffixes the command line reads as this format.
    """

    mime: str
    aliases: tuple[str, ...]
    product: str
    product_mime: str
    suffixes: tuple[str, ...] = ()


STACK_FORMATS = (
    # one image extension per exposure, then the index
    StackFormat("application/fits", ("fits",), "stack.fits", "application/fits", (".fits", ".fit")),
    StackFormat("image/fits", (), "stack.fits", "application/fits"),
    # a 3-D image (frame, y, x) with the table of times
    StackFormat("application/x-fits-cube", ("cube",), "cube.fits", "application/fits"),
    StackFormat("application/zip", ("zip",), "frames.zip", "application/zip", (".zip",)),
    # contact sheets
    StackFormat("image/png", ("png",), "sheet.png", "image/png", (".png",)),
    StackFormat("application/pdf", ("pdf",), "sheet.pdf", "application/pdf", (".pdf",)),
    # blinks: an animation of the frames in date order
    StackFormat("image/apng", ("apng",), "blink.png", "image/apng", (".apng",)),
    StackFormat("image/webp", ("webp",), "blink.webp", "image/webp", (".webp",)),
    StackFormat("application/json", ("json",), "index.json", "application/json", (".json",)),
)
STACK_MEDIA = tuple(f.mime for f in STACK_FORMATS)
STACK_ALIASES = {alias: f.mime for f in STACK_FORMATS for alias in f.aliases}
#: product file -> its media type, in the order the results list them
PRODUCTS = {f.product: f.product_mime for f in STACK_FORMATS}
#: the file of a frame (or of an async cutout) -> its media type
FILE_MIME = {".fits": "application/fits", ".png": "image/png", ".jpeg": "image/jpeg",
             ".json": "application/json", ".zip": "application/zip", ".pdf": "application/pdf",
             ".webp": "image/webp"}  # fmt: skip


def stack_format(name: str) -> StackFormat | None:
    """The format a RESPONSEFORMAT value or alias names (case-insensitive), or None."""
    name = name.strip().lower()
    return next((f for f in STACK_FORMATS if name == f.mime or name in f.aliases), None)


def format_of_file(path: str) -> StackFormat | None:
    """The format a file name's suffix says (``.fits``, ``.zip``...), or None."""
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path else ""
    return next((f for f in STACK_FORMATS if suffix in f.suffixes), None)


def file_mime(name: str) -> str:
    """The media type of a result file, from its suffix."""
    suffix = "." + name.rsplit(".", 1)[-1] if "." in name else ""
    return FILE_MIME.get(suffix, "application/octet-stream")
