"""Choosing an object store from the settings. boto3 and requests are imported only
when the configuration names a store that needs them."""

from __future__ import annotations

from urllib.parse import urlparse

from service.settings import Settings, SettingsError
from service.storage.base import ObjectStore, ResultBucket, RetryPolicy
from service.storage.local import LocalStore


def retry_policy(settings: Settings) -> RetryPolicy:
    """The retry policy configured in ``[storage]``."""
    st = settings.storage
    return RetryPolicy(
        st.max_attempts,
        st.backoff_base_s,
        st.backoff_max_s,
        st.connect_timeout_s,
        st.read_timeout_s,
    )


def open_results(settings: Settings) -> ResultBucket | None:
    """The bucket where large responses are written (``results.s3_url``), or None."""
    url = urlparse(settings.results.s3_url)
    if not settings.results.s3_url:
        return None
    if url.scheme != "s3" or not url.netloc:
        raise SettingsError(f"results.s3_url {settings.results.s3_url!r} is not s3://bucket/prefix")
    return _s3(settings, url.netloc, url.path, unsigned=False)


def _s3(settings: Settings, bucket: str, prefix: str, unsigned: bool) -> ResultBucket:
    from service.storage.s3 import S3Store

    st = settings.storage
    return S3Store(
        bucket,
        prefix,
        retry_policy(settings),
        endpoint_url=st.s3_endpoint_url,
        region=st.s3_region,
        unsigned=unsigned,
        max_connections=st.concurrency,
    )


def open_store(settings: Settings) -> ObjectStore:
    """Return the store of the configured archive root.

    A local path gives a :class:`LocalStore`, ``s3://bucket/prefix`` an S3 store,
    ``http(s)://...`` an HTTP store.
    """
    root = settings.archive.root
    if settings.archive_is_local:
        return LocalStore(settings.local_archive_path())
    url = urlparse(root)
    if url.scheme == "s3":
        return _s3(settings, url.netloc, url.path, settings.storage.s3_unsigned)
    if url.scheme in {"http", "https"}:
        from service.storage.http import HttpStore

        return HttpStore(root, retry_policy(settings))
    raise SettingsError(f"archive root {root!r}: unsupported scheme {url.scheme!r}")
