"""A stack in the cloud configuration, end to end: the archive in S3, the catalog and
the jobs in DynamoDB, the results in the results bucket (all on the moto server), the
frames cut by the test Dask cluster. The job is created and read over HTTP (the app),
its items are in the table, its products are reached by presigned URL and equal the
/soda/sync cutouts of the same app, and destroying it removes its items and objects."""

from __future__ import annotations

import io
import time
import uuid

import boto3
import numpy as np
import pytest
import requests
from astropy.io import fits
from lxml import etree

from service.app import create_app
from service.archive.sidecars import ingest
from service.catalog.dynamodb import DynamoCatalog
from service.settings import load_settings
from service.storage.s3 import S3Store
from tests.conftest import TEST_POLICY
from tests.jobs.conftest import DEC, RA, RADIUS

UWS = {"uws": "http://www.ivoa.net/xml/UWS/v1.0"}


@pytest.fixture(scope="module")
def cloud(moto_server, s3_bucket, dask_cluster, tmp_path_factory):
    """(app client, settings, table, results bucket) of the cloud configuration."""
    table = f"platecut-cloud-{uuid.uuid4().hex[:8]}"
    catalog = DynamoCatalog(table, endpoint_url=moto_server.url)
    catalog.create()
    store = S3Store(s3_bucket, "demo", TEST_POLICY, endpoint_url=moto_server.url)
    ingest(store, catalog, load_settings(env={}).service, workers=2, progress=None)
    store.close()
    catalog.close()
    s3 = boto3.client("s3", endpoint_url=moto_server.url, region_name="us-east-1")
    s3.create_bucket(Bucket="platecut-cloud-results")
    settings = load_settings(
        env={},
        overrides={
            "archive": {"root": f"s3://{s3_bucket}/demo"},
            "storage": {"s3_endpoint_url": moto_server.url},
            "catalog": {"backend": "dynamodb", "dynamodb_table": table,
                        "dynamodb_endpoint_url": moto_server.url},
            "cache": {"dir": str(tmp_path_factory.mktemp("cloud-cache"))},
            "results": {"s3_url": "s3://platecut-cloud-results/out"},
            "stacks": {"scheduler": dask_cluster[0], "stall_s": 30},
        },
    )  # fmt: skip
    app = create_app(settings)
    yield app.test_client(), settings, table, s3
    app.extensions["platecut"].close()
    s3.close()


def phase(document: bytes) -> str:
    return etree.fromstring(document).findtext("uws:phase", namespaces=UWS)


def test_a_stack_on_s3_and_dynamodb(cloud):
    client, settings, table, s3 = cloud
    created = client.post("/soda/async", data={"POS": f"CIRCLE {RA} {DEC} {RADIUS}",
                                               "PHASE": "RUN"})  # fmt: skip
    assert created.status_code == 303
    job_path = created.headers["Location"].split("://", 1)[-1].split("/", 1)[1]
    job_path = "/" + job_path
    job_id = job_path.rsplit("/", 1)[1]
    deadline = time.monotonic() + 180
    while (state := phase(client.get(job_path, query_string={"WAIT": 5}).data)) not in (
        "COMPLETED", "ERROR", "ABORTED"
    ):  # fmt: skip
        assert time.monotonic() < deadline, state
    assert state == "COMPLETED"

    # the job is an item of the catalog's DynamoDB table, not a row of a local file
    dynamo = boto3.client("dynamodb", endpoint_url=settings.catalog.dynamodb_endpoint_url,
                          region_name="us-east-1")  # fmt: skip
    key = {"pk": {"S": f"JOB#{job_id}"}, "sk": {"S": "JOB"}}
    assert "Item" in dynamo.get_item(TableName=table, Key=key)

    # products: a 303 to the results bucket, whose bytes are the frames of /soda/sync
    answer = client.get(f"{job_path}/results/stack.fits")
    assert answer.status_code == 303
    assert "platecut-cloud-results" in answer.headers["Location"]
    body = requests.get(answer.headers["Location"], timeout=60).content
    with fits.open(io.BytesIO(body)) as hdus:
        images = [h for h in hdus[1:] if h.is_image]
        assert len(images) == len(hdus["INDEX"].data) >= 3
        for hdu in images:
            height, width = hdu.data.shape
            sync = client.get("/soda/sync", query_string={
                "ID": hdu.header["OBS_ID"], "CIRCLE": f"{RA} {DEC} {RADIUS}",
                "WIDTH": width, "HEIGHT": height})  # fmt: skip
            assert sync.status_code == 200
            with fits.open(io.BytesIO(sync.data)) as ref:
                assert np.array_equal(ref[0].data, hdu.data, equal_nan=True)
    listed = s3.list_objects_v2(Bucket="platecut-cloud-results", Prefix=f"out/jobs/{job_id}/")
    assert listed.get("KeyCount", 0) >= len(images)  # the frames and the products

    # destruction removes the item and every object of the job
    assert client.delete(job_path).status_code == 303
    assert client.get(job_path).status_code == 404
    assert "Item" not in dynamo.get_item(TableName=table, Key=key)
    listed = s3.list_objects_v2(Bucket="platecut-cloud-results", Prefix=f"out/jobs/{job_id}/")
    assert listed.get("KeyCount", 0) == 0
    dynamo.close()
