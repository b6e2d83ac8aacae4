"""Discovery at DASCH scale: ingest time and query latency on SQLite, DynamoDB costs.

A synthetic catalog of ``--plates`` plates (default 430,000) and about 1.4 exposure
solutions each (600,000), footprints 1-40 degrees across, 70 % of them on a fixed
grid of 2,000 survey fields (so positions are covered many times, like real plate
archives) and 30 % anywhere. Prints the SQLite build time, then for cones of 1', 10',
1 deg and 5 deg at 200 random positions (100 for 5 deg): median and p95 latency and
result counts, and what the same query costs on DynamoDB with our table design:
Query requests (= index partitions touched), index items read and BatchGetItem
requests. The DynamoDB figures are counted from the same index (keys and partitions
as ``service.catalog.dynamodb`` writes them), not measured on AWS.

Run: ``.venv/bin/python -m bench.catalog [--plates 430000] [--db var/bench/catalog.sqlite]``.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np

from service.catalog.dynamodb import PARENT_ORDER, SCAN_THRESHOLD
from service.catalog.index import region_cells
from service.catalog.query import ExposureQuery
from service.catalog.records import ExposureRecord, PlateRecord
from service.catalog.sqlite import SqliteCatalog
from service.sky import Circle
from tests.catalog.conftest import synthetic_footprint


def plates(n: int, seed: int = 0):
    """Yield (plate, exposures) of the synthetic archive."""
    rng = np.random.default_rng(seed)
    fields = np.stack(
        [rng.uniform(0, 360, 2000), np.degrees(np.arcsin(rng.uniform(-1, 1, 2000)))], axis=1
    )
    for i in range(n):
        if rng.random() < 0.7:
            ra, dec = fields[rng.integers(0, 2000)] + rng.normal(0, 0.3, 2)
            ra, dec = float(ra % 360), float(np.clip(dec, -89.9, 89.9))
        else:
            ra, dec = float(rng.uniform(0, 360)), math.degrees(math.asin(rng.uniform(-1, 1)))
        size = float(np.exp(rng.uniform(0, math.log(40))))
        series = "abcdefgh"[i % 8]
        plate_id = f"{series}{i // 8:05d}"  # DASCH's form: a series and a 5-digit number
        plate = PlateRecord(
            plate_id,
            series,
            i // 8,
            f"telescope {series}",
            series.upper(),
            "s",
            0,
            0,
            f"m/{plate_id}",
            f"h/{plate_id}",
            20000,
            20000,
            "e",
        )
        exposures = []
        for s in range(1 if rng.random() < 0.7 else int(rng.integers(2, 4))):
            oid = f"{plate_id}m0s{s}"
            fp = synthetic_footprint(rng, (ra + 0.1 * s * size) % 360, dec, size)
            exposures.append(
                ExposureRecord(
                    oid,
                    f"ivo://x/y?{oid}",
                    plate_id,
                    series,
                    plate.telescope,
                    0,
                    s,
                    s,
                    ra,
                    dec,
                    fp,
                    size,
                    size * 3600 / 20000,
                    15000.0 + i * 0.1,
                    15000.0 + i * 0.1 + 0.04,
                    3600.0,
                    "1900-01-01T00:00:00",
                    20000,
                    20000,
                    plate.object_key,
                    plate.header_key,
                )
            )
        yield plate, exposures


def dynamodb_cost(
    catalog: SqliteCatalog, region: Circle, orders: list[int], candidates: int
) -> tuple[int, int, int]:
    """(Query requests, index items, BatchGetItem requests) of our DynamoDB design."""
    db = catalog._db()
    queries = items = 0
    parents: set[int] = set()
    for order in orders:
        cells = region_cells(region, order)
        if order < PARENT_ORDER:
            queries += len(cells)
            items += _count(db, order, cells)
        else:
            parents |= set(region_cells(region, PARENT_ORDER))
    for order in orders:  # every finer cell's items in the parents touched
        if order >= PARENT_ORDER:
            shift = 2 * (order - PARENT_ORDER)
            items += sum(
                1
                for (cell,) in db.execute("SELECT cell FROM cells WHERE ord = ?", (order,))
                if cell >> shift in parents
            )
    queries += len(parents)
    if queries > SCAN_THRESHOLD:
        return -1, -1, -1
    return queries, items, math.ceil(candidates / 100)


def _count(db, order: int, cells: list[int]) -> int:  # noqa: ANN001
    total = 0
    for start in range(0, len(cells), 900):
        chunk = cells[start : start + 900]
        total += db.execute(
            f"SELECT COUNT(*) FROM cells WHERE ord = ? AND cell IN ({','.join('?' * len(chunk))})",
            (order, *chunk),
        ).fetchone()[0]
    return total


def build(catalog: SqliteCatalog, n: int, path: Path) -> None:
    """Ingest the synthetic archive and print how long it took."""
    start = time.perf_counter()
    n_exp = 0
    for plate, exposures in plates(n):
        catalog.put_plate(plate, exposures)
        n_exp += len(exposures)
    built = time.perf_counter() - start
    print(
        f"SQLite: {n:,} plates, {n_exp:,} exposure solutions ingested in "
        f"{built:.0f} s ({n / built:.0f} plates/s), "
        f"{path.stat().st_size / 1e6:.0f} MB (without the WAL)\n"
    )


def main() -> None:
    """Build the catalog, run the queries, print Markdown tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plates", type=int, default=430_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--db", type=Path, help="keep the SQLite file here and reuse it if it exists"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "catalog.sqlite"
        reuse = path.exists()
        catalog = SqliteCatalog(path)
        catalog.create()
        if reuse:
            print(f"SQLite: reusing {path}\n")
        else:
            build(catalog, args.plates, path)
        orders = catalog.orders()
        rng = np.random.default_rng(1)
        print(
            "| cone | queries | SQLite median | SQLite p95 | rows median (max) | "
            "candidates median | DynamoDB Query | index items | BatchGetItem |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for label, radius in (("1'", 1 / 60), ("10'", 10 / 60), ("1 deg", 1.0), ("5 deg", 5.0)):
            n = args.queries if radius < 5 else args.queries // 2
            times, rows, cands, costs = [], [], [], []
            for _ in range(n):
                region = Circle(
                    float(rng.uniform(0, 360)), math.degrees(math.asin(rng.uniform(-1, 1))), radius
                )
                t0 = time.perf_counter()
                result = catalog.search(ExposureQuery(regions=(region,)))
                times.append(time.perf_counter() - t0)
                rows.append(len(result.rows))
                cands.append(result.candidates)
                if len(costs) < 20:
                    costs.append(dynamodb_cost(catalog, region, orders, result.candidates))
            q, items, batches = (np.median([c[i] for c in costs]) for i in range(3))
            print(
                f"| {label} | {n} | {np.median(times) * 1000:.1f} ms | "
                f"{np.percentile(times, 95) * 1000:.1f} ms | {np.median(rows):.0f} "
                f"({max(rows)}) | {np.median(cands):.0f} | {q:.0f} | {items:.0f} | "
                f"{batches:.0f} |"
            )
        catalog.close()


if __name__ == "__main__":
    main()
