"""Choosing the store from settings, and each store's basic contract."""

import subprocess
import sys

import boto3
import pytest

from service.faults import FatalFault, NotFoundFault
from service.settings import SettingsError, load_settings
from service.storage.base import FetchStats
from service.storage.factory import open_store
from service.storage.http import HttpStore
from service.storage.local import LocalStore
from service.storage.s3 import S3Store
from service.wiring import open_reader


def settings_for(root, **storage):
    return load_settings(env={}, overrides={"archive": {"root": root}, "storage": storage})


def test_store_follows_the_archive_root(tmp_path):
    assert isinstance(open_store(settings_for(str(tmp_path))), LocalStore)
    s3 = open_store(settings_for("s3://bucket/some/prefix", s3_endpoint_url="http://127.0.0.1:1"))
    assert isinstance(s3, S3Store) and s3.identity == "s3://bucket/some/prefix"
    assert isinstance(open_store(settings_for("https://example.org/plates")), HttpStore)
    with pytest.raises(SettingsError, match="unsupported scheme 'ftp'"):
        open_store(settings_for("ftp://example.org/plates"))


def test_stat_head_and_whole_reads_agree(store, objects_root):
    key = "variety/u8_rice_rows.fits.fz"
    raw = (objects_root / key).read_bytes()
    stats = FetchStats()
    info = store.stat(key, stats)
    assert info.size == len(raw) and info.etag
    head, head_info = store.read_head(key, 5000, stats)
    assert head == raw[:5000] and head_info == info
    small, _ = store.read_head(key, len(raw) + 999, stats)
    assert small == raw
    assert store.read_range(key, 100, 3000, info.etag, stats) == raw[100:3000]
    assert store.read_all(key, stats) == raw
    assert stats.gets == 4 and stats.bytes_fetched == 5000 + 2 * len(raw) + 2900
    with pytest.raises(NotFoundFault):
        store.stat("variety/none.fits", stats)


def test_unsigned_s3_access_to_public_objects(moto_server, s3_bucket, objects_root):
    from tests.conftest import TEST_POLICY

    store = S3Store(s3_bucket, "public", TEST_POLICY, endpoint_url=moto_server.url, unsigned=True)
    raw = (objects_root / "variety/i16_plio.fits.fz").read_bytes()
    owner = boto3.client("s3", endpoint_url=moto_server.url, region_name="us-east-1")
    owner.put_object(Bucket=s3_bucket, Key="public/private.fits.fz", Body=raw)
    owner.put_object(Bucket=s3_bucket, Key="public/open.fits.fz", Body=raw, ACL="public-read")
    owner.close()
    with pytest.raises(FatalFault, match="S3 refused 'private.fits.fz'.*403"):
        store.read_all("private.fits.fz", FetchStats())  # anonymous, private: clear refusal
    assert store.read_all("open.fits.fz", FetchStats()) == raw
    store.close()


def test_reader_from_settings_uses_the_configured_cache(tmp_path, demo_archive):
    settings = load_settings(
        env={},
        overrides={
            "archive": {"root": str(demo_archive)},
            "cache": {"dir": str(tmp_path / "cache"), "poison_holes": True},
        },
    )
    with open_reader(settings, open_store(settings)) as reader:
        reader.read_box("mosaics/a/a03393_00.fits.fz", (0, 50, 0, 50))
    assert list((tmp_path / "cache").glob("*.ranges"))


def test_the_s3_store_reads_without_importing_boto3(moto_server, s3_bucket, objects_root):
    """A fresh interpreter reading a range from S3 loads botocore's client only: boto3's
    session and s3transfer are about 40 ms of a cold start this store does not use."""
    code = f"""
import sys
from service.storage.base import FetchStats, RetryPolicy
from service.storage.s3 import S3Store
store = S3Store({s3_bucket!r}, "", RetryPolicy(2, 0.01, 0.05, 2.0, 2.0),
                endpoint_url={moto_server.url!r})
data, info = store.read_head("variety/u8_rice_rows.fits.fz", 2880, FetchStats())
print(data[:6].decode(), info.size, sorted(m for m in ("boto3", "botocore") if m in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    size = (objects_root / "variety/u8_rice_rows.fits.fz").stat().st_size
    assert done.stdout.split() == ["SIMPLE", str(size), "['botocore']"]
