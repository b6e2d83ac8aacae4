"""The DynamoDB catalog's items: their keys, records to and from items, and botocore
errors as the service's faults (see :mod:`service.catalog.dynamodb` for the table's
layout). Depends on the record types and the faults."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
import zlib
from collections.abc import Callable, Mapping
from typing import TypeVar

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from service.catalog.index import footprint_cells
from service.catalog.records import CutoutSource, ExposureRecord, PixelSource, PlateRecord
from service.faults import FatalFault, TransientFault

T = TypeVar("T")
#: HEALPix order of the partitions holding finer index cells (1.8 degree cells)
PARENT_ORDER = 5


def index_key(order: int, cell: int, obs_id: str) -> tuple[str, str]:
    if order < PARENT_ORDER:
        return f"CELL#{order}#{cell}", obs_id
    parent = cell >> (2 * (order - PARENT_ORDER))
    return f"PARENT#{parent}", f"{order}#{cell}#{obs_id}"


def exposure_of(body: str) -> ExposureRecord:
    return ExposureRecord.from_dict(json.loads(body))


_THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
}


def faults(method: Callable[..., T]) -> Callable[..., T]:
    """Turn botocore errors into the service's faults (after botocore's own retries)."""

    @functools.wraps(method)
    def wrapper(*args: object, **kwargs: object) -> T:
        try:
            return method(*args, **kwargs)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _THROTTLED:
                raise TransientFault(
                    f"DynamoDB is throttling or failing ({code}); retries exhausted"
                ) from exc
            raise FatalFault(f"DynamoDB refused the request: {code}") from exc
        except (BotoConnectionError, HTTPClientError) as exc:
            raise TransientFault(
                "the catalog cannot be reached; try again later", str(exc)
            ) from exc

    return wrapper


def source_item(pk: str, exposure: ExposureRecord, source: PixelSource) -> dict:
    return {
        "pk": {"S": pk},
        "sk": {"S": f"SRC#{exposure.obs_id}"},
        "body": {"S": json.dumps(exposure.to_dict())},
        "etag": {"S": source.object_etag},
        "layout": {"S": source.layout},
        "rotation": {"N": str(source.rotation_delta)},
        "key": {"S": source.solution_key},
        "cards": {"B": zlib.compress(source.wcs_cards.encode())},
    }


def source_of(item: dict) -> CutoutSource:
    """A CutoutSource from its ``SRC#`` item."""
    pixels = PixelSource(
        item["etag"]["S"],
        item["layout"]["S"],
        int(item["rotation"]["N"]),
        item["key"]["S"],
        zlib.decompress(item["cards"]["B"]).decode(),
        item.get("replaced", {}).get("S", ""),
    )
    return CutoutSource(exposure_of(item["body"]["S"]), pixels)


_PLATE = re.compile(r"^[a-z]+\d+")


def plate_of(obs_id: str) -> str:
    """The plate of an exposure's obs_id (its leading series letters and number)."""
    found = _PLATE.match(obs_id)
    return found.group(0) if found else obs_id


Key = tuple[str, str]


def plate_items(
    plate: PlateRecord, exposures: list[ExposureRecord], pixels: Mapping[str, PixelSource]
) -> tuple[list[dict], set[Key], set[int]]:
    """The items of one plate: (items, their keys, the index orders they use)."""
    pk = f"PLATE#{plate.plate_id}"
    body = json.dumps(dataclasses.asdict(plate))
    puts = [
        {"pk": {"S": pk}, "sk": {"S": "PLATE"}, "body": {"S": body}},
        {"pk": {"S": "PLATES"}, "sk": {"S": plate.plate_id}},
    ]
    keys, orders = set(), set()
    for e in exposures:
        order, cells = footprint_cells(e.footprint_vectors())
        orders.add(order)
        puts.append(
            {
                "pk": {"S": pk},
                "sk": {"S": f"EXP#{e.obs_id}"},
                "body": {"S": json.dumps(e.to_dict())},
                "cells": {"SS": [f"{order}#{c}" for c in cells]},
            }
        )
        keys.add((pk, f"EXP#{e.obs_id}"))
        source = pixels.get(e.obs_id)
        if source is not None:
            puts.append(source_item(pk, e, source))
            keys.add((pk, f"SRC#{e.obs_id}"))
        for cell in cells:
            index_pk, index_sk = index_key(order, cell, e.obs_id)
            puts.append({"pk": {"S": index_pk}, "sk": {"S": index_sk}})
            keys.add((index_pk, index_sk))
    return puts, keys, orders


def stale_keys(old_items: list[dict], new_keys: set[Key]) -> list[Key]:
    """Keys of a plate's previous items (its partition's, and the index items its
    exposures named) that its new items do not replace."""
    stale = []
    for item in old_items:
        pk, sk = item["pk"]["S"], item["sk"]["S"]
        if sk.startswith(("SRC#", "EXP#")) and (pk, sk) not in new_keys:
            stale.append((pk, sk))
        if not sk.startswith("EXP#"):
            continue
        for name in item.get("cells", {}).get("SS", []):
            order, cell = (int(v) for v in name.split("#"))
            key = index_key(order, cell, sk[4:])
            if key not in new_keys:
                stale.append(key)
    return stale


def transaction(table: str, puts: list[dict], stale: list[Key]) -> list[dict]:
    """One TransactWriteItems of a plate: its items, and its stale keys deleted."""
    actions = [{"Put": {"TableName": table, "Item": item}} for item in puts]
    return actions + [
        {"Delete": {"TableName": table, "Key": {"pk": {"S": p}, "sk": {"S": s}}}} for p, s in stale
    ]


def write_batches(puts: list[dict], stale: list[Key]) -> list[list[dict]]:
    """BatchWriteItem requests of 25 (new items first, then the stale keys deleted)."""
    requests = [{"PutRequest": {"Item": item}} for item in puts]
    requests += [{"DeleteRequest": {"Key": {"pk": {"S": p}, "sk": {"S": s}}}} for p, s in stale]
    return [requests[start : start + 25] for start in range(0, len(requests), 25)]
