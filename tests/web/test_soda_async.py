"""SODA async (UWS 1.1) through real HTTP against gunicorn with its local Dask cluster
(`served`: the production configuration, 2 web workers): every resource and phase
transition, the documents against the UWS 1.1 XSD (STILTS xsdvalidate on the URL),
pyvo's UWS parser and its job client, a job answered after the web workers that
created it are gone, and bad requests that change nothing."""

from __future__ import annotations

import datetime
import io
import os
import signal
import time

import numpy as np
import pytest
import requests
from astropy.io import fits
from pyvo.dal import AsyncTAPJob
from pyvo.io.uws import parse_job, parse_job_list

from tests.stilts import xsdvalidate

UWS = ["http://www.ivoa.net/xml/UWS/v1.0", "http://www.w3.org/1999/xlink"]
STACK = {"POS": "CIRCLE 0.2 12 0.02"}


def create(base: str, **values: str) -> str:
    """POST a job; its URL (from the 303)."""
    r = requests.post(f"{base}/soda/async", data=values, allow_redirects=False, timeout=30)
    assert r.status_code == 303, r.text
    return r.headers["Location"]


def job_of(url: str, **query: str):  # noqa: ANN201 - pyvo's JobSummary
    r = requests.get(url, params=query, timeout=90)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith(("application/xml", "text/xml"))
    return parse_job(io.BytesIO(r.content))


def dids_at(base: str) -> list[str]:
    """Publisher DIDs of 5 exposure solutions covering (0.2, 12), from SIA 2.0."""
    from astropy.io.votable import parse_single_table

    params = {"POS": "CIRCLE 0.2 12 0.001", "MAXREC": 5}
    rows = requests.get(f"{base}/sia/v2/query", params=params, timeout=30)
    table = parse_single_table(io.BytesIO(rows.content)).to_table()
    return [str(x) for x in table["obs_publisher_did"]]


def until_final(url: str, timeout_s: float = 120.0):  # noqa: ANN201
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        job = job_of(url, WAIT="10")
        if job.phase in ("COMPLETED", "ERROR", "ABORTED"):
            return job
    raise AssertionError(f"{url} not finished after {timeout_s} s")


