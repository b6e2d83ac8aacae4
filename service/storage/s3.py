"""Objects in S3 (or an S3-compatible server) through botocore, boto3's core, with our own
retries. The client is botocore's own: boto3's session would add its import (and
s3transfer's, about 40 ms of a cold start) for nothing this store calls."""

from __future__ import annotations

import botocore.exceptions as bce
import botocore.session
from botocore import UNSIGNED
from botocore.config import Config
from urllib3.exceptions import HTTPError as Urllib3Error

from service.faults import FatalFault, NotFoundFault
from service.storage.base import (
    FetchStats,
    ObjectInfo,
    RetryPolicy,
    StaleObject,
    read_whole,
)
from service.storage.retry import Transient, with_retries

_TRANSIENT_CODES = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "InternalError",
    "ServiceUnavailable",
    "RequestTimeTooSkewed",
    "ProvisionedThroughputExceededException",
}
_NETWORK_ERRORS = (
    bce.ConnectionError,
    bce.HTTPClientError,
    bce.ReadTimeoutError,
    bce.IncompleteReadError,
    bce.ResponseStreamingError,
    bce.FlexibleChecksumError,  # a body that does not match the object's checksum
    Urllib3Error,
    ConnectionError,
    TimeoutError,
)


class S3Store:
    """Objects under ``s3://bucket/prefix``.

    Parameters
    ----------
    bucket, prefix
        Where the archive lives.
    policy
        Retries and timeouts (botocore's own retries are switched off so that
        every attempt is counted and backs off with jitter).
    endpoint_url
        An S3-compatible endpoint (e.g. a local moto server); empty for AWS.
    region
        AWS region.
    unsigned
        Anonymous access to a public bucket.
    max_connections
        Size of the connection pool (concurrent ranged GETs).
    """

    def __init__(
        self,
        bucket: str,
        prefix: str,
        policy: RetryPolicy,
        endpoint_url: str = "",
        region: str = "us-east-1",
        unsigned: bool = False,
        max_connections: int = 16,
    ) -> None:
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.policy = policy
        self.identity = f"s3://{bucket}/{self.prefix}".rstrip("/")  # + "/" + key: no "//"
        config = Config(
            region_name=region,
            retries={"total_max_attempts": 1, "mode": "standard"},
            connect_timeout=policy.connect_timeout_s,
            read_timeout=policy.read_timeout_s,
            max_pool_connections=max_connections,
            signature_version=UNSIGNED if unsigned else None,
        )
        self.client = botocore.session.get_session().create_client(
            "s3", endpoint_url=endpoint_url or None, config=config
        )

    def close(self) -> None:
        """Close the client's connections."""
        self.client.close()

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _classify(self, exc: Exception, key: str) -> Exception:
        if isinstance(exc, bce.ClientError):
            code = str(exc.response.get("Error", {}).get("Code", ""))
            status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0))
            if code in {"NoSuchKey", "404", "NotFound"} or status == 404:
                return NotFoundFault(f"object {key[:80]!r} not found", detail=self.identity)
            if code == "PreconditionFailed" or status == 412:
                return StaleObject(key)
            if code in _TRANSIENT_CODES or status >= 500 or status == 429:
                return Transient(f"{code or status}")
            return FatalFault(f"S3 refused {key!r}: {code} (HTTP {status})")
        if isinstance(exc, _NETWORK_ERRORS):
            return Transient(f"{type(exc).__name__}: {exc}")
        return exc

    def _attempt(self, key: str, call):  # noqa: ANN001, ANN202
        def run():  # noqa: ANN202
            try:
                return call()
            except Exception as exc:  # classified below, never swallowed
                raise self._classify(exc, key) from exc

        return run

    def put(self, key: str, body: bytes, content_type: str, filename: str) -> None:
        """Write an object (results of requests, never the archive)."""
        stats = FetchStats()

        def put() -> None:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self._key(key),
                Body=body,
                ContentType=content_type,
                ContentDisposition=f'attachment; filename="{filename}"',
            )

        with_retries(self._attempt(key, put), self.policy, stats, f"PUT {self.identity}/{key}")

    def delete_prefix(self, prefix: str) -> None:
        """Delete every object under ``prefix`` (results of a destroyed job)."""
        for key in self.list(prefix):
            self.client.delete_object(Bucket=self.bucket, Key=self._key(key))

    def presigned_url(self, key: str, expires_s: int) -> str:
        """A URL anyone can GET the object with until it expires (signed locally)."""
        return self.client.generate_presigned_url(
            "get_object", Params={"Bucket": self.bucket, "Key": self._key(key)}, ExpiresIn=expires_s
        )

    def stat(self, key: str, stats: FetchStats | None = None) -> ObjectInfo:
        """Return size and ETag of ``key`` (one HEAD request)."""
        stats = stats or FetchStats()

        def head() -> ObjectInfo:
            stats.add(stats_calls=1)
            reply = self.client.head_object(Bucket=self.bucket, Key=self._key(key))
            return ObjectInfo(key, int(reply["ContentLength"]), reply["ETag"].strip('"'))

        return with_retries(
            self._attempt(key, head), self.policy, stats, f"HEAD {self.identity}/{key}"
        )

    def read_range(
        self, key: str, start: int, stop: int, etag: str | None, stats: FetchStats
    ) -> bytes:
        """Return bytes ``[start, stop)`` of ``key`` with one ranged GET (retried)."""

        def get() -> bytes:
            extra = {"IfMatch": f'"{etag}"'} if etag else {}
            stats.add(gets=1)
            reply = self.client.get_object(
                Bucket=self.bucket, Key=self._key(key), Range=f"bytes={start}-{stop - 1}", **extra
            )
            data = reply["Body"].read()
            stats.add(bytes_fetched=len(data))
            if len(data) != stop - start:
                raise Transient(f"short body: {len(data)} of {stop - start} bytes")
            return data

        return with_retries(
            self._attempt(key, get),
            self.policy,
            stats,
            f"GET {self.identity}/{key} bytes {start}-{stop - 1}",
        )

    def list(self, prefix: str) -> list[str]:
        """Keys under ``prefix``, relative to the store's prefix, sorted."""
        keys = []
        paginator = self.client.get_paginator("list_objects_v2")
        strip = len(self.prefix) + 1 if self.prefix else 0
        try:
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self._key(prefix)):
                keys += [item["Key"][strip:] for item in page.get("Contents", [])]
        except Exception as exc:  # classified: not found, transient or refused
            raise self._classify(exc, prefix) from exc
        return sorted(keys)

    def read_head(self, key: str, nbytes: int, stats: FetchStats) -> tuple[bytes, ObjectInfo]:
        """Return the first ``nbytes`` and the object's size and ETag: one ranged GET."""

        def get() -> tuple[bytes, ObjectInfo]:
            stats.add(gets=1)
            reply = self.client.get_object(
                Bucket=self.bucket, Key=self._key(key), Range=f"bytes=0-{nbytes - 1}"
            )
            data = reply["Body"].read()
            stats.add(bytes_fetched=len(data))
            size = int(reply["ContentRange"].rsplit("/", 1)[1])
            if len(data) != min(nbytes, size):
                raise Transient(f"short body: {len(data)} of {min(nbytes, size)} bytes")
            return data, ObjectInfo(key, size, reply["ETag"].strip('"'))

        return with_retries(
            self._attempt(key, get),
            self.policy,
            stats,
            f"GET {self.identity}/{key} bytes 0-{nbytes - 1}",
        )

    def read_all(self, key: str, stats: FetchStats) -> bytes:
        """Return the whole object (see :func:`service.storage.base.read_whole`)."""
        return read_whole(self, key, stats)
