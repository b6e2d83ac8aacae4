"""The result stores: a local directory, and the results bucket on the moto server
(clients follow a presigned URL); names that could leave a job's place are refused."""

from __future__ import annotations

import boto3
import pytest
import requests

from service.faults import NotFoundFault
from service.jobs.results import BucketResults, LocalResults
from service.storage.s3 import S3Store
from tests.conftest import TEST_POLICY


@pytest.fixture(params=["local", "s3"])
def results(request, tmp_path):
    if request.param == "local":
        yield LocalResults(tmp_path / "results")
        return
    url = request.getfixturevalue("moto_server").url
    client = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
    client.create_bucket(Bucket="platecut-results-uws")
    client.close()
    store = S3Store("platecut-results-uws", "stacks", TEST_POLICY, endpoint_url=url)
    yield BucketResults(store, 600)
    store.close()


def fetch(results, job_id: str, name: str) -> bytes:
    """A result as a client gets it: by its URL when the store gives one."""
    url = results.url(job_id, name)
    if url is None:
        return results.get(job_id, name)
    reply = requests.get(url, timeout=30)
    assert reply.status_code == 200
    return reply.content


def test_put_get_replace_delete(results):
    payload = bytes(range(256)) * 1000
    results.put("job1", "stack.fits", payload, "application/fits")
    results.put("job1", "index.json", b"{}", "application/json")
    results.put("job2", "stack.fits", b"other", "application/fits")
    assert results.exists("job1", "stack.fits")
    assert not results.exists("job1", "cube.fits")
    assert results.get("job1", "stack.fits") == payload
    assert fetch(results, "job1", "stack.fits") == payload
    results.put("job1", "index.json", b'{"frames": []}', "application/json")  # replaced
    assert results.get("job1", "index.json") == b'{"frames": []}'
    with pytest.raises(NotFoundFault):
        results.get("job1", "cube.fits")
    results.delete("job1")
    assert not results.exists("job1", "stack.fits")
    assert not results.exists("job1", "index.json")
    assert results.get("job2", "stack.fits") == b"other"  # another job's are kept


@pytest.mark.parametrize("name", ["", "../job2/stack.fits", ".hidden", "a\0b", "x/y"])
def test_names_that_leave_the_job_are_refused(results, name):
    results.put("job2", "stack.fits", b"other", "application/fits")
    with pytest.raises(NotFoundFault):
        results.get("job1", name)
    with pytest.raises(NotFoundFault):
        results.put("job1", name, b"x", "text/plain")
    assert results.get("job2", "stack.fits") == b"other"
