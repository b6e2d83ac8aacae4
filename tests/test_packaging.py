"""What `make serve`, `make test` and the image install: exact versions from the lock
files, one for each extra, covering every dependency pyproject.toml names; and the
licence file says the licence pyproject.toml declares."""

from __future__ import annotations

import re
import tomllib

from service.settings import PROJECT_ROOT

PROJECT = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]


def name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def pins(lock: str) -> dict[str, str]:
    text = (PROJECT_ROOT / "requirements" / lock).read_text()
    found = re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)", text, flags=re.M)
    return {n.lower().replace("_", "-"): v for n, v in found}


def test_the_locks_pin_every_dependency_exactly():
    app, test = pins("app.lock"), pins("test.lock")
    for requirement in PROJECT["dependencies"]:
        assert name(requirement) in app and name(requirement) in test, requirement
    for requirement in PROJECT["optional-dependencies"]["test"]:
        assert name(requirement) in test, requirement
    shared = set(app) & set(test)
    assert {n for n in shared if app[n] != test[n]} == set()  # one version of each
    makefile = (PROJECT_ROOT / "Makefile").read_text()
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert "-r requirements/app.lock" in makefile and "-r requirements/test.lock" in makefile
    assert "-r requirements/app.lock" in dockerfile and "--no-deps -e ." in dockerfile


def test_the_licence_file_is_the_declared_licence():
    assert PROJECT["license"] == "MIT"
    assert (PROJECT_ROOT / "LICENSE").read_text().startswith("MIT License")
