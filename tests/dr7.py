"""The DASCH-DR7-shaped test archive (mosaics in a bucket, one item per plate in a
DynamoDB table, on the moto server), catalogued by the DR7 ingest source into SQLite:
its truth and settings (the ``dr7`` fixture is in tests/conftest.py)."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import boto3
import numpy as np
from astropy.io import fits

from service.archive.factory import open_source
from service.catalog.ingest import IngestReport, run_ingest
from service.catalog.sqlite import SqliteCatalog
from service.demo.dr7 import Dr7Plan, plan_dr7, write_dr7
from service.settings import Settings, load_settings
from service.storage.factory import open_store

BUCKET, TABLE = "dasch-prod-user", "dasch-dev-dr7-plates"
#: solved plates of the test archive (the plan adds one scanned but not solved, one never
#: scanned); 8 cover every rotationDelta value and plates of 1, 2 and 3 solutions
SOLVED_PLATES = 8
FIELDS = ((0.2, 12.0), (150.0, 30.0))


@dataclasses.dataclass
class Dr7Archive:
    """The archive, its truth and the settings of a server over it."""

    settings: Settings
    plans: list[Dr7Plan]
    report: IngestReport
    endpoint: str

    def plan(self, plate_id: str) -> Dr7Plan:
        return next(p for p in self.plans if p.plate_id == plate_id)

    def mosaic(self, plan: Dr7Plan, binning: int = 1) -> np.ndarray:
        """The stored mosaic, read whole from the bucket with astropy (not our reader)."""
        tnx = "_tnx" if binning == 1 else ""
        key = plan.key_template().replace("{bin}", f"{binning:02d}").replace("{tnx}", tnx)
        client = boto3.client("s3", endpoint_url=self.endpoint, region_name="us-east-1")
        body = client.get_object(Bucket=BUCKET, Key=key)["Body"].read()
        client.close()
        with fits.open(io.BytesIO(body)) as hdus:
            return np.asarray(hdus[1].data, dtype=float)


def dr7_settings(endpoint: str, var: Path, table: str = TABLE) -> Settings:
    return load_settings(
        env={},
        overrides={
            "archive": {"root": f"s3://{BUCKET}", "layout": "dasch-dr7", "dasch_table": table},
            "storage": {"s3_endpoint_url": endpoint},
            "catalog": {"dynamodb_endpoint_url": endpoint, "sqlite_path": str(var / "cat.sqlite")},
            "cache": {"dir": str(var / "cache"), "poison_holes": True},
            "vo": {"default_maxrec": 500, "max_maxrec": 1000},
        },
    )


def make_dr7(endpoint: str, var: Path) -> Dr7Archive:
    """Write the test archive to the moto server at ``endpoint`` and catalogue it."""
    plans = plan_dr7(SOLVED_PLATES, seed=5, fields=FIELDS)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    db = boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")
    write_dr7(s3, BUCKET, "", db, TABLE, plans, workers=2)
    s3.close()
    db.close()
    settings = dr7_settings(endpoint, var)
    store = open_store(settings)
    catalog = SqliteCatalog(settings.catalog.sqlite_file())
    report = run_ingest(open_source(settings, store), catalog, workers=3, progress=None)
    catalog.close()
    store.close()
    return Dr7Archive(settings, plans, report, endpoint)
