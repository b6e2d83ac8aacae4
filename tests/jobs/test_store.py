"""The job stores, each backend in turn (SQLite; DynamoDB on the moto server): what any
worker or instance reads back is what was stored, and concurrent read-modify-writes
from several threads and processes lose nothing."""

from __future__ import annotations

import datetime
import multiprocessing
import threading
import uuid

import pytest

from service.catalog.dynamodb import DynamoCatalog
from service.cutout.service import CutoutSpec
from service.faults import NotFoundFault
from service.jobs.dynamo_store import DynamoJobStore
from service.jobs.model import EXECUTING, PENDING, Frame, Job, Outcome, new_job_id, now
from service.jobs.store import SqliteJobStore, expired
from service.settings import load_settings


def make_store(kind: str, where: str):
    return SqliteJobStore(where) if kind == "sqlite" else DynamoJobStore(*where.split("|"))


@pytest.fixture(params=["sqlite", "dynamodb"])
def where(request, tmp_path) -> tuple[str, str]:
    """(backend, address): an SQLite file, or a fresh table of the catalog's layout."""
    if request.param == "sqlite":
        return "sqlite", str(tmp_path / "catalog.sqlite")
    url = request.getfixturevalue("serial_moto_server").url
    table = f"platecut-jobs-{uuid.uuid4().hex[:8]}"
    catalog = DynamoCatalog(table, endpoint_url=url)
    catalog.create()  # jobs live in the catalog's table
    catalog.close()
    return "dynamodb", f"{table}|{url}"


def a_job(frames: int = 3, created: datetime.datetime | None = None, life_s: int = 3600) -> Job:
    created = created or now()
    return Job(
        job_id=new_job_id(),
        kind="stack",
        phase=PENDING,
        created=created,
        destruction=created + datetime.timedelta(seconds=life_s),
        execution_duration=600,
        parameters=[("POS", "CIRCLE 0.2 12 0.03"), ("TIME", "15000 60000")],
        specs=[CutoutSpec((0.2, 12.0, 0.03), 1.44, 75, 75)],
        frames=[Frame(f"a{i:05d}_0", 0) for i in range(frames)],
        response_format="application/fits",
        position=(0.2, 12.0),
    )


def test_a_job_reads_back_as_stored(where):
    store = make_store(*where)
    job = a_job()
    store.create(job)
    again = make_store(*where)  # another worker
    assert again.get(job.job_id) == job
    assert again.get("nosuchjob") is None
    store.close()
    again.close()


def test_update_list_delete(where):
    store = make_store(*where)
    first = a_job(created=now() - datetime.timedelta(seconds=10))
    second = a_job()
    store.create(second)
    store.create(first)
    assert [j.job_id for j in store.list()] == [first.job_id, second.job_id]  # oldest first

    def run(job: Job) -> None:
        job.phase = EXECUTING
        job.outcomes[1] = Outcome("ok", "", 0.25, ("frame-0002.fits",))

    changed = store.update(first.job_id, run)
    assert changed.phase == EXECUTING
    assert store.get(first.job_id) == changed
    with pytest.raises(NotFoundFault):
        store.update("nosuchjob", run)
    store.delete(first.job_id)
    store.delete(first.job_id)  # idempotent
    assert store.get(first.job_id) is None
    assert [j.job_id for j in store.list()] == [second.job_id]
    store.close()


def test_expired_jobs_are_those_past_their_destruction(where):
    store = make_store(*where)
    old = a_job(created=now() - datetime.timedelta(hours=2), life_s=3600)
    young = a_job()
    store.create(old)
    store.create(young)
    assert expired(store, now()) == [old.job_id]
    store.close()


def _record(where: tuple[str, str], job_id: str, indices: list[int]) -> None:
    store = make_store(*where)
    for i in indices:

        def change(job: Job, i: int = i) -> None:
            job.outcomes[i] = Outcome("ok", "", 0.0, (f"frame-{i + 1:04d}.fits",))

        store.update(job_id, change)
    store.close()


def test_concurrent_updates_from_threads_and_processes_lose_nothing(where):
    """Outcomes recorded at once by 4 threads of this process and 2 other processes
    (as frames finishing on several Dask workers): every one of them is kept."""
    store = make_store(*where)
    job = a_job(frames=60)
    store.create(job)
    share = [list(range(k, 60, 6)) for k in range(6)]
    threads = [threading.Thread(target=_record, args=(where, job.job_id, s)) for s in share[:4]]
    context = multiprocessing.get_context("spawn")
    procs = [context.Process(target=_record, args=(where, job.job_id, s)) for s in share[4:]]
    for worker in [*threads, *procs]:
        worker.start()
    for t in threads:
        t.join()
    for p in procs:
        p.join(120)
        assert p.exitcode == 0
    assert sorted(store.get(job.job_id).outcomes) == list(range(60))
    store.close()


def test_a_job_of_the_most_frames_with_long_errors_is_kept_whole(where):
    """A stack of ``stacks.max_frames`` exposures whose every frame failed with the
    longest message a frame records (an origin outage): one DynamoDB item holds at
    most 400 KB, and the job is still recorded and read back whole."""
    most = load_settings(env={}).stacks.max_frames
    store = make_store(*where)
    job = a_job(frames=most)
    store.create(job)

    def fail(job: Job) -> None:
        for i in range(most):
            detail = f"frame {i}: mosaics/a/a{i:05d}.fz bytes {i * 4099}-{i * 4099 + 4098} "
            job.outcomes[i] = Outcome("error", f"TransientFault: {detail * 20}"[:500], 1.0)

    changed = store.update(job.job_id, fail)
    again = make_store(*where).get(job.job_id)
    assert again == changed
    assert len(again.outcomes) == most and len(again.outcomes[most - 1].message) == 500
    store.close()


@pytest.mark.parametrize("where", ["dynamodb"], indirect=True)  # its items changed form
def test_a_job_item_written_before_bodies_were_compressed_is_read(where):
    store = make_store(*where)
    job = a_job()
    store.create(job)
    key = {"pk": {"S": f"JOB#{job.job_id}"}, "sk": {"S": "JOB"}}
    store.client.put_item(  # the item as it was written before
        TableName=store.table, Item={**key, "body": {"S": job.to_json()}, "version": {"N": "3"}}
    )
    assert store.get(job.job_id) == job

    def run(job: Job) -> None:
        job.phase = EXECUTING

    assert store.update(job.job_id, run).phase == EXECUTING
    item = store.client.get_item(TableName=store.table, Key=key, ConsistentRead=True)["Item"]
    assert set(item["body"]) == {"B"} and item["version"]["N"] == "4"  # gzipped now
    assert make_store(*where).get(job.job_id).phase == EXECUTING
    store.close()
