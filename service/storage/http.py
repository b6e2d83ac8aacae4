"""Objects behind plain HTTP(S) URLs that honour Range requests."""

from __future__ import annotations

import threading

import requests

from service.faults import FatalFault, NotFoundFault
from service.storage.base import (
    FetchStats,
    ObjectInfo,
    RetryPolicy,
    StaleObject,
    read_whole,
)
from service.storage.retry import Transient, with_retries


class HttpStore:
    """Objects at ``base_url/key``; ranged GETs with ``If-Match``."""

    def __init__(self, base_url: str, policy: RetryPolicy) -> None:
        self.base_url = base_url.rstrip("/")
        self.identity = self.base_url
        self.policy = policy
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
            with self._sessions_lock:
                self._sessions.append(self._local.session)
        return self._local.session

    def close(self) -> None:
        """Close every connection this store opened."""
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()

    def _request(self, method: str, key: str, headers: dict[str, str]) -> requests.Response:
        try:
            reply = self._session().request(
                method,
                f"{self.base_url}/{key}",
                headers=headers,
                timeout=(self.policy.connect_timeout_s, self.policy.read_timeout_s),
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise Transient(f"{type(exc).__name__}: {exc}") from exc
        if reply.status_code == 404:
            raise NotFoundFault(f"object {key!r} not found at {self.base_url}")
        if reply.status_code == 412:
            raise StaleObject(key)
        if reply.status_code >= 500 or reply.status_code == 429:
            raise Transient(f"HTTP {reply.status_code}")
        if reply.status_code >= 400:
            raise FatalFault(f"{self.base_url}/{key} answered HTTP {reply.status_code}")
        return reply

    def stat(self, key: str, stats: FetchStats | None = None) -> ObjectInfo:
        """Return size and ETag (one HEAD request)."""
        stats = stats or FetchStats()

        def head() -> ObjectInfo:
            stats.add(stats_calls=1)
            reply = self._request("HEAD", key, {})
            size = int(reply.headers["Content-Length"])
            etag = reply.headers.get("ETag") or f"{reply.headers.get('Last-Modified')}-{size}"
            return ObjectInfo(key, size, etag.strip('"'))

        return with_retries(head, self.policy, stats, f"HEAD {self.base_url}/{key}")

    def read_range(
        self, key: str, start: int, stop: int, etag: str | None, stats: FetchStats
    ) -> bytes:
        """Return bytes ``[start, stop)`` with one ranged GET (retried)."""

        def get() -> bytes:
            headers = {"Range": f"bytes={start}-{stop - 1}"}
            if etag:
                headers["If-Match"] = f'"{etag}"'
            stats.add(gets=1)
            try:
                reply = self._request("GET", key, headers)
                data = reply.content
            except requests.RequestException as exc:
                raise Transient(f"{type(exc).__name__}: {exc}") from exc
            stats.add(bytes_fetched=len(data))
            if reply.status_code != 206:
                raise FatalFault(f"{self.base_url}/{key} does not honour Range requests")
            if len(data) != stop - start:
                raise Transient(f"short body: {len(data)} of {stop - start} bytes")
            return data

        return with_retries(
            get, self.policy, stats, f"GET {self.base_url}/{key} bytes {start}-{stop - 1}"
        )

    def list(self, prefix: str) -> list[str]:
        """HTTP has no listing: ingest from a local directory or S3 instead.

        Raises
        ------
        FatalFault
            Always.
        """
        raise FatalFault(f"{self.base_url}: an HTTP archive cannot be listed")

    def read_head(self, key: str, nbytes: int, stats: FetchStats) -> tuple[bytes, ObjectInfo]:
        """Return the first ``nbytes`` and the object's size and ETag: one ranged GET."""

        def get() -> tuple[bytes, ObjectInfo]:
            stats.add(gets=1)
            try:
                reply = self._request("GET", key, {"Range": f"bytes=0-{nbytes - 1}"})
                data = reply.content
            except requests.RequestException as exc:
                raise Transient(f"{type(exc).__name__}: {exc}") from exc
            stats.add(bytes_fetched=len(data))
            if reply.status_code == 206:
                size = int(reply.headers["Content-Range"].rsplit("/", 1)[1])
            else:
                size = len(data)
            if len(data) < min(nbytes, size):
                raise Transient(f"short body: {len(data)} of {min(nbytes, size)} bytes")
            etag = reply.headers.get("ETag") or f"{reply.headers.get('Last-Modified')}-{size}"
            return data[:nbytes], ObjectInfo(key, size, etag.strip('"'))

        return with_retries(get, self.policy, stats, f"GET {self.base_url}/{key} bytes 0-")

    def presigned_url(self, key: str, expires_s: int) -> None:
        """None: objects of this store are served through the service."""
        return None

    def read_all(self, key: str, stats: FetchStats) -> bytes:
        """Return the whole object (see :func:`service.storage.base.read_whole`)."""
        return read_whole(self, key, stats)
