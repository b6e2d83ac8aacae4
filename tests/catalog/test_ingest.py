"""Ingest of a real (demo) archive: footprints, idempotence, resumption, bad plates."""

from __future__ import annotations

import gzip
import io
import shutil

import numpy as np

from service.archive.layout import iter_local_plates
from service.archive.sidecars import ingest
from service.catalog.query import ExposureQuery
from service.settings import load_settings
from service.sky import Circle
from service.storage.local import LocalStore
from service.storage.s3 import S3Store
from tests.conftest import TEST_POLICY

SERVICE = load_settings(env={}).service


def snapshot(catalog):
    plates = catalog.plates()
    rows = catalog.search(ExposureQuery(regions=(Circle(0, 0, 180),))).rows
    return plates, rows


def test_ingest_twice_gives_the_same_catalog(catalog, demo_archive):
    store = LocalStore(demo_archive)
    first = ingest(store, catalog, SERVICE, workers=3, progress=io.StringIO())
    assert len(first.ingested) == 12 and not first.skipped
    before = snapshot(catalog)
    again = ingest(store, catalog, SERVICE, workers=3, progress=None)
    assert again.unchanged == first.ingested and not again.ingested
    forced = ingest(store, catalog, SERVICE, workers=2, force=True, progress=None)
    assert forced.ingested == first.ingested
    assert snapshot(catalog) == before
    plates, rows = before
    expected = sum(len(p.exposures) for p in iter_local_plates(demo_archive))
    assert len(rows) == expected and len(plates) == 12
    assert {r.publisher_did for r in rows} == {
        f"ivo://{SERVICE.authority}/{SERVICE.ivo_path}?{r.obs_id}" for r in rows
    }


def test_footprints_cover_the_plates(catalog, demo_archive, engine_solutions):
    ingest(LocalStore(demo_archive), catalog, SERVICE, progress=None)
    for plate in iter_local_plates(demo_archive):
        for exposure in plate.exposures:
            solution = engine_solutions(plate)[exposure.solnum]
            ny, nx = solution.shape
            for fx, fy in ((0.5, 0.5), (0.02, 0.03), (0.97, 0.98)):
                ra, dec = solution.pixel_to_world(np.array([fx * nx]), np.array([fy * ny]))
                found = catalog.search(
                    ExposureQuery(regions=(Circle(float(ra[0]), float(dec[0]), 1e-4),))
                )
                ids = {r.obs_id for r in found.rows}
                assert f"{plate.plate_id}m0s{exposure.solnum}" in ids


def test_bad_plates_are_reported_and_the_rest_ingested(catalog, demo_archive, tmp_path):
    root = tmp_path / "archive"
    shutil.copytree(demo_archive, root)
    header = next(root.glob("headers/a/a03393_00.wcs.gz"))
    header.write_bytes(gzip.compress(b"this is not a FITS header" * 10))
    next(root.glob("mosaics/mc/*.fits.fz")).unlink()
    (root / "plates/a/a99999.json").write_text("{not json")
    report = ingest(LocalStore(root), catalog, SERVICE, progress=None)
    assert len(report.ingested) == 10
    assert set(report.skipped) == {
        "plates/a/a03393.json",
        "plates/a/a99999.json",
        next(k for k in report.skipped if k.startswith("plates/mc")),
    }
    assert "CorruptDataFault" in report.skipped["plates/a/a03393.json"]
    assert catalog.plate("a03393") is None  # nothing half-written
    assert "skipped plates/a/a99999.json" in report.summary()


def test_ingest_from_an_s3_prefix(catalog, moto_server, s3_bucket):
    store = S3Store(s3_bucket, "demo", TEST_POLICY, endpoint_url=moto_server.url)
    report = ingest(store, catalog, SERVICE, progress=None)
    store.close()
    assert len(report.ingested) == 12 and not report.skipped


def test_every_solution_records_the_source_of_its_pixels(catalog, demo_archive, engine_solutions):
    """What a cutout needs, with no sidecar, header file or mosaic header read: the
    solution (same sky positions as the header file's), the mosaic's version, size and
    layout (as the mosaic's own header gives them), and the header file's size."""
    from service.rangeread.fitsmeta import layout_from_json, locate_image
    from service.wcs.solutions import solution_from_cards

    store = LocalStore(demo_archive)
    ingest(store, catalog, SERVICE, progress=None)
    rng = np.random.default_rng(2)
    for plate in iter_local_plates(demo_archive):
        mosaic = plate.mosaics[0]
        raw = (demo_archive / mosaic.object_key).read_bytes()
        for exposure in plate.exposures:
            source = catalog.source(f"{plate.plate_id}m0s{exposure.solnum}")
            assert source is not None and source.exposure.plate_id == plate.plate_id
            pixels = source.pixels
            assert pixels.object_etag == store.stat(mosaic.object_key).etag
            assert source.exposure.object_size == len(raw)
            assert source.exposure.header_size == (demo_archive / mosaic.header_key).stat().st_size
            assert layout_from_json(pixels.layout) == locate_image(raw[:100_000])
            assert pixels.rotation_delta == mosaic.rotation_delta
            original = engine_solutions(plate)[exposure.solnum]
            recorded = solution_from_cards(pixels.wcs_cards, exposure.solnum, pixels.solution_key)
            ny, nx = original.shape
            x, y = rng.uniform(0, nx, 200), rng.uniform(0, ny, 200)
            np.testing.assert_array_equal(
                recorded.pixel_to_world(x, y), original.pixel_to_world(x, y)
            )
            assert recorded.shape == original.shape and recorded.key == original.key
            assert "CTYPE1 " in pixels.wcs_cards  # the chosen solution, under the primary key
    assert catalog.source("zz00001m0s0") is None
