"""Where jobs are kept so that any worker or instance can answer for any job: a table of
the catalog's SQLite file (the embedded default) or items of the catalog's DynamoDB
table. Every change is an atomic read-modify-write (:meth:`JobStore.update`): SQLite
under an immediate transaction, DynamoDB with a version condition retried on conflict.
"""

from __future__ import annotations

import contextlib
import datetime
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from service.faults import NotFoundFault, TransientFault
from service.uws.model import Job, iso

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
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
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


class DynamoJobStore:
    """Jobs as items of the catalog's DynamoDB table: ``JOB#<id>`` / ``JOB`` (body,
    version) and the directory ``JOBS`` / ``<created>#<id>``."""

    def __init__(self, table: str, endpoint_url: str = "", region: str = "us-east-1") -> None:
        self.table = table
        config = Config(region_name=region, retries={"max_attempts": 8, "mode": "standard"})
        self.client = boto3.session.Session().client(
            "dynamodb", endpoint_url=endpoint_url or None, config=config
        )

    def _key(self, job_id: str) -> dict:
        return {"pk": {"S": f"JOB#{job_id}"}, "sk": {"S": "JOB"}}

    def create(self, job: Job) -> None:
        item = {**self._key(job.job_id), "body": {"S": job.to_json()}, "version": {"N": "0"}}
        directory = {"pk": {"S": "JOBS"}, "sk": {"S": f"{iso(job.created)}#{job.job_id}"}}
        self.client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": self.table, "Item": item}},
                {"Put": {"TableName": self.table, "Item": directory}},
            ]
        )

    def _read(self, job_id: str) -> tuple[Job, int] | None:
        reply = self.client.get_item(
            TableName=self.table, Key=self._key(job_id), ConsistentRead=True
        )
        item = reply.get("Item")
        if item is None:
            return None
        return Job.from_json(item["body"]["S"]), int(item["version"]["N"])

    def get(self, job_id: str) -> Job | None:
        found = self._read(job_id)
        return found[0] if found else None

    def update(self, job_id: str, change: Change) -> Job:
        for attempt in range(20):
            found = self._read(job_id)
            if found is None:
                raise NotFoundFault(f"no job {job_id!r}")
            job, version = found
            change(job)
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item={**self._key(job_id), "body": {"S": job.to_json()},
                          "version": {"N": str(version + 1)}},
                    ConditionExpression="version = :v",
                    ExpressionAttributeValues={":v": {"N": str(version)}},
                )  # fmt: skip
                return job
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise TransientFault(f"job {job_id} kept changing while being updated")

    def list(self) -> list[Job]:
        keys, start = [], None
        while True:
            extra = {"ExclusiveStartKey": start} if start else {}
            reply = self.client.query(
                TableName=self.table,
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": {"S": "JOBS"}},
                **extra,
            )
            keys += [item["sk"]["S"].rsplit("#", 1)[1] for item in reply["Items"]]
            start = reply.get("LastEvaluatedKey")
            if not start:
                break
        jobs = [self.get(job_id) for job_id in keys]
        return [j for j in jobs if j is not None]

    def delete(self, job_id: str) -> None:
        job = self.get(job_id)
        self.client.delete_item(TableName=self.table, Key=self._key(job_id))
        if job is not None:
            self.client.delete_item(
                TableName=self.table,
                Key={"pk": {"S": "JOBS"}, "sk": {"S": f"{iso(job.created)}#{job_id}"}},
            )

    def close(self) -> None:
        self.client.close()


def expired(store: JobStore, moment: datetime.datetime) -> list[str]:
    """Jobs whose destruction time has passed."""
    return [j.job_id for j in store.list() if j.destruction <= moment]
