"""Shared fixtures: a real demo archive, generated once per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

from service.archive.sidecars import ingest
from service.catalog.sqlite import SqliteCatalog
from service.demo.generate import generate_archive
from service.settings import Settings, load_settings
from service.storage.base import ObjectStore, RetryPolicy
from service.storage.http import HttpStore
from service.storage.local import LocalStore
from service.storage.s3 import S3Store
from tests.servers import MotoServer, RangeFileServer

DEMO_PLATES = 12
DEMO_SEED = 1


@pytest.fixture(scope="session")
def demo_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default demo archive (12 plates of 2,000-3,200 px), generated once."""
    root = tmp_path_factory.mktemp("demo-archive")
    generate_archive(root, plates=DEMO_PLATES, seed=DEMO_SEED)
    return root


@pytest.fixture
def settings(demo_archive: Path, tmp_path: Path) -> Settings:
    """Settings serving the session's demo archive, independent of the environment and
    of the project's ``var/`` (an empty catalog and a replica of the test's own)."""
    return load_settings(
        env={},
        overrides={
            "archive": {"root": str(demo_archive)},
            "catalog": {"sqlite_path": str(tmp_path / "catalog.sqlite")},
            "cache": {"dir": str(tmp_path / "cache")},
        },
    )


@pytest.fixture(scope="session")
def vo_settings(demo_archive: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings over the demo archive, its catalog ingested once."""
    var = tmp_path_factory.mktemp("vo")
    settings = load_settings(
        env={},
        overrides={
            "archive": {"root": str(demo_archive)},
            "catalog": {"sqlite_path": str(var / "catalog.sqlite")},
            "cache": {"dir": str(var / "cache"), "poison_holes": True},
            "vo": {"default_maxrec": 50, "max_maxrec": 200},
        },
    )
    catalog = SqliteCatalog(settings.catalog.sqlite_file())
    catalog.create()
    ingest(LocalStore(demo_archive), catalog, settings.service, workers=2, progress=None)
    catalog.close()
    return settings


@pytest.fixture(scope="session")
def variety_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small FITS files with every compression and data type (see tests/fitsfiles.py)."""
    from tests.fitsfiles import write_variety

    root = tmp_path_factory.mktemp("variety")
    write_variety(root)
    return root


@pytest.fixture(scope="session")
def aws_credentials() -> Iterator[None]:
    """Dummy credentials: boto3 only ever talks to servers on 127.0.0.1 here."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AWS_ACCESS_KEY_ID", "testing")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        patch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        patch.delenv("AWS_PROFILE", raising=False)
        yield


@pytest.fixture(scope="session")
def moto_server(aws_credentials: None) -> Iterator[MotoServer]:
    """A moto server process on 127.0.0.1 (S3 and DynamoDB over real HTTP)."""
    server = MotoServer()
    yield server
    server.stop()


def link_tree(source: Path, target: Path, skip: frozenset[str] = frozenset()) -> None:
    """``target`` holding hard links to every file under ``source`` (relative paths in
    ``skip`` left out): a copy that costs nothing and is inside ``target`` for a store
    that refuses what resolves outside its root."""
    for folder, _, names in os.walk(source):
        for name in names:
            path = Path(folder) / name
            relative = path.relative_to(source)
            if str(relative) in skip:
                continue
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target / relative)


@pytest.fixture(scope="session")
def objects_root(
    tmp_path_factory: pytest.TempPathFactory, demo_archive: Path, variety_dir: Path
) -> Path:
    """A directory with ``demo/`` (the demo archive) and ``variety/`` (small files), as
    hard links."""
    root = tmp_path_factory.mktemp("objects")
    link_tree(demo_archive, root / "demo")
    link_tree(variety_dir, root / "variety")
    return root


@pytest.fixture(scope="session")
def s3_bucket(moto_server: MotoServer, objects_root: Path) -> str:
    """Bucket ``platecut-test`` on the moto server holding every file of objects_root."""
    client = boto3.client("s3", endpoint_url=moto_server.url, region_name="us-east-1")
    client.create_bucket(Bucket="platecut-test")
    for folder, _, names in os.walk(objects_root, followlinks=True):
        for name in names:
            path = Path(folder) / name
            client.upload_file(str(path), "platecut-test", str(path.relative_to(objects_root)))
    client.close()
    return "platecut-test"


@pytest.fixture(scope="session")
def http_server(objects_root: Path) -> Iterator[RangeFileServer]:
    """A local HTTP server honouring Range requests over objects_root."""
    server = RangeFileServer(objects_root)
    yield server
    server.stop()


TEST_POLICY = RetryPolicy(
    max_attempts=4,
    backoff_base_s=0.01,
    backoff_max_s=0.05,
    connect_timeout_s=2.0,
    read_timeout_s=1.0,
)


def make_store(
    kind: str, objects_root: Path, moto_url: str = "", http_url: str = "", bucket: str = ""
) -> ObjectStore:
    """A store of the given kind over the same objects."""
    if kind == "local":
        return LocalStore(objects_root)
    if kind == "s3":
        return S3Store(bucket, "", TEST_POLICY, endpoint_url=moto_url)
    return HttpStore(http_url, TEST_POLICY)


@pytest.fixture(params=["local", "s3", "http"])
def store(request: pytest.FixtureRequest, objects_root: Path) -> Iterator[ObjectStore]:
    """Each object store in turn, over the same files."""
    if request.param == "local":
        made = make_store("local", objects_root)
    elif request.param == "s3":
        moto = request.getfixturevalue("moto_server")
        made = make_store(
            "s3", objects_root, moto_url=moto.url, bucket=request.getfixturevalue("s3_bucket")
        )
    else:
        made = make_store("http", objects_root, http_url=request.getfixturevalue("http_server").url)
    yield made
    made.close()


@pytest.fixture(scope="session")
def dr7(moto_server, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN001, ANN201
    """The DASCH-DR7-shaped test archive on the moto server, catalogued (tests/dr7.py)."""
    from tests.dr7 import make_dr7

    return make_dr7(moto_server.url, tmp_path_factory.mktemp("dr7"))
