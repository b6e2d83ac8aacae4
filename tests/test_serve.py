"""`make serve` really starts gunicorn and serves the archive."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time

import requests

from service.archive.layout import iter_local_plates
from service.settings import PROJECT_ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_make_serve_answers_and_lists_the_plates(demo_archive, tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "PLATECUT_SERVER_BIND": f"127.0.0.1:{port}",
        "PLATECUT_ARCHIVE_ROOT": str(demo_archive),
        "PLATECUT_CATALOG_SQLITE_PATH": str(tmp_path / "catalog.sqlite"),
        "PLATECUT_CACHE_DIR": str(tmp_path / "cache"),
    }
    with (tmp_path / "serve.log").open("w") as log:
        proc = subprocess.Popen(
            ["make", "-s", "serve"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                page = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.3)
        assert page.status_code == 200
        for plate in iter_local_plates(demo_archive):
            assert f"<td>{plate.plate_id}</td>" in page.text
        log = (tmp_path / "serve.log").read_text()
        assert "present at" in log  # the archive is not regenerated
        assert "ingested 12 plates" in log and (tmp_path / "catalog.sqlite").exists()
        assert "gunicorn" in (tmp_path / "serve.log").read_text().lower()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_make_serve_dr7_shows_the_dasch_shaped_demo(tmp_path):
    """`make serve-dr7` starts moto, writes the DR7-shaped demo into it, ingests it and
    serves it: the page lists its plates and SIA 2.0 finds exposures with no solution."""
    port = free_port()
    env = {
        **os.environ,
        "PLATECUT_SERVER_BIND": f"127.0.0.1:{port}",
        "PLATECUT_CATALOG_SQLITE_PATH": str(tmp_path / "dr7.sqlite"),
        "PLATECUT_CACHE_DIR": str(tmp_path / "cache"),
        "PLATECUT_DEMO_PLATES": "4",
    }
    with (tmp_path / "serve.log").open("w") as log:
        proc = subprocess.Popen(
            ["make", "-s", "serve-dr7"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 180
        while True:
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            try:
                page = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.5)
        assert page.status_code == 200
        log = (tmp_path / "serve.log").read_text()
        assert "wrote 6 DR7 plates" in log and "ingested 6 plates" in log, log
        plates = log.split("wrote 6 DR7 plates")[1].splitlines()[0].split(": ")[1].split()
        for plate in plates:
            assert f"<td>{plate}</td>" in page.text
        sia = requests.get(
            f"http://127.0.0.1:{port}/sia/v2/query",
            params={"POS": "RANGE 0 360 -90 90", "CALIB": 1},
            timeout=30,
        )
        assert sia.status_code == 200 and sia.text.count("<TR>") >= 2
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    assert proc.returncode is not None
