"""Stacks and SODA async cutouts run on a real Dask cluster: every frame equals the
synchronous cutout of its exposure on the same grid, in date order, the index equals
SIA 2.0's rows, and aborts, destruction, missing mosaics, limits and killed workers end
the way the issue says."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.io.votable import parse_single_table
from astropy.wcs import WCS

from service.app import create_app
from service.faults import NotFoundFault, UsageFault
from service.jobs.model import ABORTED, COMPLETED, ERROR, EXECUTING, QUEUED
from service.jobs.requests import JobRequest
from service.settings import Settings
from service.wiring import Services
from tests.conftest import link_tree
from tests.jobs.conftest import (
    DEC,
    RA,
    RADIUS,
    ask,
    assert_workers_run_with_conf_dask,
    job_services,
    results_dir,
    wait_final,
    with_scheduler,
)


def sia2_rows(app_client, ra: float, dec: float, **filters: str) -> list[dict]:  # noqa: ANN001
    """obs_id and dates of SIA 2.0's rows whose footprint holds (ra, dec)."""
    r = app_client.get(
        "/sia/v2/query", query_string={"POS": f"CIRCLE {ra} {dec} 1e-7", "MAXREC": 1000, **filters}
    )
    assert r.status_code == 200, r.data[:500]
    table = parse_single_table(io.BytesIO(r.data)).to_table()
    return [{"obs_id": str(row["obs_id"]), "t_min": float(row["t_min"])} for row in table]


@pytest.fixture(scope="module")
def app_client(stack_settings: Settings):  # noqa: ANN201
    app = create_app(stack_settings)
    yield app.test_client()
    app.extensions["platecut"].close()


def test_stack_frames_equal_sync_cutouts_in_date_order(stack, jobs, app_client):
    job = stack["job"]
    assert job.phase == COMPLETED
    rows = sia2_rows(app_client, RA, DEC)
    assert len(rows) >= 3
    # every exposure solution holding the position, ordered by observation date
    dates = sorted(rows, key=lambda r: (r["t_min"], r["obs_id"]))
    assert [f.obs_id for f in job.frames] == [r["obs_id"] for r in dates]
    body = jobs.result(job.job_id, "stack.fits").body
    with fits.open(io.BytesIO(body)) as hdus:
        images = [h for h in hdus[1:] if h.is_image]
        index = hdus["INDEX"].data
        assert len(images) == len(job.frames) == len(index)
        side = images[0].data.shape
        for i, (hdu, frame) in enumerate(zip(images, job.frames, strict=True)):
            assert hdu.header["OBS_ID"] == frame.obs_id == index["obs_id"][i]
            sync = app_client.get(
                "/soda/sync",
                query_string={"ID": frame.obs_id, "CIRCLE": f"{RA} {DEC} {RADIUS}",
                              "WIDTH": side[1], "HEIGHT": side[0]},
            )  # fmt: skip
            assert sync.status_code == 200, sync.data[:300]
            with fits.open(io.BytesIO(sync.data)) as ref:
                assert ref[0].data.dtype == hdu.data.dtype
                assert np.array_equal(ref[0].data, hdu.data, equal_nan=True), frame.obs_id
                grid = WCS(ref[0].header).to_header()
                assert len(grid) > 8
                assert WCS(hdu.header).to_header() == grid, frame.obs_id


def test_index_matches_sia2_rows_and_outcomes(stack, jobs, app_client):
    job = stack["job"]
    answer = jobs.result(job.job_id, "index.json")
    assert answer.mime == "application/json"
    body = answer.body
    index = json.loads(body)
    sia = {r["obs_id"]: r for r in sia2_rows(app_client, RA, DEC)}
    assert [row["obs_id"] for row in index["frames"]] == [f.obs_id for f in job.frames]
    assert set(sia) == {row["obs_id"] for row in index["frames"]}
    for row in index["frames"]:
        assert row["mjd"] == pytest.approx(sia[row["obs_id"]]["t_min"], abs=1e-6)
        assert row["status"] == "ok"
        assert 0.0 <= row["nan_fraction"] <= 1.0
        assert row["edge_distance_deg"] > 0  # the position is on every plate listed


