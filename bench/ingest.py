"""Ingest of DASCH DR7's plates table: items per second against Scan segments (one worker
thread each), cold (an empty catalog) and unchanged (every fingerprint known), with
20,000 generated items on a moto server (S3 and DynamoDB over HTTP on 127.0.0.1), and
what that implies for DASCH's 430,000 plates.

The items are the DR7 demo's (1-3 TPV solutions, logged exposures without a solution,
NULL entries, placeholders, plates never scanned or not solved), their mosaics small
fpack files shared 64 ways (ingest reads only a mosaic's head: its cost is a round
trip whatever the mosaic's size; the plates keep their own sizes and solutions).

Run: ``.venv/bin/python -m bench.ingest [--items 20000] [--segments 1,2,4,8]``.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
import time
from pathlib import Path

import boto3
import numpy as np
from boto3.dynamodb.types import TypeSerializer

from bench.cutout import exit_on_sigterm
from service.archive.dr7_source import Dr7Source
from service.catalog.ingest import run_ingest
from service.catalog.sqlite import SqliteCatalog
from service.demo.dr7 import Dr7Plan, _fpack, item, plan_dr7
from service.settings import load_settings
from service.storage.base import RetryPolicy
from service.storage.s3 import S3Store
from tests.servers import MotoServer

BUCKET, TABLE = "dasch-prod-user", "dasch-dev-dr7-plates"
SHARED = 64


def items(count: int, seed: int) -> list[dict]:
    """``count`` plate items with distinct plate identifiers (plans of other seeds may
    reuse one), their mosaics one of SHARED small files."""
    plans: dict[str, Dr7Plan] = {}
    calls = 0
    while len(plans) < count:  # plan_dr7 adds two plates to what it is asked for
        calls += 1
        for plan in plan_dr7(min(2000, count - len(plans)), seed + 100_003 * calls):
            plans.setdefault(plan.plate_id, plan)
    out = []
    for i, plan in enumerate(list(plans.values())[:count]):
        values = item(plan)
        if "mosaic" in values:
            values["mosaic"]["s3KeyTemplate"] = f"bench/m{i % SHARED:02d}_{{bin}}{{tnx}}.fits.fz"
        out.append(values)
    return out


def load(moto: MotoServer, values: list[dict]) -> None:
    """The table and the shared mosaics on the moto server."""
    s3 = boto3.client("s3", endpoint_url=moto.url, region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    plan = plan_dr7(1, 1, size=64)[0]
    image = np.zeros((64, 64), np.int16)
    for i in range(SHARED):
        data = _fpack(image + i, dataclasses.replace(plan.plan))
        for suffix in ("01_tnx", "16"):
            s3.put_object(Bucket=BUCKET, Key=f"bench/m{i:02d}_{suffix}.fits.fz", Body=data)
    s3.close()
    db = boto3.client("dynamodb", endpoint_url=moto.url, region_name="us-east-1")
    db.create_table(
        TableName=TABLE,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "plateId", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "plateId", "KeyType": "HASH"}],
    )
    serializer = TypeSerializer()
    requests = [
        {"PutRequest": {"Item": {k: serializer.serialize(v) for k, v in values_.items()}}}
        for values_ in values
    ]
    for start in range(0, len(requests), 25):
        db.batch_write_item(RequestItems={TABLE: requests[start : start + 25]})
    db.close()


def main() -> None:
    """Print the benchmark's table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20000)
    parser.add_argument("--segments", default="1,2,4,8")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    exit_on_sigterm()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    service = load_settings(env={}).service
    start = time.perf_counter()
    values = items(args.items, args.seed)
    made = time.perf_counter() - start
    moto = MotoServer()
    try:
        load(moto, values)
        print(f"### DR7 ingest: {args.items:,} items on moto ({made:.0f} s to generate), "
              f"{os.cpu_count()} cores\n")  # fmt: skip
        print("| segments (threads) | cold: s | items/s | unchanged: s | items/s | "
              "430,000 plates, cold |")  # fmt: skip
        print("|---|---|---|---|---|---|")
        policy = RetryPolicy(5, 0.05, 1.0, 5.0, 30.0)
        for segments in (int(s) for s in args.segments.split(",")):
            with tempfile.TemporaryDirectory() as work:
                store = S3Store(BUCKET, "", policy, endpoint_url=moto.url)
                source = Dr7Source(store, TABLE, service, moto.url)
                catalog = SqliteCatalog(Path(work) / "catalog.sqlite")
                clock = time.perf_counter()
                report = run_ingest(source, catalog, workers=segments, progress=None)
                cold = time.perf_counter() - clock
                assert len(report.ingested) == args.items, report.summary()[:500]
                clock = time.perf_counter()
                again = run_ingest(source, catalog, workers=segments, progress=None)
                unchanged = time.perf_counter() - clock
                assert len(again.unchanged) == args.items
                catalog.close()
                source.close()
                store.close()
            rate, rate2 = args.items / cold, args.items / unchanged
            print(f"| {segments} | {cold:.1f} | {rate:.0f} | {unchanged:.1f} | {rate2:.0f} | "
                  f"{430000 / rate / 60:.0f} min |")  # fmt: skip
    finally:
        moto.stop()


if __name__ == "__main__":
    main()
