"""Shared fixtures: a real demo archive, generated once per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.demo.generate import generate_archive
from service.settings import Settings, load_settings

DEMO_PLATES = 12
DEMO_SEED = 1


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo archive (12 plates of 2,000-3,200 px), generated once."""
    root = tmp_path_factory.mktemp("demo-archive")
    generate_archive(root, plates=DEMO_PLATES, seed=DEMO_SEED)
    return root


@pytest.fixture
def settings(demo_archive: Path) -> Settings:
    """Settings serving the session's demo archive, independent of the environment."""
    return load_settings(env={}, overrides={"archive": {"root": str(demo_archive)}})
