"""Past one machine: a stack on a Dask cluster started separately, as an operator runs
one (``dask scheduler`` and two ``dask worker`` processes), named to gunicorn by
``stacks.scheduler``: every frame equals ``/soda/sync`` on the same grid, the workers
never import Flask, the job executor warms them up (its worker plugin), they run with
``conf/dask`` given by ``DASK_CONFIG``, and gunicorn
starts no cluster of its own."""

from __future__ import annotations

import io

import numpy as np
import requests
from astropy.io import fits

from tests.jobs.conftest import assert_workers_run_with_conf_dask
from tests.servers import DaskCluster, Gunicorn
from tests.web.test_soda_async import create, until_final

RA, DEC, RADIUS = 0.2, 12.0, 0.02


def test_a_stack_on_a_separate_cluster_equals_soda_sync(vo_settings, tmp_path):
    cluster = DaskCluster(workers=2, threads=2)
    server = None
    try:
        server = Gunicorn(
            {
                "PLATECUT_CONFIG": "",
                "PLATECUT_ARCHIVE_ROOT": vo_settings.archive.root,
                "PLATECUT_CATALOG_SQLITE_PATH": str(vo_settings.catalog.sqlite_file()),
                "PLATECUT_CACHE_DIR": str(tmp_path / "cache"),
                "PLATECUT_STACKS_RESULTS_DIR": str(tmp_path / "results"),
                "PLATECUT_STACKS_SCHEDULER": cluster.address,
            },
            log=tmp_path / "gunicorn.log",
        )
        assert "local Dask cluster" not in (tmp_path / "gunicorn.log").read_text()
        job = create(server.url, POS=f"CIRCLE {RA} {DEC} {RADIUS}", PHASE="RUN")
        done = until_final(job)
        assert done.phase == "COMPLETED", done.errorsummary
        body = requests.get(f"{job}/results/stack.fits", timeout=120).content
        with fits.open(io.BytesIO(body)) as hdus:
            images = [h for h in hdus[1:] if h.is_image]
            assert len(images) == len(hdus["INDEX"].data) >= 3
            for hdu in images:
                height, width = hdu.data.shape
                sync = requests.get(
                    f"{server.url}/soda/sync",
                    params={"ID": hdu.header["OBS_ID"], "CIRCLE": f"{RA} {DEC} {RADIUS}",
                            "WIDTH": width, "HEIGHT": height},
                    timeout=120,
                )  # fmt: skip
                assert sync.status_code == 200
                with fits.open(io.BytesIO(sync.content)) as ref:
                    assert np.array_equal(ref[0].data, hdu.data, equal_nan=True)
        from distributed import Client

        with Client(cluster.address, timeout=60) as client:
            # a lambda travels by value: the workers cannot import this test module
            seen = client.run(
                lambda: [m for m in ("flask", "werkzeug", "service.web", "service.app")
                         if m in __import__("sys").modules]
            )  # fmt: skip
            assert len(seen) == 2 and all(m == [] for m in seen.values()), seen
            ran = client.run(lambda: "service.jobs.worker" in __import__("sys").modules)
            assert all(ran.values())  # they did cut the frames
            # the executor's warm-up plugin ran on workers nobody started with it
            frozen = client.run(lambda: __import__("gc").get_freeze_count())
            assert len(frozen) == 2 and all(n > 0 for n in frozen.values()), frozen
            # DASK_CONFIG=conf/dask, as the README tells an operator
            assert_workers_run_with_conf_dask(client, 2)
    finally:
        if server is not None:
            server.stop()
        cluster.stop()
