"""The catalog in one DynamoDB table (for cloud deployments).

Items (partition key ``pk``, sort key ``sk``, all strings):

* ``PLATE#<plate_id>`` / ``PLATE``: the plate record (``body``, JSON);
* ``PLATE#<plate_id>`` / ``EXP#<obs_id>``: each exposure record (``body``) and the
  index cells it was written under (``cells``), so that a re-ingest can remove them;
* ``PLATE#<plate_id>`` / ``SRC#<obs_id>``: the exposure record again with the source
  of its pixels (mosaic version, image layout, rotation, WCS cards), so that a cutout
  resolves its identifier with one GetItem (search never reads these larger items);
* index items, one per HEALPix cell of a footprint: for cells coarser than
  :data:`PARENT_ORDER`, ``CELL#<order>#<cell>`` / ``<obs_id>``; for the others, under
  their parent cell at that order, ``PARENT#<parent>`` / ``<order>#<cell>#<obs_id>``, so
  that one Query per parent finds every finer cell's items;
* ``PLATES`` / ``<plate_id>``: the plate directory (listing);
* ``META`` / ``ORDERS``: the index orders in use (a number set);
* ``META`` / ``COVERAGE``: the archive's coverage (a MOC, gzipped), made at ingest.

A region query becomes one ``Query`` per coarse cell and one per parent cell that
the region touches, run concurrently (index items outside the region's cells are
dropped), then ``BatchGetItem`` calls of up to 100 exposure keys, also concurrent;
the exact tests of :mod:`service.catalog.query` follow. A plate and its exposures are
written with one ``TransactWriteItems`` (atomic: no half-written plate) when they fit
in 100 items. Throttling is retried by botocore's standard mode (``max_attempts``);
unprocessed BatchGetItem keys are retried with backoff.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import threading
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

from service.catalog.dynamo_items import (
    PARENT_ORDER,
    exposure_of,
    faults,
    plate_items,
    plate_of,
    source_of,
    stale_keys,
    transaction,
    write_batches,
)
from service.catalog.index import region_cells
from service.catalog.query import ExposureQuery, SearchResult, finish
from service.catalog.records import CutoutSource, ExposureRecord, PixelSource, PlateRecord
from service.faults import TransientFault
from service.retry import Backoff, Transient, retry

_TRANSACTION_LIMIT = 100
#: unprocessed keys of a batch request are asked again up to 10 times, backing off
UNPROCESSED = Backoff(10, 0.05, 2.0)
#: a region needing more index partitions than this is answered by a Scan instead
SCAN_THRESHOLD = 400


class DynamoCatalog:
    """A catalog in the DynamoDB table ``table``.

    Parameters
    ----------
    table
        Table name.
    endpoint_url
        A local endpoint (e.g. moto); empty for AWS.
    region
        AWS region.
    max_attempts
        botocore attempts per request (throttling is retried with backoff).
    concurrency
        Parallel requests of one query.
    """

    def __init__(
        self,
        table: str,
        endpoint_url: str = "",
        region: str = "us-east-1",
        max_attempts: int = 8,
        concurrency: int = 16,
    ) -> None:
        self.table = table
        config = Config(
            region_name=region,
            max_pool_connections=concurrency,
            retries={"max_attempts": max_attempts, "mode": "standard"},
        )
        self.client = boto3.session.Session().client(
            "dynamodb", endpoint_url=endpoint_url or None, config=config
        )
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="dynamodb")
        self._counts_lock = threading.Lock()

    def _pages(
        self,
        operation: str,
        counts: dict[str, int] | None = None,
        limit: int | None = None,
        **kwargs: object,
    ) -> list[dict]:
        """Every item (the first ``limit``) of a paginated Query or Scan."""
        items, start = [], None
        while limit is None or len(items) < limit:
            extra = {"ExclusiveStartKey": start} if start else {}
            reply = getattr(self.client, operation)(TableName=self.table, **kwargs, **extra)
            if counts is not None:
                self._count(counts, "Query" if operation == "query" else "Scan")
            items += reply["Items"]
            start = reply.get("LastEvaluatedKey")
            if not start:
                break
        return items if limit is None else items[:limit]

    def _partition(
        self, pk: str, counts: dict[str, int] | None = None, **kwargs: object
    ) -> list[dict]:
        """Every item of one partition (the first ``limit=`` when given)."""
        return self._pages(
            "query",
            counts,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": pk}},
            **kwargs,
        )

    def close(self) -> None:
        """Stop the request threads and close connections."""
        self._pool.shutdown(wait=True)
        self.client.close()

    @faults
    def create(self) -> None:
        """Create the table (on-demand capacity) if it does not exist, and wait for it."""
        with contextlib.suppress(self.client.exceptions.ResourceInUseException):
            self.client.create_table(
                TableName=self.table,
                BillingMode="PAY_PER_REQUEST",
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "S"},
                ],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
            )
        self.client.get_waiter("table_exists").wait(TableName=self.table)

    # -- writing ------------------------------------------------------------------------
    def _old_items(self, plate_id: str) -> list[dict]:
        return self._partition(f"PLATE#{plate_id}")

    @faults
    def put_plate(
        self,
        plate: PlateRecord,
        exposures: list[ExposureRecord],
        pixels: Mapping[str, PixelSource] | None = None,
    ) -> None:
        """Insert or replace a plate, its exposures and their pixel sources (one
        transaction when it fits)."""
        puts, new_keys, orders = plate_items(plate, exposures, pixels or {})
        stale = stale_keys(self._old_items(plate.plate_id), new_keys)
        if orders:
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": "META"}, "sk": {"S": "ORDERS"}},
                UpdateExpression="ADD orders :o",
                ExpressionAttributeValues={":o": {"NS": [str(o) for o in sorted(orders)]}},
            )
        if len(puts) + len(stale) <= _TRANSACTION_LIMIT:
            self.client.transact_write_items(TransactItems=transaction(self.table, puts, stale))
            return
        # too large for one transaction: new items first, then the stale ones go
        for requests in write_batches(puts, stale):
            self._batch_write(requests)

    def _batch_write(self, requests: list[dict]) -> None:
        left = list(requests)

        def attempt() -> None:
            reply = self.client.batch_write_item(RequestItems={self.table: left})
            left[:] = reply.get("UnprocessedItems", {}).get(self.table, [])
            if left:
                raise Transient(f"{len(left)} items unprocessed")

        refused = TransientFault("DynamoDB kept refusing writes (throttled)")
        retry(attempt, UNPROCESSED, lambda _: refused)

    # -- reading ------------------------------------------------------------------------
    @faults
    def plate(self, plate_id: str) -> PlateRecord | None:
        """One plate, or None."""
        reply = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": f"PLATE#{plate_id}"}, "sk": {"S": "PLATE"}}
        )
        item = reply.get("Item")
        return PlateRecord(**json.loads(item["body"]["S"])) if item else None

    @faults
    def plates(self, limit: int | None = None) -> list[PlateRecord]:
        """Every plate (the first ``limit``), in identifier order."""
        ids = [item["sk"]["S"] for item in self._partition("PLATES", limit=limit)]
        keys = [{"pk": {"S": f"PLATE#{i}"}, "sk": {"S": "PLATE"}} for i in ids]
        plates = [PlateRecord(**json.loads(item["body"]["S"])) for item in self._get_many(keys)]
        return sorted(plates, key=lambda p: p.plate_id)

    @faults
    def exposure(self, obs_id: str) -> ExposureRecord | None:
        """One exposure solution, or None."""
        reply = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": f"PLATE#{plate_of(obs_id)}"}, "sk": {"S": f"EXP#{obs_id}"}},
        )
        item = reply.get("Item")
        return exposure_of(item["body"]["S"]) if item else None

    @faults
    def source(self, obs_id: str) -> CutoutSource | None:
        """An exposure solution and the source of its pixels (one GetItem), or None."""
        reply = self.client.get_item(
            TableName=self.table,
            Key={"pk": {"S": f"PLATE#{plate_of(obs_id)}"}, "sk": {"S": f"SRC#{obs_id}"}},
        )
        item = reply.get("Item")
        return None if item is None else source_of(item)

    @faults
    def sources(self, obs_ids: Sequence[str]) -> dict[str, CutoutSource]:
        """Exposure solutions with their pixel sources, by obs_id (BatchGetItem)."""
        keys = [
            {"pk": {"S": f"PLATE#{plate_of(i)}"}, "sk": {"S": f"SRC#{i}"}}
            for i in sorted(set(obs_ids))
        ]
        found = [source_of(item) for item in self._get_many(keys)]
        return {s.exposure.obs_id: s for s in found}

    @faults
    def flag_replaced(self, source: CutoutSource, etag: str) -> None:
        """Record the version of the mosaic seen in the store on every solution of it."""
        plate = source.exposure.plate_id
        for item in self._partition(f"PLATE#{plate}", ProjectionExpression="sk, body"):
            sk = item["sk"]["S"]
            if not sk.startswith("SRC#"):
                continue
            if json.loads(item["body"]["S"])["object_key"] != source.exposure.object_key:
                continue
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": f"PLATE#{plate}"}, "sk": {"S": sk}},
                UpdateExpression="SET replaced = :r",
                ExpressionAttributeValues={":r": {"S": etag}},
            )

    @faults
    def index_cells(self) -> list[tuple[int, int]]:
        """Every (order, cell) the exposures were indexed under (a Scan)."""
        items = self._pages(
            "scan",
            None,
            FilterExpression="begins_with(sk, :e)",
            ExpressionAttributeValues={":e": {"S": "EXP#"}},
            ProjectionExpression="cells",
        )
        found = {tuple(int(v) for v in name.split("#")) for i in items for name in i["cells"]["SS"]}
        return sorted(found)  # type: ignore[arg-type]

    @faults
    def put_coverage(self, moc: str) -> None:
        """Keep the archive's coverage (MOC)."""
        self.client.put_item(
            TableName=self.table,
            Item={"pk": {"S": "META"}, "sk": {"S": "COVERAGE"},
                  "body": {"B": gzip.compress(moc.encode())}},
        )  # fmt: skip

    @faults
    def coverage(self) -> str:
        """The coverage kept ('' if none)."""
        reply = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": "META"}, "sk": {"S": "COVERAGE"}}
        )
        item = reply.get("Item")
        return gzip.decompress(item["body"]["B"]).decode() if item else ""

    def orders(self) -> list[int]:
        """Index orders in use."""
        reply = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": "META"}, "sk": {"S": "ORDERS"}}
        )
        return sorted(int(o) for o in reply.get("Item", {}).get("orders", {}).get("NS", []))

    def _count(self, counts: dict[str, int], name: str, n: int = 1) -> None:
        with self._counts_lock:
            counts[name] = counts.get(name, 0) + n

    def _index_items(self, partition: str, counts: dict[str, int]) -> list[str]:
        """Sort keys of every index item in one partition."""
        items = self._partition(partition, counts, ProjectionExpression="sk")
        self._count(counts, "index_items", len(items))
        return [item["sk"]["S"] for item in items]

    def _candidates(self, query: ExposureQuery, counts: dict[str, int]) -> set[str] | None:
        """obs_ids indexed in the cells the query's regions touch (None: scan instead)."""
        orders = self.orders()
        wanted = {
            order: {c for region in query.regions for c in region_cells(region, order)}
            for order in orders
        }
        partitions = {
            f"CELL#{order}#{cell}"
            for order in orders
            if order < PARENT_ORDER
            for cell in wanted[order]
        }
        if any(order >= PARENT_ORDER for order in orders):
            partitions |= {
                f"PARENT#{cell}"
                for region in query.regions
                for cell in region_cells(region, PARENT_ORDER)
            }
        if len(partitions) > SCAN_THRESHOLD:
            return None
        ids = set()
        for partition, keys in zip(
            sorted(partitions),
            self._pool.map(lambda p: self._index_items(p, counts), sorted(partitions)),
            strict=True,
        ):
            if partition.startswith("CELL#"):
                ids.update(keys)
                continue
            for key in keys:
                order, cell, obs_id = key.split("#", 2)
                if int(cell) in wanted.get(int(order), ()):
                    ids.add(obs_id)
        return ids

    def _get_batch(self, keys: list[dict], counts: dict[str, int]) -> list[dict]:
        items: list[dict] = []
        left = list(keys)

        def attempt() -> list[dict]:
            reply = self.client.batch_get_item(RequestItems={self.table: {"Keys": left}})
            self._count(counts, "BatchGetItem")
            got = reply["Responses"].get(self.table, [])
            self._count(counts, "items", len(got))
            items.extend(got)
            left[:] = reply.get("UnprocessedKeys", {}).get(self.table, {}).get("Keys", [])
            if left:
                raise Transient(f"{len(left)} keys unprocessed")
            return items

        return retry(
            attempt,
            UNPROCESSED,
            lambda _: TransientFault("DynamoDB kept leaving keys unprocessed (throttled)"),
        )

    def _get_many(self, keys: list[dict], counts: dict[str, int] | None = None) -> list[dict]:
        counts = {} if counts is None else counts
        batches = [keys[i : i + 100] for i in range(0, len(keys), 100)]
        return [
            item
            for got in self._pool.map(lambda b: self._get_batch(b, counts), batches)
            for item in got
        ]

    def _scan(self, counts: dict[str, int]) -> list[dict]:
        return self._pages(
            "scan",
            counts,
            FilterExpression="begins_with(sk, :e)",
            ExpressionAttributeValues={":e": {"S": "EXP#"}},
        )

    @faults
    def search(self, query: ExposureQuery) -> SearchResult:
        """Exposures matching the query, ordered by observation date."""
        counts: dict[str, int] = {}
        if query.regions:
            ids = self._candidates(query, counts)
        elif query.ids:
            ids = {i.rsplit("?", 1)[-1] for i in query.ids}
        else:
            ids = None
        if ids is None:  # no usable index: every exposure is a candidate (a Scan)
            return finish(
                [exposure_of(item["body"]["S"]) for item in self._scan(counts)], query, counts
            )
        keys = [{"pk": {"S": f"PLATE#{plate_of(i)}"}, "sk": {"S": f"EXP#{i}"}} for i in sorted(ids)]
        items = self._get_many(keys, counts)
        return finish([exposure_of(item["body"]["S"]) for item in items], query, counts)
