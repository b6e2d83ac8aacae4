"""A served demo archive: settings with an ingested SQLite catalog, Flask's test
client, and the app on a real HTTP server on 127.0.0.1 for pyvo and STILTS."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from service.app import create_app
from service.settings import Settings


@pytest.fixture(scope="session")
def vo_app(vo_settings: Settings):  # noqa: ANN201
    """One app for the session (its services are opened lazily, closed at the end)."""
    app = create_app(vo_settings)
    yield app
    app.extensions["platecut"].close()


@pytest.fixture
def client(vo_app):  # noqa: ANN001, ANN201
    """Flask's test client."""
    return vo_app.test_client()


@pytest.fixture(scope="session")
def live(vo_app) -> Iterator[str]:  # noqa: ANN001
    """Base URL of the app served over HTTP on 127.0.0.1 (threaded werkzeug server)."""
    server = make_server("127.0.0.1", 0, vo_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(5)


@pytest.fixture(scope="session")
def gunicorn(vo_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """The app under gunicorn (2 workers, the production configuration: its local Dask
    cluster too) over the session's ingested demo archive (a tests.servers.Gunicorn)."""
    from tests.servers import Gunicorn

    var = tmp_path_factory.mktemp("gunicorn")
    env = {
        "PLATECUT_ARCHIVE_ROOT": vo_settings.archive.root,
        "PLATECUT_CATALOG_SQLITE_PATH": str(vo_settings.catalog.sqlite_file()),
        "PLATECUT_CACHE_DIR": str(var / "cache"),
        "PLATECUT_CONFIG": "",
        "PLATECUT_STACKS_LOCAL_WORKERS": "2",
    }
    server = Gunicorn(env, log=var / "gunicorn.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def served(gunicorn) -> str:  # noqa: ANN001
    """Base URL of the app under gunicorn (see ``gunicorn``)."""
    return gunicorn.url


@pytest.fixture(scope="session")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The IVOA XSDs STILTS ships, extracted once (see tests/stilts.py)."""
    from tests.stilts import schema_dir

    return schema_dir(tmp_path_factory.mktemp("xsd"))