def test_stack_with_sia_filters_matches_filtered_sia2(stack_services, jobs, app_client):
    every = sia2_rows(app_client, RA, DEC)
    mjds = sorted(r["t_min"] for r in every)
    middle = mjds[len(mjds) // 2]
    window = f"{mjds[0] - 1} {middle + 1e-6}"
    job = jobs.create(ask(POS=f"CIRCLE {RA} {DEC} {RADIUS}", TIME=window, PHASE="RUN"))
    done = wait_final(jobs, job.job_id)
    assert done.phase == COMPLETED
    expected = sorted(
        sia2_rows(app_client, RA, DEC, TIME=window), key=lambda r: (r["t_min"], r["obs_id"])
    )
    assert 0 < len(expected) < len(every)
    assert [f.obs_id for f in done.frames] == [r["obs_id"] for r in expected]


def test_a_completed_stack_has_its_index_and_asked_product_made(stack_services, jobs):
    job = jobs.create(ask(POS=f"CIRCLE {RA} {DEC} 0.01", RESPONSEFORMAT="cube", PHASE="RUN"))
    done = wait_final(jobs, job.job_id)
    assert done.phase == COMPLETED
    folder = results_dir(stack_services, job.job_id)
    made = {p.name for p in folder.iterdir()}  # before any client asked for a result
    assert {"index.json", "cube.fits"} <= made
    assert "stack.fits" not in made  # a product not asked for: made on first request
    kept = {name: (folder / name).read_bytes() for name in ("index.json", "cube.fits")}
    for name, body in kept.items():  # the same bytes as made on request
        (folder / name).unlink()
        assert jobs.result(job.job_id, name).body == body, name
    assert jobs.result(job.job_id, "stack.fits").body[:6] == b"SIMPLE"
    assert (folder / "stack.fits").exists()


def test_stack_over_the_limit_is_refused_before_any_work(stack_settings, app_client):
    small = with_scheduler(stack_settings, stack_settings.stacks.scheduler, max_frames=2)
    services = job_services(small)
    try:
        before = len(services.jobs.list())
        with pytest.raises(UsageFault, match=r"more than the limit of 2 \(stacks.max_frames\)"):
            services.job_service.create(ask(POS=f"CIRCLE {RA} {DEC} {RADIUS}", PHASE="RUN"))
        assert len(services.jobs.list()) == before
    finally:
        services.close()


def test_async_cutouts_one_result_per_id_and_region(jobs, app_client, stack_services):
    ids = [r["obs_id"] for r in sia2_rows(app_client, RA, DEC)][:2]
    regions = [f"{RA} {DEC} 0.02", f"{RA + 0.01} {DEC} 0.01"]
    job = jobs.create(ask(ID=ids, CIRCLE=regions, PHASE="RUN"))
    done = wait_final(jobs, job.job_id)
    assert done.phase == COMPLETED
    assert len(done.frames) == 4
    assert [(f.obs_id, f.spec) for f in done.frames] == [(i, s) for i in ids for s in (0, 1)]
    names = [r.name for r in jobs.result_files(done)]
    assert names == [f"frame-{i:04d}.fits" for i in range(1, 5)]
    for i, frame in enumerate(done.frames):
        body = jobs.result(done.job_id, names[i]).body
        sync = app_client.get(
            "/soda/sync", query_string={"ID": frame.obs_id, "CIRCLE": regions[frame.spec]}
        )
        with fits.open(io.BytesIO(body)) as got, fits.open(io.BytesIO(sync.data)) as ref:
            assert np.array_equal(got[0].data, ref[0].data, equal_nan=True)


def many_frames(app_client) -> JobRequest:  # noqa: ANN001
    """An async cutout job of a few hundred frames: long enough to interrupt."""
    ids = [r["obs_id"] for r in sia2_rows(app_client, RA, DEC)]
    regions = [f"{RA + 0.002 * k} {DEC} 0.12" for k in range(40)]
    return ask(ID=ids, CIRCLE=regions)


def wait_for(predicate, timeout_s: float = 60.0, what: str = "") -> None:  # noqa: ANN001
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_abort_stops_the_remaining_tasks(jobs, app_client, stack_services):
    job = jobs.create(many_frames(app_client))
    jobs.phase(job.job_id, "RUN")
    wait_for(lambda: jobs.get(job.job_id).done >= 2, what="first frames")
    aborted = jobs.phase(job.job_id, "ABORT")
    assert aborted.phase == ABORTED
    folder = results_dir(stack_services, job.job_id)
    time.sleep(3 * 2.0)  # a heartbeat or two: the job's task sees ABORT and cancels
    settled = len(list(folder.iterdir()))
    time.sleep(3.0)
    assert len(list(folder.iterdir())) == settled  # nothing is written any more
    assert settled < aborted.total
    assert jobs.get(job.job_id).phase == ABORTED
    with pytest.raises(UsageFault):
        jobs.phase(job.job_id, "HOLD")


def test_destroy_removes_the_job_and_its_results(stack, stack_services):
    jobs = stack_services.job_service
    job = jobs.create(ask(POS=f"CIRCLE {RA} {DEC} 0.01", PHASE="RUN"))
    wait_final(jobs, job.job_id)
    folder = results_dir(stack_services, job.job_id)
    assert any(folder.iterdir())
    jobs.destroy(job.job_id)
    assert not folder.exists()
    with pytest.raises(NotFoundFault):
        jobs.get(job.job_id)


def test_expired_jobs_are_cleaned_up(stack_services):
    jobs = stack_services.job_service
    job = jobs.create(ask(POS=f"CIRCLE {RA} {DEC} 0.01", PHASE="RUN"))
    wait_final(jobs, job.job_id)
    folder = results_dir(stack_services, job.job_id)
    jobs.destruction(job.job_id, "2000-01-01T00:00:00Z")  # in the past: granted
    jobs.list()  # any listing cleans up
    assert not folder.exists()
    assert stack_services.jobs.get(job.job_id) is None


def test_an_exposure_whose_mosaic_is_missing_is_a_row_with_its_error(
    stack_settings, app_client, tmp_path
):
    """The archive as links to the demo files, less the mosaic of the stack's second
    exposure (the catalog unchanged): that frame is an error row, the stack completes."""
    from service.catalog.sqlite import SqliteCatalog

    first = sorted(sia2_rows(app_client, RA, DEC), key=lambda r: (r["t_min"], r["obs_id"]))
    catalog = SqliteCatalog(stack_settings.catalog.sqlite_file())
    victim = catalog.source(first[1]["obs_id"])
    # every exposure solution of that mosaic (a plate exposed several times)
    gone = {r["obs_id"] for r in first
            if catalog.source(r["obs_id"]).exposure.object_key == victim.exposure.object_key}  # fmt: skip
    catalog.close()
    assert len(gone) < len(first)
    link_tree(Path(stack_settings.archive.root), tmp_path / "archive",
              frozenset({victim.exposure.object_key}))  # fmt: skip
    settings = dataclasses.replace(
        stack_settings,
        archive=dataclasses.replace(stack_settings.archive, root=str(tmp_path / "archive")),
        cache=dataclasses.replace(stack_settings.cache, dir=str(tmp_path / "cache")),
    )
    services = job_services(settings)
    try:
        jobs = services.job_service
        job = wait_final(
            jobs, jobs.create(ask(POS=f"CIRCLE {RA} {DEC} {RADIUS}", PHASE="RUN")).job_id
        )
        assert job.phase == COMPLETED
        index = json.loads(jobs.result(job.job_id, "index.json").body)["frames"]
        lost = [row for row in index if row["obs_id"] in gone]
        assert [row["status"] for row in lost] == ["error"] * len(gone)
        assert all(
            "mosaic" in row["message"].lower() or "not found" in row["message"].lower()
            for row in lost
        ), lost
        assert all(row["status"] == "ok" for row in index if row["obs_id"] not in gone)
        with fits.open(io.BytesIO(jobs.result(job.job_id, "stack.fits").body)) as hdus:
            table = hdus["INDEX"].data
            assert list(table["status"]).count("error") == len(lost)
            assert len([h for h in hdus[1:] if h.is_image]) == len(index) - len(lost)
    finally:
        services.close()


def dask_worker_pids(services: Services) -> list[int]:
    """The process ids of the cluster's workers, as they report them."""
    return sorted(services.executor.client.run(os.getpid).values())


def owner_pid(services: Services, job_id: str) -> int:
    """The pid of the worker running the job's own task (``job-<id>``)."""
    key = f"job-{job_id}"

    def where(dask_scheduler) -> str:  # noqa: ANN001
        task = dask_scheduler.tasks.get(key)
        return task.processing_on.address if task and task.processing_on else ""

    address = services.executor.client.run_on_scheduler(where)
    return services.executor.client.run(os.getpid)[address]


@pytest.mark.parametrize("victim", ["job-owner", "other"])
def test_a_killed_dask_worker_never_hangs_the_job(victim, jobs, app_client, stack_services):
    """SIGKILL a worker mid-job, the one running the job's own task or the other: the
    job completes (Dask reruns the lost tasks, the job resumes from its recorded
    outcomes) or ends in ERROR with a message; it never stays EXECUTING."""
    workers = dask_worker_pids(stack_services)
    assert len(workers) == 2, workers
    job = jobs.create(many_frames(app_client))
    jobs.phase(job.job_id, "RUN")
    wait_for(lambda: jobs.get(job.job_id).done >= 3, what="first frames")
    owner = owner_pid(stack_services, job.job_id)
    assert owner in workers
    os.kill(
        owner if victim == "job-owner" else next(p for p in workers if p != owner), signal.SIGKILL
    )
    done = wait_final(jobs, job.job_id, timeout_s=240)
    if done.phase == COMPLETED:
        assert done.done == done.total
        assert all(o.status == "ok" for o in done.outcomes.values())
        names = {r.name for r in jobs.result_files(done)}
        assert names == {f"frame-{i:04d}.fits" for i in range(1, done.total + 1)}
    else:
        assert done.phase == ERROR and done.error, done
    # the nanny restarts the worker: the cluster still runs jobs
    wait_for(lambda: len(dask_worker_pids(stack_services)) == 2, 60, "a new worker")
    again = wait_final(jobs, jobs.create(ask(POS=f"CIRCLE {RA} {DEC} 0.01", PHASE="RUN")).job_id)
    assert again.phase == COMPLETED


def test_a_job_whose_cluster_is_gone_ends_in_error(stack_settings):
    """Nobody reports on a queued job (its scheduler vanished): once stall_s passes,
    reading it marks it ERROR with the reason."""
    services = job_services(
        with_scheduler(stack_settings, stack_settings.stacks.scheduler, stall_s=1)
    )
    try:
        jobs = services.job_service
        job = jobs.create(ask(POS=f"CIRCLE {RA} {DEC} 0.01"))
        services.jobs.update(job.job_id, lambda j: setattr(j, "phase", QUEUED))
        time.sleep(2.5)
        ended = jobs.get(job.job_id)
        assert ended.phase == ERROR
        assert "no worker has reported" in ended.error
        assert ended.phase not in (QUEUED, EXECUTING)
    finally:
        services.close()


def test_sync_stack_past_its_limit_points_to_async(stack_settings):
    """/soda/stack refuses more than stacks.max_sync_frames exposures before cutting,
    and leaves no job behind; within the limit it answers the stack."""
    small = with_scheduler(stack_settings, stack_settings.stacks.scheduler, max_sync_frames=2)
    app = create_app(small)
    try:
        client = app.test_client()
        jobs_before = len(app.extensions["platecut"].jobs.list())
        r = client.get("/soda/stack", query_string={"POS": f"CIRCLE {RA} {DEC} {RADIUS}"})
        assert r.status_code == 400
        assert r.get_data(as_text=True).startswith("UsageError")
        assert "more than 2 (stacks.max_sync_frames): use /soda/async" in r.get_data(as_text=True)
        assert len(app.extensions["platecut"].jobs.list()) == jobs_before
        one = client.get(
            "/soda/stack", query_string={"POS": f"CIRCLE {RA} {DEC} {RADIUS}", "TIME": "0 1"}
        )  # no exposure before MJD 1: an empty stack is an answer too
        assert one.status_code == 200, one.data[:300]
        with fits.open(io.BytesIO(one.data)) as hdus:
            assert hdus[0].header["NFRAMES"] == 0 and len(hdus["INDEX"].data) == 0
    finally:
        app.extensions["platecut"].close()


def test_the_local_clusters_workers_run_with_conf_dask(dask_cluster):
    """The local cluster's workers run with ``conf/dask``: no statistical profiler
    (sampling every thread each 10 ms, holding the GIL the frames need) and the malloc
    environment it gives, set before the process started."""
    from distributed import Client

    with Client(dask_cluster[0], timeout=60) as client:
        assert_workers_run_with_conf_dask(client, 2)