def test_a_job_through_every_resource_and_phase(served, schemas):
    url = create(served, RUNID="every-resource", **STACK)
    assert url.startswith(f"{served}/soda/async/")
    job_id = url.rsplit("/", 1)[1]
    out = xsdvalidate(url, schemas, UWS)
    assert "ERROR" not in out and "Validation failed" not in out, out
    job = job_of(url)
    assert (job.jobid, job.phase, job.runid) == (job_id, "PENDING", "every-resource")
    assert job.ownerid is None or job.ownerid == ""
    assert {p.id_.upper(): p.content for p in job.parameters}["POS"] == STACK["POS"]
    text = {name: requests.get(f"{url}/{name}", timeout=30) for name in
            ("phase", "quote", "executionduration", "destruction", "owner")}  # fmt: skip
    assert {n: r.status_code for n, r in text.items()} == dict.fromkeys(text, 200)
    assert text["phase"].text.strip() == "PENDING"
    assert text["owner"].text.strip() == ""
    assert int(text["executionduration"].text) > 0
    destruction = datetime.datetime.fromisoformat(
        text["destruction"].text.strip().replace("Z", "+00:00")
    )
    assert destruction > datetime.datetime.now(datetime.UTC)
    assert requests.get(f"{url}/error", timeout=30).status_code == 404  # no error yet
    for name in ("parameters", "results"):
        out = xsdvalidate(f"{url}/{name}", schemas, UWS)
        assert "ERROR" not in out and "Validation failed" not in out, (name, out)

    # changes while PENDING
    r = requests.post(
        f"{url}/executionduration",
        data={"EXECUTIONDURATION": "600"},
        allow_redirects=False,
        timeout=30,
    )
    assert r.status_code == 303 and r.headers["Location"] == url
    assert job_of(url).executionduration.to_value("s") == 600
    sooner = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=1)).replace(
        microsecond=0
    )
    r = requests.post(
        f"{url}/destruction",
        data={"DESTRUCTION": sooner.strftime("%Y-%m-%dT%H:%M:%SZ")},
        timeout=30,
    )
    assert r.status_code == 200  # the redirect followed to the job
    assert parse_job(io.BytesIO(r.content)).destruction == sooner

    # RUN, then block on WAIT until the phase moves on
    r = requests.post(f"{url}/phase", data={"PHASE": "RUN"}, allow_redirects=False, timeout=30)
    assert r.status_code == 303
    done = until_final(url)
    assert done.phase == "COMPLETED", done.errorsummary
    assert done.starttime is not None and done.endtime >= done.starttime
    out = xsdvalidate(url, schemas, UWS)
    assert "ERROR" not in out and "Validation failed" not in out, out
    results = {r.id_: r.href for r in done.results}
    assert next(iter(results)) == "stack.fits"  # RESPONSEFORMAT's product first
    assert {"stack.fits", "cube.fits", "frames.zip", "sheet.png", "blink.png", "index.json"} <= set(
        results
    )
    got = requests.get(results["stack.fits"], timeout=60)
    assert got.status_code == 200 and got.headers["Content-Type"] == "application/fits"
    with fits.open(io.BytesIO(got.content)) as hdus:
        assert hdus["INDEX"].data is not None and len(hdus) >= 3
    assert (
        requests.post(
            f"{url}/executionduration", data={"EXECUTIONDURATION": "5"}, timeout=30
        ).status_code
        == 400
    )

    # DELETE: gone, 303 to the list
    r = requests.delete(url, allow_redirects=False, timeout=30)
    assert r.status_code == 303 and r.headers["Location"] == f"{served}/soda/async"
    assert requests.get(url, timeout=30).status_code == 404
    assert requests.get(results["stack.fits"], timeout=30).status_code == 404


