"""The package's import structure: no cycle between its modules, whether the imports are
at module level or inside functions; the Dask side of jobs and the cutout engine load
in a fresh interpreter without Flask; a process that makes a cutout from a local
archive loads neither boto3 nor Dask."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from service.settings import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "service"


def module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Every module of the package that ``path`` imports, anywhere in the file (lazy
    imports inside functions included), with the packages they sit in."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            while name:  # importing a module runs the __init__ of its packages
                found.add(name)
                name = name.rpartition(".")[0]
    return found


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module, or with a self-loop
    (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}}) == [["a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_package_has_no_import_cycle():
    known = modules()
    graph = {
        name: {m for m in imports_of(path, set(known)) if m != name and m.startswith("service")}
        for name, path in known.items()
    }
    # a package's own modules import it (its __init__) without forming a cycle with it
    for name in graph:
        graph[name] = {m for m in graph[name] if not name.startswith(m + ".")}
    assert "service.wiring" in graph["service.jobs.worker"]  # the walk sees real edges
    assert "service.jobs.worker" in graph["service.jobs.dask"]
    assert cycles(graph) == []


def fresh(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def uses_dask(path: Path) -> bool:
    text = path.read_text()
    return "import distributed" in text or "from distributed" in text or "dask" in text


@pytest.mark.parametrize(
    "module",
    sorted(
        {name for name, path in modules().items() if uses_dask(path) and ".web" not in name}
        | {"service.cutout.engine", "service.jobs.worker", "service.jobs.run", "service.wiring"}
    ),
)
def test_dask_side_and_engine_import_without_flask(module):
    loaded = fresh(f"import sys, {module}; print(sorted(m for m in sys.modules if m == 'flask'))")
    assert loaded == "[]", f"{module} loads Flask"


def test_a_local_cutout_loads_neither_boto3_nor_dask(vo_settings):
    """A fresh interpreter cuts an exposure of the local demo archive through the
    process's parts, as the command line does."""
    code = f"""
import sys
from service.settings import load_settings
from service.wiring import Services
from service.cutout.service import CutoutSpec
settings = load_settings(env={{}}, overrides={{
    "archive": {{"root": {vo_settings.archive.root!r}}},
    "catalog": {{"sqlite_path": {str(vo_settings.catalog.sqlite_file())!r}}},
    "cache": {{"dir": {str(vo_settings.cache.path())!r}}}}})
services = Services(settings)
obs_id = services.catalog.plates(limit=1)[0].plate_id + "m0s0"
rendered = services.cutouts.cutout(obs_id, CutoutSpec(None, 1.44, 64, 64))
assert rendered is not None and len(rendered.body) > 64 * 64 * 4
print(sorted(m for m in ("boto3", "botocore", "distributed", "dask", "flask") if m in sys.modules))
"""
    assert fresh(code) == "[]"


def test_the_app_answering_a_cutout_loads_only_what_it_needs(vo_settings):
    """The Lambda cold start: a fresh interpreter builds the app and answers a FITS
    cutout of the local demo archive without loading the S3 client, Dask, the plotting
    stack or SciPy's interpolation package."""
    code = f"""
import sys
from service.app import create_app
from service.settings import load_settings
settings = load_settings(env={{}}, overrides={{
    "archive": {{"root": {vo_settings.archive.root!r}}},
    "catalog": {{"sqlite_path": {str(vo_settings.catalog.sqlite_file())!r}}},
    "cache": {{"dir": {str(vo_settings.cache.path())!r}}}}})
client = create_app(settings).test_client()
answer = client.get("/soda/sync", query_string={{"ID": "a03393m0s1", "CIRCLE": "0.2 12 0.03"}})
assert answer.status_code == 200 and answer.data[:6] == b"SIMPLE", answer.data[:300]
heavy = ("boto3", "botocore", "distributed", "dask", "matplotlib", "scipy.interpolate",
         "scipy.ndimage", "mocpy")
print(sorted(m for m in heavy if m in sys.modules))
"""
    assert fresh(code) == "[]"


def test_every_module_fits_in_a_head():
    """No module of the package over 400 lines (issue 18's bound)."""
    long = {
        name: n
        for name, path in modules().items()
        if (n := len(path.read_text().splitlines())) > 400
    }
    assert long == {}


def test_the_lambda_handler_freezes_what_start_up_made(vo_settings):
    """The Lambda cold start keeps the start-up objects out of the collector's scans
    (a full collection walked them during the first request)."""
    code = f"""
import gc
from service.lambda_handler import build_handler
from service.settings import load_settings
settings = load_settings(env={{}}, overrides={{
    "archive": {{"root": {vo_settings.archive.root!r}}},
    "catalog": {{"sqlite_path": {str(vo_settings.catalog.sqlite_file())!r}}},
    "cache": {{"dir": {str(vo_settings.cache.path())!r}}}}})
before = gc.get_freeze_count()
build_handler(settings)
print(before, gc.get_freeze_count() > 10000)
"""
    assert fresh(code) == "0 True"
