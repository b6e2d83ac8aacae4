"""DASCH DR7's plates table as an ingest source: a parallel Scan (one segment per
worker) of the DynamoDB table, each item read into records by
:mod:`service.archive.dr7`, with one read of the head of each solved plate's mosaic
(its version and image layout, for the cutout path).

An item's fingerprint is a hash of its content, so an item that did not change is
skipped without reading its mosaic; a changed item is read again whole.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer
from botocore.config import Config

from service.archive.dr7 import MosaicRead, fingerprint, plate_from_item, plate_records
from service.catalog.ingest import PlateRecords, Prepared
from service.rangeread.fitsmeta import layout_to_json
from service.rangeread.head import HEADER_INITIAL_BYTES, read_header
from service.settings import ServiceSettings
from service.storage.base import FetchStats, ObjectStore

_PLAIN = TypeDeserializer()


def plain(item: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item (typed attribute values) as Python values (binaries as bytes)."""
    return {name: _bytes(_PLAIN.deserialize(value)) for name, value in item.items()}


def _bytes(value: Any) -> Any:  # noqa: ANN401
    if hasattr(value, "value") and isinstance(value.value, (bytes, bytearray)):
        return bytes(value.value)
    if isinstance(value, dict):
        return {k: _bytes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_bytes(v) for v in value]
    return value


@dataclasses.dataclass(frozen=True)
class Item:
    """One item of the plates table."""

    key: str  # its plateId
    values: dict[str, Any]


class Dr7Source:
    """The plates of DASCH DR7's table, their mosaics in ``store``.

    Parameters
    ----------
    store
        The bucket of the mosaics (``archive.root``).
    table
        The plates table (``archive.dasch_table``).
    endpoint_url, region, max_attempts
        Where DynamoDB answers, and how often a throttled request is retried.
    service
        For public identifiers.
    header_bytes
        Leading bytes of a mosaic read first.
    """

    def __init__(
        self,
        store: ObjectStore,
        table: str,
        service: ServiceSettings,
        endpoint_url: str = "",
        region: str = "us-east-1",
        max_attempts: int = 8,
        header_bytes: int = HEADER_INITIAL_BYTES,
    ) -> None:
        self.store = store
        self.table = table
        self.service = service
        self.header_bytes = header_bytes
        config = Config(
            region_name=region,
            retries={"max_attempts": max_attempts, "mode": "standard"},
            max_pool_connections=32,
        )
        self.client = boto3.session.Session().client(
            "dynamodb", endpoint_url=endpoint_url or None, config=config
        )
        self.scanned_pages = 0

    def close(self) -> None:
        """Close the table client."""
        self.client.close()

    def expected(self) -> int:
        """The table's item count as DynamoDB last measured it (for progress)."""
        return int(self.client.describe_table(TableName=self.table)["Table"].get("ItemCount", 0))

    def segments(self, count: int) -> list[Iterable[Item]]:
        """The table in ``count`` Scan segments, each read lazily by its worker."""
        return [self._scan(segment, count) for segment in range(count)]

    def _scan(self, segment: int, total: int) -> Iterator[Item]:
        start = None
        while True:
            extra = {"ExclusiveStartKey": start} if start else {}
            reply = self.client.scan(
                TableName=self.table, Segment=segment, TotalSegments=total, **extra
            )
            self.scanned_pages += 1
            for raw in reply["Items"]:
                values = plain(raw)
                yield Item(str(values.get("plateId", "")), values)
            start = reply.get("LastEvaluatedKey")
            if not start:
                return

    def prepare(self, item: Item) -> Prepared:
        """The item's plate and fingerprint; its records are built (and its mosaic's
        head read) only if the fingerprint changed."""
        source_etag = fingerprint(item.values)

        def build() -> PlateRecords:
            plate = plate_from_item(item.values)
            read = None
            if plate.n_solutions and plate.mosaic is not None:
                stats = FetchStats()
                key = plate.mosaic.key()
                _, info, image = read_header(self.store, key, self.header_bytes, stats)
                read = MosaicRead(info, layout_to_json(image))
            record, exposures, pixels = plate_records(plate, read, source_etag, self.service)
            note = ""
            if plate.mosaic is None:
                note = f"never scanned: {len(exposures)} logged exposures listed"
            elif not plate.n_solutions:
                note = f"no astrometric solution: {len(exposures)} logged exposures listed"
            return PlateRecords(record, exposures, pixels, note)

        return Prepared(item.key, item.key, source_etag, build)
