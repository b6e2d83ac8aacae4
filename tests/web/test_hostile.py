"""Each finding of the hostile-input review, through real HTTP: the requests that got a
500 or a dropped connection, control characters echoed into XML, off-plate grids,
long polygons, links out of the archive, a Host header of the client's choosing, 503
bodies naming buckets, and two servers on one host."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import requests
from lxml import etree

from tests.conftest import link_tree
from tests.servers import Gunicorn
from tests.web.test_fuzz import worker_rss_mb

NO_CLUSTER = {"PLATECUT_STACKS_SCHEDULER": "tcp://127.0.0.1:9"}  # these servers run no jobs


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/soda/sync?ID=a03393m0s1&CIRCLE=180+-12+0.01&NATIVE=true", 204),
        ("/sia/v1/query?POS=10,10&SIZE=180&CDELT=1e-310", 400),
        ("/sia/v1/query?POS=0.2,12&SIZE=0.1&CDELT=1e300", 400),
        ("/files/mosaics/a/", 404),
        ("/files/mosaics/a/a03393_00.fits.fz%00.txt", 404),
        ("/files/mosaics/" + "x" * 300, 404),
        ("/files/mosaics/" + "x/" * 3000, 404),
        ("/files/headers/..%2f..%2f..%2fetc%2fpasswd", 404),
    ],
)
def test_1_requests_that_broke_the_server_get_clean_answers(served, path, status):
    r = requests.get(served + path, timeout=60)  # a dropped connection raises here
    assert r.status_code == status, r.text[:300]
    assert int(r.headers.get("Content-Length", "0")) == len(r.content)
    assert "Traceback" not in r.text


@pytest.mark.parametrize(
    "path",
    [
        "/datalink/links?ID=a%01b",
        "/datalink/links?ID=a03393m0s1&ID=%0b%0c%1f",
        "/sia/v2/query?POS=CIRCLE+0.2+12+0.1&COLLECTION=a%02",
        "/sia/v2/query?POS=CIRCLE+0.2+12+0.1%01",
        "/sia/v1/query?POS=0.2%01,12&SIZE=0.1",
        "/registry/oai?verb=GetRecord&identifier=ivo%3A%2F%2Fx%01y&metadataPrefix=ivo_vor",
        "/registry/oai?verb=ListRecords&metadataPrefix=ivo_vor&ba%03d=1",
        "/registry/oai?verb=Li%1bst",
    ],
)
def test_2_every_xml_answer_parses_whatever_the_input(served, path):
    r = requests.get(served + path, timeout=60)
    assert r.status_code < 500
    assert "xml" in r.headers["Content-Type"]
    etree.fromstring(r.content)


def test_2_uws_documents_parse_with_control_characters(served):
    r = requests.post(f"{served}/soda/async", data={"POS": "CIRCLE 0.2 12 0.01", "RUNID": "a\x01b",
                                                     "X\x02": "c\x1fd"}, timeout=60)  # fmt: skip
    assert r.status_code == 200, r.text
    etree.fromstring(r.content)
    requests.delete(r.url, timeout=60)


def test_3_off_plate_grids_cost_neither_time_nor_memory(served, gunicorn):
    """A grid far from the plate is decided from its outline: fast, and the workers do
    not grow (wcslib is never fed millions of invalid coordinates)."""
    start = time.monotonic()
    r = requests.get(f"{served}/soda/sync", params={"ID": "a03393m0s1", "POS": "CIRCLE 180 -12 0.1",
                                                     "WIDTH": 4000}, timeout=60)  # fmt: skip
    assert r.status_code == 204 and time.monotonic() - start < 2.0
    before = sum(worker_rss_mb(gunicorn.worker_pids()))
    for _ in range(30):
        r = requests.get(f"{served}/soda/sync", params={"ID": "a03393m0s1", "POS": "CIRCLE 180 -12 0.1",
                                                         "WIDTH": 600}, timeout=60)  # fmt: skip
        assert r.status_code == 204
    assert sum(worker_rss_mb(gunicorn.worker_pids())) - before < 50  # MB, both workers


def test_6_a_long_polygon_is_refused_fast_and_small(served, gunicorn):
    vertices = " ".join(f"{10 + 0.001 * i} {20 + 0.0001 * (i % 7)}" for i in range(20000))
    before = max(worker_rss_mb(gunicorn.worker_pids()))
    start = time.monotonic()
    r = requests.post(f"{served}/sia/v2/query", data={"POS": f"POLYGON {vertices}"}, timeout=60)
    assert r.status_code == 400 and "at most 1000" in r.text, r.text[-300:]
    assert time.monotonic() - start < 2.0
    assert max(worker_rss_mb(gunicorn.worker_pids())) - before < 50


@pytest.fixture(scope="module")
def linked_archive(vo_settings, tmp_path_factory) -> Path:
    """The demo archive with links out of it, as a hostile operator's mistake would."""
    root = tmp_path_factory.mktemp("linked") / "archive"
    link_tree(Path(vo_settings.archive.root), root)
    (root / "mosaics" / "passwd.fits").symlink_to("/etc/passwd")
    (root / "mosaics" / "etc").symlink_to("/etc")
    (root / "headers" / "up").symlink_to(root.parent)
    (root.parent / "secret.fits").write_text("secret")
    return root


