"""A Flask client of the app over the DR7-shaped test archive (``dr7``, tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from service.app import create_app


@pytest.fixture(scope="module")
def dr7_client(dr7) -> Iterator:
    app = create_app(dr7.settings)
    yield app.test_client()
    app.extensions["platecut"].close()
