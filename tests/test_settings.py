"""Typed settings: the file, environment overrides, and clear errors."""

import pytest

from service.settings import PROJECT_ROOT, SettingsError, load_settings


def test_defaults_come_from_the_conf_file():
    settings = load_settings(env={})
    assert settings.archive.root == "var/demo-archive"
    assert settings.local_archive_path() == PROJECT_ROOT / "var" / "demo-archive"
    assert settings.server.workers == 2


def test_environment_overrides_with_types():
    settings = load_settings(
        env={"PLATECUT_SERVER_WORKERS": "5", "PLATECUT_ARCHIVE_ROOT": "s3://bucket/prefix"}
    )
    assert settings.server.workers == 5
    assert not settings.archive_is_local
    with pytest.raises(SettingsError, match="not a local directory"):
        settings.local_archive_path()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PLATECUT_SERVER_WORKERS": "many"}, "PLATECUT_SERVER_WORKERS: expected int, got 'many'"),
        ({"PLATECUT_CONFIG": "/nonexistent.toml"}, "cannot read settings from /nonexistent.toml"),
    ],
)
def test_bad_environment_is_named(env, message):
    with pytest.raises(SettingsError, match=message):
        load_settings(env=env)


def test_unknown_keys_and_sections_are_refused(tmp_path):
    text = (PROJECT_ROOT / "conf" / "platecut.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text + "\n[nonsense]\nx = 1\n")
    with pytest.raises(SettingsError, match="unknown sections \\['nonsense'\\]"):
        load_settings(bad, env={})
    with pytest.raises(SettingsError, match="unknown keys \\['colour'\\]"):
        load_settings(env={}, overrides={"service": {"colour": "blue"}})
    with pytest.raises(SettingsError, match="expected int, got 'two'"):
        load_settings(env={}, overrides={"server": {"workers": "two"}})


def test_example_cloud_configuration_loads():
    settings = load_settings(PROJECT_ROOT / "conf" / "cloud.example.toml", env={})
    assert settings.archive.root.startswith("s3://")