def test_job_list_filters_and_validity(served, schemas):
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0) - datetime.timedelta(
        seconds=1
    )
    pending = create(served, **STACK)
    running = create(served, PHASE="RUN", **STACK)
    until_final(running)
    out = xsdvalidate(f"{served}/soda/async", schemas, UWS)
    assert "ERROR" not in out and "Validation failed" not in out, out

    def listed(**query: str) -> dict[str, str]:
        r = requests.get(f"{served}/soda/async", params=query, timeout=30)
        assert r.status_code == 200
        return {ref.jobid: ref.phase for ref in parse_job_list(io.BytesIO(r.content))}

    every = listed()
    assert every[pending.rsplit("/", 1)[1]] == "PENDING"
    assert every[running.rsplit("/", 1)[1]] == "COMPLETED"
    assert set(listed(PHASE="PENDING").values()) == {"PENDING"}
    assert running.rsplit("/", 1)[1] not in listed(PHASE="PENDING")
    assert set(listed(PHASE=["PENDING", "COMPLETED"]).values()) <= {"PENDING", "COMPLETED"}
    assert len(listed(LAST="1")) == 1
    recent = listed(AFTER=before.strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert set(recent) >= {pending.rsplit("/", 1)[1], running.rsplit("/", 1)[1]}
    assert listed(AFTER="2999-01-01T00:00:00Z") == {}


def test_pyvo_drives_a_job(served):
    """pyvo's UWS job client (AsyncTAPJob speaks plain UWS) runs, waits for and reads
    a SODA async cutout job of two IDs x one region."""
    from pyvo.dal import SIA2Service

    rows = SIA2Service(f"{served}/sia/v2").search(pos=(0.2, 12, 0.001))
    ids = [str(r["obs_publisher_did"]) for r in rows][:2]
    assert len(ids) == 2
    url = create(served, ID=ids, CIRCLE="0.2 12 0.01")
    job = AsyncTAPJob(url)
    assert job.phase == "PENDING"
    job.run()
    job.wait(phases=["COMPLETED", "ERROR", "ABORTED"], timeout=120)
    assert job.phase == "COMPLETED"
    uris = list(job.result_uris)
    assert [u.rsplit("/", 1)[1] for u in uris] == ["frame-0001.fits", "frame-0002.fits"]
    for uri, did in zip(uris, ids, strict=True):
        sync = requests.get(
            f"{served}/soda/sync", params={"ID": did, "CIRCLE": "0.2 12 0.01"}, timeout=60
        )
        got = fits.getdata(io.BytesIO(requests.get(uri, timeout=60).content), header=True)
        ref = fits.getdata(io.BytesIO(sync.content), header=True)
        assert np.array_equal(got[0], ref[0], equal_nan=True)
        extra = {"FRAME", "OBS_ID", "PUBDID"}  # the job's cards
        assert {k: v for k, v in got[1].items() if k not in extra} == dict(ref[1].items())
    job.delete()
    assert requests.get(url, timeout=30).status_code == 404


def test_a_job_outlives_the_web_workers_that_created_it(served, gunicorn):
    """Create and run a job, SIGKILL every gunicorn worker: the new workers answer for
    it and it completes (it runs on the Dask cluster, not in a web worker)."""
    server = gunicorn
    url = create(served, ID=dids_at(served), CIRCLE=[f"0.2 {12 + 0.001 * k} 0.1" for k in range(30)],
                 PHASE="RUN")  # fmt: skip
    old = server.worker_pids()
    assert len(old) == 2
    assert job_of(url).phase in ("QUEUED", "EXECUTING")  # still running when they go
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while True:
        new = server.worker_pids()
        if len(new) == 2 and not set(new) & set(old):
            try:
                if requests.get(f"{served}/health", timeout=5).status_code == 200:
                    break
            except (requests.ConnectionError, requests.Timeout):  # a new worker still starting
                pass
        assert time.monotonic() < deadline, "gunicorn did not replace its workers"
        time.sleep(0.2)
    done = until_final(url)
    assert done.phase == "COMPLETED", done.errorsummary


def test_abort_over_http(served):
    from astropy.io.votable import parse_single_table

    circles = [f"0.2 {12 + 0.001 * k} 0.1" for k in range(60)]
    rows = requests.get(
        f"{served}/sia/v2/query", params={"POS": "CIRCLE 0.2 12 0.001", "MAXREC": 5}, timeout=30
    )
    dids = [
        str(x) for x in parse_single_table(io.BytesIO(rows.content)).to_table()["obs_publisher_did"]
    ]
    url = create(served, ID=dids, CIRCLE=circles, PHASE="RUN")
    r = requests.post(url, data={"PHASE": "ABORT"}, allow_redirects=False, timeout=30)
    assert r.status_code == 303
    job = job_of(url)
    assert job.phase == "ABORTED"
    assert requests.get(f"{url}/phase", timeout=30).text.strip() == "ABORTED"
    # RUN after ABORT changes nothing
    requests.post(f"{url}/phase", data={"PHASE": "RUN"}, timeout=30)
    assert job_of(url).phase == "ABORTED"


BAD = [
    ("post-list", {"PHASE": "HOLD", "POS": "CIRCLE 0.2 12 0.02"}, "PHASE"),
    ("post-list", {"POS": "CIRCLE 0.2 12 0.02", "RESPONSEFORMAT": "image/jpeg"}, "RESPONSEFORMAT"),
    ("post-list", {"ID": "a03393m0s1", "RESPONSEFORMAT": "cube"}, "RESPONSEFORMAT"),
    ("post-list", {"POS": "CIRCLE 0.2 12 0.02", "TIME": "abc"}, "TIME"),
    (
        "post-list",
        {"POS": ["CIRCLE 0.2 12 0.02", "CIRCLE 1 1 0.1"]},
        "a stack needs exactly one region",
    ),
    ("post-list", {"POS": "CIRCLE 0.2 12 5", "SCALE": "0.1"}, "exceeds the limit"),
    ("post-list", {}, "a stack needs exactly one region"),
    ("get-list", {"PHASE": "SLEEPING"}, "PHASE"),
    ("get-list", {"AFTER": "yesterday"}, "AFTER"),
    ("get-list", {"LAST": "-3"}, "LAST"),
]


@pytest.mark.parametrize(("how", "values", "words"), BAD)
def test_bad_requests_are_400_and_create_nothing(served, how, values, words):
    before = requests.get(f"{served}/soda/async", timeout=30).content.count(b"<uws:jobref")
    if how == "post-list":
        r = requests.post(f"{served}/soda/async", data=values, allow_redirects=False, timeout=30)
    else:
        r = requests.get(f"{served}/soda/async", params=values, timeout=30)
    assert r.status_code == 400, r.text
    assert r.text.startswith("UsageError"), r.text
    assert words in r.text
    assert "Traceback" not in r.text
    assert requests.get(f"{served}/soda/async", timeout=30).content.count(b"<uws:jobref") == before


def test_bad_changes_to_a_job_are_400_and_change_nothing(served):
    url = create(served, **STACK)
    for path, values in (("phase", {"PHASE": "SUSPEND"}), ("destruction", {"DESTRUCTION": "soon"}),
                         ("executionduration", {"EXECUTIONDURATION": "ten"}), ("", {"FOO": "1"})):  # fmt: skip
        r = requests.post(
            f"{url}/{path}".rstrip("/"), data=values, allow_redirects=False, timeout=30
        )
        assert r.status_code == 400 and r.text.startswith("UsageError"), (path, r.text)
    assert job_of(url).phase == "PENDING"
    for missing in (
        "/soda/async/0123456789abcdef0123",
        f"{url[len(served) :]}/results/nothing.fits",
    ):
        r = requests.get(served + missing, timeout=30)
        assert r.status_code == 404 and r.text.startswith("Error"), r.text
    requests.delete(url, timeout=30)


def test_sync_stack(served):
    """/soda/stack answers the product asked for, with that media type."""
    r = requests.get(
        f"{served}/soda/stack", params={**STACK, "RESPONSEFORMAT": "cube"}, timeout=120
    )
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/x-fits-cube"
    with fits.open(io.BytesIO(r.content)) as hdus:
        assert hdus[0].data.ndim == 3 and len(hdus["TIMES"].data) == hdus[0].data.shape[0]


def test_async_is_declared_in_capabilities_and_result_descriptors(served):
    """/capabilities lists SODA async; SIA 2.0 and DataLink results carry its service
    descriptor (as pyvo finds it), whose parameters include the stack's filters."""
    from lxml import etree
    from pyvo.dal import SIA2Service

    caps = etree.fromstring(requests.get(f"{served}/capabilities", timeout=30).content)
    urls = {
        c.get("standardID"): c.findtext(".//accessURL")
        for c in caps.iter()
        if etree.QName(c).localname == "capability"
    }
    assert urls["ivo://ivoa.net/std/SODA#async-1.0"] == f"{served}/soda/async"
    rows = SIA2Service(f"{served}/sia/v2").search(pos=(0.2, 12, 0.001))
    service = rows.get_adhocservice_by_ivoid("ivo://ivoa.net/std/SODA#async-1.0")
    params = {p.name: p for p in service.params}
    assert params["accessURL"].value == f"{served}/soda/async"
    inputs = {p.name for group in service.groups for p in group.entries}
    assert {"ID", "POS", "CIRCLE", "TIME", "COLLECTION", "RESPONSEFORMAT"} <= inputs
    links = rows[0].getdatalink()
    linked = links.get_adhocservice_by_ivoid("ivo://ivoa.net/std/SODA#async-1.0")
    assert {p.name: p.value for p in linked.params}["accessURL"] == f"{served}/soda/async"
