"""The gunicorn configuration module reads the typed settings."""

import runpy

from service.settings import PROJECT_ROOT


def test_gunicorn_conf_follows_settings(monkeypatch):
    monkeypatch.setenv("PLATECUT_SERVER_BIND", "127.0.0.1:9999")
    monkeypatch.setenv("PLATECUT_SERVER_WORKERS", "3")
    conf = runpy.run_path(str(PROJECT_ROOT / "conf" / "gunicorn.conf.py"))
    assert conf["bind"] == "127.0.0.1:9999"
    assert conf["workers"] == 3
    assert conf["preload_app"] is False
