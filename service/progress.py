"""A one-line progress bar for the command line (ingest, stacks)."""

from __future__ import annotations

from typing import TextIO

WIDTH = 30


def draw(
    stream: TextIO | None, label: str, done: int, total: int, unit: str, extra: str = ""
) -> None:
    """Redraw ``label [####....] done/total unit, extra`` on ``stream`` (None: nowhere)."""
    if stream is None:
        return
    filled = WIDTH * done // max(1, total)
    tail = f", {extra}" if extra else ""
    stream.write(f"\r{label} [{'#' * filled}{'.' * (WIDTH - filled)}] {done}/{total} {unit}{tail}")
    stream.flush()
