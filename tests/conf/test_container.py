"""The container's configuration, without a Docker engine: gunicorn with the Dockerfile's
environment (bound to 127.0.0.1 here) answers a request by the host name it is given and
refuses another with a log line naming it."""

from __future__ import annotations

import re
import time

import requests

from service.settings import PROJECT_ROOT
from tests.servers import Gunicorn


def dockerfile_env() -> dict[str, str]:
    """The variables the Dockerfile's ENV instructions set."""
    text = (PROJECT_ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(re.findall(r"(\w+)=(\S+)", line[4:]))
    return env


def test_the_container_answers_by_the_names_it_is_given(vo_settings, tmp_path):
    env = dockerfile_env()
    assert env["PLATECUT_SERVER_BIND"] == "0.0.0.0:8080" and "PLATECUT_VO_ALLOWED_HOSTS" in env
    env.update(
        {
            "PLATECUT_VO_ALLOWED_HOSTS": "plates.example.org",  # docker run -e ...
            "PLATECUT_CONFIG": "",
            "PLATECUT_ARCHIVE_ROOT": vo_settings.archive.root,
            "PLATECUT_CATALOG_SQLITE_PATH": str(vo_settings.catalog.sqlite_file()),
            "PLATECUT_CACHE_DIR": str(tmp_path / "cache"),
            "PLATECUT_STACKS_SCHEDULER": "tcp://127.0.0.1:9",
        }
    )
    log = tmp_path / "gunicorn.log"
    server = Gunicorn(env, workers=1, log=log)
    try:
        ok = requests.get(
            f"{server.url}/sia/v2/query",
            params={"POS": "CIRCLE 0.2 12 0.05"},
            headers={"Host": "plates.example.org"},
            timeout=60,
        )
        assert ok.status_code == 200
        assert "http://plates.example.org/datalink/links?ID=" in ok.text  # links use it
        refused = requests.get(f"{server.url}/", headers={"Host": "evil.example"}, timeout=30)
        assert refused.status_code == 400
        deadline = time.monotonic() + 10
        while "'evil.example' refused" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert "request for host 'evil.example' refused (GET /)" in log.read_text()
    finally:
        server.stop()
