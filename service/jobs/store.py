"""Where jobs are kept so that any worker or instance can answer for any job: a table of
the catalog's SQLite file (the embedded default, here) or items of the catalog's
DynamoDB table (:mod:`service.jobs.dynamo_store`). Every change is an atomic
read-modify-write (:meth:`JobStore.update`): SQLite under an immediate transaction,
DynamoDB with a version condition retried on conflict.
"""

from __future__ import annotations

import contextlib
import datetime
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

from service.faults import NotFoundFault
from service.jobs.model import Job
from service.times import iso

Change = Callable[[Job], None]


class JobStore(Protocol):
    """Jobs, by identifier."""

    def create(self, job: Job) -> None:
        """Store a new job."""
        ...

    def get(self, job_id: str) -> Job | None:
        """One job, or None."""
        ...

    def update(self, job_id: str, change: Change) -> Job:
        """Apply ``change`` to the job atomically; return the job as stored.

        Raises
        ------
        NotFoundFault
            If there is no such job.
        """
        ...

    def list(self) -> list[Job]:
        """Every job, oldest first."""
        ...

    def delete(self, job_id: str) -> None:
        """Forget a job (idempotent)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


class SqliteJobStore:
    """Jobs in a table of an SQLite file (WAL; any process on the machine)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS jobs (job_id TEXT PRIMARY KEY, created TEXT NOT NULL,"
                " body TEXT NOT NULL)"
            )
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")

    def create(self, job: Job) -> None:
        with self._transaction() as db:
            db.execute(
                "INSERT INTO jobs VALUES (?, ?, ?)", (job.job_id, iso(job.created), job.to_json())
            )

    def get(self, job_id: str) -> Job | None:
        row = self._db().execute("SELECT body FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        return Job.from_json(row[0]) if row else None

    def update(self, job_id: str, change: Change) -> Job:
        with self._transaction() as db:
            row = db.execute("SELECT body FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
            if row is None:
                raise NotFoundFault(f"no job {job_id!r}")
            job = Job.from_json(row[0])
            change(job)
            db.execute("UPDATE jobs SET body = ? WHERE job_id = ?", (job.to_json(), job_id))
            return job

    def list(self) -> list[Job]:
        rows = self._db().execute("SELECT body FROM jobs ORDER BY created, job_id").fetchall()
        return [Job.from_json(body) for (body,) in rows]

    def delete(self, job_id: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                db.close()
            self._all.clear()
        self._local = threading.local()


def expired(store: JobStore, moment: datetime.datetime) -> list[str]:
    """Jobs whose destruction time has passed."""
    return [j.job_id for j in store.list() if j.destruction <= moment]
