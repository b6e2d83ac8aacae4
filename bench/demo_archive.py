"""Generation time and size of the default demo archive and of one 20,000 px plate.

Run: ``.venv/bin/python -m bench.demo_archive [--size 20000] [--skip-default]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from service.demo.generate import generate_archive


def _measure(label: str, root: Path, **kwargs: object) -> None:
    start = time.perf_counter()
    ids = generate_archive(root, **kwargs)
    elapsed = time.perf_counter() - start
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    mosaics = sum(p.stat().st_size for p in root.glob("mosaics/*/*"))
    print(
        f"| {label} | {len(ids)} | {elapsed:.1f} s | {size / 1e6:.1f} MB | {mosaics / 1e6:.1f} MB |"
    )


def main() -> None:
    """Print a Markdown table of generation figures."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", type=int, default=20000)
    parser.add_argument("--series", default="a")
    parser.add_argument("--skip-default", action="store_true")
    args = parser.parse_args()
    print("| archive | plates | time | total size | mosaics |")
    print("|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_default:
            _measure("default (12 plates, 2,000-3,200 px)", Path(tmp) / "default")
        _measure(
            f"one {args.size:,} px plate, series {args.series}",
            Path(tmp) / "big",
            plates=1,
            size=args.size,
            series=[args.series],
        )


if __name__ == "__main__":
    main()
