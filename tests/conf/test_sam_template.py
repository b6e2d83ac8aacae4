"""The SAM template: its handler exists, every PLATECUT_* variable is a real setting
that loads, and the policy grants what the service calls."""

import importlib
import json
from pathlib import Path

from service.settings import PROJECT_ROOT, load_settings

TEMPLATE = json.loads((PROJECT_ROOT / "conf" / "sam-template.json").read_text())
FUNCTION = TEMPLATE["Resources"]["Platecut"]["Properties"]


def test_handler_is_importable():
    module, name = FUNCTION["Handler"].rsplit(".", 1)
    assert callable(importlib.import_module(module).build_handler)
    assert name == "handler"


def test_environment_loads_as_settings():
    variables = FUNCTION["Environment"]["Variables"]
    concrete = {k: v for k, v in variables.items() if isinstance(v, str)}
    concrete |= {
        "PLATECUT_ARCHIVE_ROOT": "s3://bucket/prefix",
        "PLATECUT_SERVICE_AUTHORITY": "example.org",
        "PLATECUT_CATALOG_DYNAMODB_TABLE": "platecut",
        "PLATECUT_CATALOG_DYNAMODB_REGION": "eu-west-1",
        "PLATECUT_STORAGE_S3_REGION": "eu-west-1",
        "PLATECUT_RESULTS_S3_URL": "s3://results/cutouts",
        "PLATECUT_VO_ALLOWED_HOSTS": ".lambda-url.eu-west-1.on.aws",
    }
    assert set(concrete) == set(variables)
    settings = load_settings(PROJECT_ROOT / concrete.pop("PLATECUT_CONFIG"), env=concrete)
    assert settings.catalog.backend == "dynamodb"
    assert settings.results.redirect_above_bytes == 4_000_000
    assert Path(settings.cache.dir).is_absolute()
    assert settings.vo.trusted_hosts() == [".lambda-url.eu-west-1.on.aws"]


def test_policy_covers_the_calls_we_make():
    actions = {a for s in FUNCTION["Policies"][0]["Statement"] for a in s["Action"]}
    assert {
        "s3:GetObject",
        "s3:PutObject",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
    } <= actions
    source = "".join(
        (PROJECT_ROOT / "service" / name).read_text()
        for name in (
            "catalog/dynamodb.py",
            "catalog/dynamo_items.py",
            "jobs/dynamo_store.py",
            "jobs/results.py",
            "storage/s3.py",
        )
    )  # serving: the catalog, jobs (DynamoDB) and their results (S3)
    for call, action in (
        ("batch_get_item", "dynamodb:BatchGetItem"),
        (".query(", "dynamodb:Query"),
        (".scan(", "dynamodb:Scan"),
        (".put_item(", "dynamodb:PutItem"),
        (".delete_item(", "dynamodb:DeleteItem"),
        (".delete_object(", "s3:DeleteObject"),
        ("list_objects_v2", "s3:ListBucket"),
    ):
        if call in source:
            assert action in actions
