"""Jobs as items of the catalog's DynamoDB table (cloud deployments); see
:mod:`service.jobs.store` for the interface.

A job's JSON is kept gzipped (``body`` binary, as the catalog keeps its MOCs). An
item holds at most 400 KB; a stack of ``stacks.max_frames`` (2,000) exposures is 243 KB
of JSON, 1.2 MB when every frame failed with a 500-character message, and gzip makes
them 18 and 47 KB. Every update rewrites the item, so it also costs that many fewer
write units. Items written before (``body`` a string) are still read."""

from __future__ import annotations

import gzip

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from service.faults import NotFoundFault, TransientFault
from service.jobs.model import Job
from service.jobs.store import Change
from service.retry import Backoff, Transient, retry
from service.times import iso

#: an update that met another one is tried again (with backoff) up to 20 times
CONFLICTS = Backoff(20, 0.01, 0.5)


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

    def _body(self, job: Job) -> dict:
        return {"body": {"B": gzip.compress(job.to_json().encode(), 6)}}

    def create(self, job: Job) -> None:
        item = {**self._key(job.job_id), **self._body(job), "version": {"N": "0"}}
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
        body = item["body"]
        text = gzip.decompress(body["B"]).decode() if "B" in body else body["S"]  # or older
        return Job.from_json(text), int(item["version"]["N"])

    def get(self, job_id: str) -> Job | None:
        found = self._read(job_id)
        return found[0] if found else None

    def update(self, job_id: str, change: Change) -> Job:
        def attempt() -> Job:
            found = self._read(job_id)
            if found is None:
                raise NotFoundFault(f"no job {job_id!r}")
            job, version = found
            change(job)
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item={**self._key(job_id), **self._body(job),
                          "version": {"N": str(version + 1)}},
                    ConditionExpression="version = :v",
                    ExpressionAttributeValues={":v": {"N": str(version)}},
                )  # fmt: skip
            except ClientError as exc:
                if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
                    raise
                raise Transient("the job changed under the update") from None
            return job

        def give_up(_: Transient | None) -> TransientFault:
            return TransientFault(f"job {job_id} kept changing while being updated")

        return retry(attempt, CONFLICTS, give_up)

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
