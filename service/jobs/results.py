"""Where job results are kept: a local directory (the embedded default) or the results
bucket (presigned URLs), so that any worker or instance can serve them.

Depends on the storage interfaces and the faults only.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path
from typing import Protocol

from service.faults import NotFoundFault
from service.storage.base import FetchStats, ResultBucket


class ResultStore(Protocol):
    """Result files of jobs, by job and name."""

    def put(self, job_id: str, name: str, data: bytes, mime: str) -> None:
        """Store a result (replacing one of the same name)."""
        ...

    def get(self, job_id: str, name: str) -> bytes:
        """A result's bytes (NotFoundFault if absent)."""
        ...

    def exists(self, job_id: str, name: str) -> bool:
        """Whether a result is stored."""
        ...

    def url(self, job_id: str, name: str) -> str | None:
        """A URL to redirect a client to (None: serve the bytes)."""
        ...

    def delete(self, job_id: str) -> None:
        """Remove every result of a job."""
        ...


def _safe(name: str) -> str:
    if not name or "/" in name or name.startswith(".") or "\0" in name:
        raise NotFoundFault(f"no result named {name[:60]!r}")
    return name


class LocalResults:
    """Results under ``root/<job_id>/<name>`` (written atomically)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, job_id: str, name: str) -> Path:
        return self.root / _safe(job_id) / _safe(name)

    def put(self, job_id: str, name: str, data: bytes, mime: str) -> None:
        path = self._path(job_id, name)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{name}.{os.getpid()}.{threading.get_ident()}")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def get(self, job_id: str, name: str) -> bytes:
        try:
            return self._path(job_id, name).read_bytes()
        except FileNotFoundError:
            raise NotFoundFault(f"job {job_id} has no result {name!r}") from None

    def exists(self, job_id: str, name: str) -> bool:
        return self._path(job_id, name).is_file()

    def url(self, job_id: str, name: str) -> str | None:
        return None

    def delete(self, job_id: str) -> None:
        shutil.rmtree(self.root / _safe(job_id), ignore_errors=True)


class BucketResults:
    """Results in the results bucket under ``jobs/<job_id>/<name>``."""

    def __init__(self, bucket: ResultBucket, expiry_s: int) -> None:
        self.bucket = bucket
        self.expiry_s = expiry_s

    def _key(self, job_id: str, name: str) -> str:
        return f"jobs/{_safe(job_id)}/{_safe(name)}"

    def put(self, job_id: str, name: str, data: bytes, mime: str) -> None:
        self.bucket.put(self._key(job_id, name), data, mime, name)

    def get(self, job_id: str, name: str) -> bytes:
        return self.bucket.read_all(self._key(job_id, name), FetchStats())

    def exists(self, job_id: str, name: str) -> bool:
        try:
            self.bucket.stat(self._key(job_id, name))
        except NotFoundFault:
            return False
        return True

    def url(self, job_id: str, name: str) -> str | None:
        return self.bucket.presigned_url(self._key(job_id, name), self.expiry_s)

    def delete(self, job_id: str) -> None:
        self.bucket.delete_prefix(f"jobs/{_safe(job_id)}")