def test_7_files_never_follow_links_out_of_the_archive(vo_settings, linked_archive, tmp_path):
    server = Gunicorn({**NO_CLUSTER, "PLATECUT_CONFIG": "", "PLATECUT_ARCHIVE_ROOT": str(linked_archive),
                       "PLATECUT_CATALOG_SQLITE_PATH": str(vo_settings.catalog.sqlite_file()),
                       "PLATECUT_CACHE_DIR": str(tmp_path / "cache")}, log=tmp_path / "log")  # fmt: skip
    try:
        for path in ("mosaics/passwd.fits", "mosaics/etc/passwd", "headers/up/secret.fits"):
            r = requests.get(f"{server.url}/files/{path}", timeout=60)
            assert r.status_code == 404, (path, r.text)
            assert "root:" not in r.text and "secret" not in r.text.replace("/secret.fits", "")
        ok = requests.get(f"{server.url}/files/mosaics/a/a03393_00.fits.fz", timeout=60)
        assert ok.status_code == 200 and len(ok.content) == int(ok.headers["Content-Length"])
    finally:
        server.stop()


def test_8_links_are_never_made_for_a_host_the_client_names(served):
    r = requests.get(f"{served}/datalink/links", params={"ID": "a03393m0s1"},
                     headers={"Host": "evil.example"}, timeout=60)  # fmt: skip
    assert r.status_code == 400 and b"evil.example" not in r.content.replace(
        b"Host &#39;evil.example&#39; is not trusted", b""
    )
    etree.fromstring(r.content)
    good = requests.get(f"{served}/datalink/links", params={"ID": "a03393m0s1"}, timeout=60)
    assert good.status_code == 200 and served.encode() in good.content


def test_9_a_503_names_neither_bucket_nor_key(vo_settings, moto_server, s3_bucket, tmp_path):
    """An S3 archive whose store answers 503 to everything: SODA answers 503 with
    Retry-After and a message free of s3:// addresses, bucket and key."""
    from tests.servers import FaultProxy

    proxy = FaultProxy(moto_server.url)
    proxy.always = "503"
    server = Gunicorn({**NO_CLUSTER, "PLATECUT_CONFIG": "", "PLATECUT_ARCHIVE_ROOT": f"s3://{s3_bucket}/demo",
                       "PLATECUT_STORAGE_S3_ENDPOINT_URL": proxy.url,
                       "PLATECUT_STORAGE_MAX_ATTEMPTS": "2", "PLATECUT_STORAGE_BACKOFF_MAX_S": "0.05",
                       "PLATECUT_CATALOG_SQLITE_PATH": str(vo_settings.catalog.sqlite_file()),
                       "PLATECUT_CACHE_DIR": str(tmp_path / "cache")}, log=tmp_path / "log")  # fmt: skip
    try:
        r = requests.get(
            f"{server.url}/soda/sync",
            params={"ID": "a03393m0s1", "CIRCLE": "0.2 12 0.01"},
            timeout=120,
        )
        assert r.status_code == 503, r.text
        assert r.headers["Retry-After"].isdigit()
        assert r.text.startswith("ServiceUnavailable: ")
        for secret in ("s3://", s3_bucket, "mosaics/", "//", proxy.url, "127.0.0.1"):
            assert secret not in r.text, (secret, r.text)
        assert s3_bucket in (tmp_path / "log").read_text()  # the operator's log has it
    finally:
        server.stop()
        proxy.stop()


def test_10_two_servers_on_one_host_share_no_control_socket(vo_settings, tmp_path):
    home, runtime = tmp_path / "home", tmp_path / "run"
    home.mkdir()
    runtime.mkdir()
    env = {**NO_CLUSTER, "HOME": str(home), "XDG_RUNTIME_DIR": str(runtime), "PLATECUT_CONFIG": "",
           "PLATECUT_ARCHIVE_ROOT": vo_settings.archive.root,
           "PLATECUT_CATALOG_SQLITE_PATH": str(vo_settings.catalog.sqlite_file())}  # fmt: skip
    servers = [
        Gunicorn({**env, "PLATECUT_CACHE_DIR": str(tmp_path / f"cache{i}")}) for i in range(2)
    ]
    try:
        assert servers[0].url != servers[1].url
        for server in servers:
            assert requests.get(f"{server.url}/health", timeout=30).status_code == 200
        assert not any(p.name.endswith(".ctl") for p in [*home.rglob("*"), *runtime.rglob("*")])
        pids = [set(s.worker_pids()) for s in servers]
        assert not pids[0] & pids[1]
        os.kill(servers[0].proc.pid, 15)  # stopping one leaves the other serving
        servers[0].proc.wait(30)
        assert requests.get(f"{servers[1].url}/health", timeout=30).status_code == 200
    finally:
        for server in servers:
            server.stop()
