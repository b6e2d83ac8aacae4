"""Choosing the catalog backend from the settings (boto3 is imported only for DynamoDB)."""

from __future__ import annotations

from service.catalog.base import Catalog
from service.catalog.sqlite import SqliteCatalog
from service.settings import Settings, SettingsError


def open_catalog(settings: Settings) -> Catalog:
    """The configured catalog: ``sqlite`` (default) or ``dynamodb``."""
    c = settings.catalog
    if c.backend == "sqlite":
        return SqliteCatalog(c.sqlite_file())
    if c.backend == "dynamodb":
        from service.catalog.dynamodb import DynamoCatalog

        return DynamoCatalog(
            c.dynamodb_table,
            c.dynamodb_endpoint_url,
            c.dynamodb_region,
            c.max_attempts,
            settings.storage.concurrency,
        )
    raise SettingsError(f"catalog.backend {c.backend!r} is not 'sqlite' or 'dynamodb'")
