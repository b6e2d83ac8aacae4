"""DASCH DR7 served as DASCH stores it: the rotation delta is DASCH's, every solution's
cutouts put the stars where the truth says and equal reproject of the full mosaic,
discovery lists solved and unsolved exposures as an independent containment test on
the truth says, an exposure without a solution has no cutout and says why, and ingest
reads only what changed."""

from __future__ import annotations

import copy
import io
import math
from urllib.parse import urlparse

import numpy as np
import pytest
from astropy.io import fits
from astropy.io.votable import parse_single_table
from astropy.wcs import WCS
from PIL import Image
from reproject import reproject_interp

from service.archive.dasch_frames import NOMINAL_SIDE_PX, PIXELS_PER_MM, PLATE_SCALE_BY_SERIES
from service.archive.dr7 import ROTATIONS, plate_from_item
from service.archive.layout import LayoutError
from service.demo.render import effective_limit, exposure_objects, star_flux
from service.wcs.rotation import solution_to_stored
from tests.demo.test_astrometry import fit_centroid


def dasch_stored(x, y, rotation: int, width: int, height: int):
    """DASCH's rule (src/cutout.rs): where WCS-frame pixel (x, y) is in the stored mosaic
    of ``width`` x ``height`` for a rotationDelta."""
    w, h = width - 1, height - 1
    if rotation in (90, -270):
        return y, h - x
    if rotation in (-90, 270):
        return w - y, x
    if rotation in (180, -180):
        return w - x, h - y
    assert rotation == 0
    return x, y


@pytest.mark.parametrize("rotation", sorted(ROTATIONS))
def test_rotation_delta_follows_dasch_formulas(rotation):
    rng = np.random.default_rng(abs(rotation))
    ny, nx = 700, 1000  # the WCS frame
    height, width = (nx, ny) if rotation % 180 else (ny, nx)  # the stored mosaic
    x, y = rng.uniform(-0.5, nx - 0.5, 50), rng.uniform(-0.5, ny - 0.5, 50)
    ours = solution_to_stored(x, y, (ny, nx), ROTATIONS[rotation])
    np.testing.assert_allclose(ours, dasch_stored(x, y, rotation, width, height), atol=1e-9)


def test_every_rotation_and_solution_count_is_in_the_archive(dr7):
    solved = [p for p in dr7.plans if p.n_solutions]
    assert {p.rotation for p in solved} == set(ROTATIONS)
    assert {p.n_solutions for p in solved} >= {1, 2, 3}
    assert any(None in p.logged for p in solved)  # a NULL exposure entry
    assert any(e and e.ra == 999.0 for p in dr7.plans for e in p.logged)  # a placeholder
    assert any(not p.scanned for p in dr7.plans)
    assert any(p.scanned and not p.n_solutions for p in dr7.plans)


def bright_stars(plan, exposure, n=12):
    """Bright, isolated stars of one exposure: (ra, dec, x, y) in the WCS frame."""
    objs, x, y, mag = exposure_objects(plan, exposure)
    others = [exposure_objects(plan, e) for e in plan.exposures]
    all_x = np.concatenate([o[1] for o in others])
    all_y = np.concatenate([o[2] for o in others])
    sigma0 = plan.series.psf_sigma_px
    peak = star_flux(mag, effective_limit(plan, exposure), sigma0) / (2 * np.pi * sigma0**2)
    ny, nx = plan.shape
    chosen = []
    for k in np.argsort(-peak):
        if not (800 < peak[k] < 12000) or objs.kind[k] != 0:
            continue
        if not (40 < x[k] < nx - 40 and 40 < y[k] < ny - 40):
            continue
        if np.sum(np.hypot(all_x - x[k], all_y - y[k]) < 14) > 1:
            continue
        chosen.append(k)
        if len(chosen) == n:
            break
    return objs.ra[chosen], objs.dec[chosen], x[chosen], y[chosen]


def test_stored_bitmaps_are_rotated_as_dasch_stores_them(dr7):
    for plan in [p for p in dr7.plans if p.n_solutions]:
        stored = dr7.mosaic(plan)
        height, width = stored.shape
        _, _, x, y = bright_stars(plan.plan, plan.plan.exposures[0])
        assert len(x) >= 5
        sx, sy = dasch_stored(x, y, plan.rotation, width, height)
        for px, py in zip(sx, sy, strict=True):
            cx, cy = fit_centroid(stored, px, py)
            assert math.hypot(cx - px, cy - py) < 0.15, (plan.plate_id, plan.rotation)


def cutout(client, obs_id, ra, dec, size, scale):
    r = client.get(
        "/soda/sync",
        query_string={"ID": obs_id, "CIRCLE": f"{ra} {dec} {size * scale / 7200}",
                      "WIDTH": size, "SCALE": scale},
    )  # fmt: skip
    assert r.status_code == 200, r.data[:300]
    with fits.open(io.BytesIO(r.data)) as hdus:
        return hdus[0].data.astype(float), WCS(hdus[0].header)


def test_every_solution_puts_the_stars_at_their_true_positions(dr7, dr7_client):
    checked = 0
    for plan in [p for p in dr7.plans if p.n_solutions]:
        for n in range(plan.n_solutions):
            exposure = plan.plan.exposures[n]
            ra, dec, _, _ = bright_stars(plan.plan, exposure, n=1000)
            size, scale = 900, plan.plan.series.scale_arcsec
            centre = exposure.solution.pixel_to_world(
                np.array([plan.plan.shape[1] / 2]), np.array([plan.plan.shape[0] / 2])
            )
            data, wcs = cutout(dr7_client, f"{plan.plate_id}m1s{n}", float(centre[0][0]),
                               float(centre[1][0]), size, scale)  # fmt: skip
            px, py = wcs.all_world2pix(ra, dec, 0)
            inside = (px > 12) & (px < size - 12) & (py > 12) & (py < size - 12)
            assert inside.sum() >= 3, plan.plate_id
            for x, y in list(zip(px[inside], py[inside], strict=True))[:12]:
                cx, cy = fit_centroid(np.nan_to_num(data), x, y)
                assert math.hypot(cx - x, cy - y) < 0.1, (plan.plate_id, n, cx - x, cy - y)
                checked += 1
    assert checked >= 30


def solution_frame(stored, rotation):
    """The WCS frame of a stored mosaic, rebuilt pixel by pixel with DASCH's rule."""
    height, width = stored.shape
    ny, nx = (width, height) if rotation % 180 else (height, width)
    y, x = np.mgrid[0:ny, 0:nx]
    sx, sy = dasch_stored(x, y, rotation, width, height)
    return stored[sy.astype(int), sx.astype(int)]


def true_wcs(solution, shape):
    header = fits.Header()
    header["NAXIS1"], header["NAXIS2"] = shape[1], shape[0]
    for name, value, _ in solution.header_cards():
        header[name] = value
    header["CTYPE1"], header["CTYPE2"] = "RA---TPV", "DEC--TPV"
    return WCS(header)


def test_cutouts_equal_reproject_of_the_full_mosaic(dr7, dr7_client):
    for plan in [p for p in dr7.plans if p.n_solutions][:4]:
        frame = solution_frame(dr7.mosaic(plan), plan.rotation)
        for n in range(plan.n_solutions):
            solution = plan.plan.exposures[n].solution
            ny, nx = plan.plan.shape
            centre = solution.pixel_to_world(np.array([0.3 * nx]), np.array([0.6 * ny]))
            ra, dec = float(centre[0][0]), float(centre[1][0])
            data, wcs = cutout(dr7_client, f"{plan.plate_id}m1s{n}", ra, dec, 300, 2.0)
            reference, _ = reproject_interp(
                (frame, true_wcs(solution, plan.plan.shape)), wcs, shape_out=data.shape, order=1
            )
            span = np.nanmax(reference) - np.nanmin(reference)
            both = np.isfinite(reference) & np.isfinite(data)
            assert both.mean() > 0.99
            assert np.max(np.abs(data - reference)[both]) <= 2e-3 * span, plan.plate_id


def truth_covers(dr7, ra, dec, margin=0.01):
    """obs_ids whose frame holds (ra, dec), from the truth alone: each solution's true
    WCS over its frame, each logged exposure's DASCH frame (astropy's TAN); None when the
    position is within ``margin`` of some frame's edge (ambiguous)."""
    found = set()
    for plan in dr7.plans:
        ny, nx = plan.plan.shape
        frames = []
        for n in range(plan.n_solutions):
            solution = plan.plan.exposures[n].solution
            x, y = solution.world_to_pixel(np.array([ra]), np.array([dec]))
            back = solution.pixel_to_world(x, y)  # far off the plate the inverse may not hold
            if abs(back[0][0] - ra) * math.cos(math.radians(dec)) + abs(back[1][0] - dec) > 1e-6:
                continue
            frames.append((f"{plan.plate_id}m1s{n}", float(x[0]), float(y[0]), nx, ny))
        height, width = plan.plan.shape if plan.rotation % 180 == 0 else plan.plan.shape[::-1]
        side = (
            max(width, height)
            if plan.scanned
            else NOMINAL_SIDE_PX.get(plan.plan.series.code, 23091)
        )
        for logged in plan.logged[plan.n_solutions :]:
            if logged is None or logged.ra == 999.0:
                continue
            w = WCS(naxis=2)
            w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
            w.wcs.crval = [logged.ra, logged.dec]
            w.wcs.crpix = [(side + 1) / 2, (side + 1) / 2]
            step = PLATE_SCALE_BY_SERIES[plan.plan.series.code] / PIXELS_PER_MM / 3600
            w.wcs.cd = [[-step, 0], [0, step]]
            x, y = w.all_world2pix([ra], [dec], 0)
            ident = (
                f"{plan.plate_id}m1u{logged.number}"
                if plan.scanned
                else (f"{plan.plate_id}u{logged.number}")
            )
            frames.append((ident, float(x[0]), float(y[0]), side, side))
        for ident, x, y, w_, h_ in frames:
            if not (np.isfinite(x) and np.isfinite(y)):
                continue
            edge = min(abs(x + 0.5), abs(x - w_ + 0.5), abs(y + 0.5), abs(y - h_ + 0.5))
            inside = -0.5 <= x <= w_ - 0.5 and -0.5 <= y <= h_ - 0.5
            if edge < margin * max(w_, h_):
                return None
            if inside:
                found.add(ident)
    return found


def test_sia2_lists_solved_and_unsolved_exposures_as_the_truth_says(dr7, dr7_client):
    rng = np.random.default_rng(11)
    tested = unsolved = 0
    for ra0, dec0 in ((0.2, 12.0), (150.0, 30.0)):
        for _ in range(25):
            ra = (ra0 + rng.uniform(-1.5, 1.5)) % 360.0
            dec = dec0 + rng.uniform(-1.5, 1.5)
            expected = truth_covers(dr7, ra, dec)
            if expected is None:
                continue
            r = dr7_client.get("/sia/v2/query", query_string={"POS": f"CIRCLE {ra} {dec} 1e-7"})
            assert r.status_code == 200
            table = parse_single_table(io.BytesIO(r.data)).to_table()
            assert {str(o) for o in table["obs_id"]} == expected, (ra, dec)
            for row in table:
                level = 1 if "u" in str(row["obs_id"])[6:] else 2
                assert row["calib_level"] == level
                assert (row["wcs_source"] == "imwcs") == (level == 2)
            tested += 1
            unsolved += sum("u" in o[6:] for o in expected)
    assert tested >= 20 and unsolved >= 3
    only = dr7_client.get("/sia/v2/query", query_string={"POS": "CIRCLE 0.2 12 3", "CALIB": 1})
    levels = parse_single_table(io.BytesIO(only.data)).to_table()["calib_level"]
    assert len(levels) >= 2 and set(levels) == {1}


def test_placeholders_and_null_entries_are_not_listed(dr7, dr7_client):
    r = dr7_client.get("/sia/v2/query", query_string={"POS": "RANGE 0 360 -90 90", "MAXREC": 1000})
    ids = {str(o) for o in parse_single_table(io.BytesIO(r.data)).to_table()["obs_id"]}
    for plan in dr7.plans:
        for i, logged in enumerate(plan.logged):
            if i < plan.n_solutions:
                assert f"{plan.plate_id}m1s{i}" in ids  # a solution, NULL entry or not
            elif logged is None or logged.ra == 999.0:
                assert not any(o.startswith(plan.plate_id) and o.endswith(f"u{i}") for o in ids)
    with_null = next(p for p in dr7.plans if None in p.logged)
    n = with_null.logged.index(None)
    r = dr7_client.get("/sia/v2/query", query_string={"ID": f"{with_null.plate_id}m1s{n}"})
    row = parse_single_table(io.BytesIO(r.data)).to_table()[0]
    assert np.ma.is_masked(row["exposure_num"]) and np.ma.is_masked(row["t_min"])  # unknown


def test_an_unsolved_exposure_has_no_cutout_and_says_why(dr7, dr7_client):
    plan = next(p for p in dr7.plans if p.scanned and not p.n_solutions)
    logged = plan.logged[0]
    obs_id = f"{plan.plate_id}m1u0"
    r = dr7_client.get("/soda/sync", query_string={"ID": obs_id})
    text = r.get_data(as_text=True)
    assert r.status_code == 404 and "Traceback" not in text
    assert f"{obs_id} has no astrometric solution" in text
    assert f"RA {logged.ra:.4f}, Dec {logged.dec:+.4f}" in text
    links = dr7_client.get("/datalink/links", query_string={"ID": obs_id})
    rows = parse_single_table(io.BytesIO(links.data)).to_table()
    semantics = [str(s) for s in rows["semantics"]]
    assert semantics == ["#this", "#preview"], semantics
    preview = dr7_client.get(urlparse(str(rows["access_url"][1])).path)
    assert preview.status_code == 200 and preview.mimetype == "image/png"
    binned = dr7.mosaic(plan, 16)
    with Image.open(io.BytesIO(preview.data)) as png:
        assert png.size == (binned.shape[1], binned.shape[0])
    tag = preview.headers["ETag"]  # a cache keeps it: a repeat naming it is a 304
    held = dr7_client.get(preview.request.path, headers={"If-None-Match": tag})
    assert held.status_code == 304 and held.data == b"" and held.headers["ETag"] == tag
    never = next(p for p in dr7.plans if not p.scanned)
    links = dr7_client.get("/datalink/links", query_string={"ID": f"{never.plate_id}u0"})
    row = parse_single_table(io.BytesIO(links.data)).to_table()[0]
    assert "never scanned" in str(row["error_message"])


def test_a_stack_has_the_solved_exposures_only(dr7, dr7_client):
    plan = next(p for p in dr7.plans if p.n_solutions and len(p.logged) > p.n_solutions)
    logged = plan.logged[plan.n_solutions]
    pos = f"CIRCLE {logged.ra} {logged.dec} 0.01"
    sia = dr7_client.get(
        "/sia/v2/query", query_string={"POS": f"CIRCLE {logged.ra} {logged.dec} 1e-7"}
    )
    listed = {str(o) for o in parse_single_table(io.BytesIO(sia.data)).to_table()["obs_id"]}
    assert any("u" in o[6:] for o in listed)
    r = dr7_client.get("/soda/stack", query_string={"POS": pos, "RESPONSEFORMAT": "json"})
    assert r.status_code == 200, r.data[:300]
    frames = [f["obs_id"] for f in r.get_json()["frames"]]
    assert set(frames) == {o for o in listed if "u" not in o[6:]}


def item_of(dr7, plan):
    import boto3

    db = boto3.client("dynamodb", endpoint_url=dr7.endpoint, region_name="us-east-1")
    item = db.get_item(TableName="dasch-dev-dr7-plates", Key={"plateId": {"S": plan.plate_id}})
    db.close()
    return item["Item"]


def test_items_dasch_would_refuse_are_refused_with_the_reason(dr7):
    from service.archive.dr7_source import plain

    plan = next(p for p in dr7.plans if p.n_solutions == 1)
    values = plain(item_of(dr7, plan))
    assert plate_from_item(values).n_solutions == 1
    bad = {**values, "astrometry": {**values["astrometry"], "rotationDelta": 45}}
    with pytest.raises(LayoutError, match="bad rotationDelta 45"):
        plate_from_item(bad)
    garbled = {**values, "astrometry": {**values["astrometry"], "b01HeaderGz": b"not gzip"}}
    with pytest.raises(LayoutError, match="unreadable header"):
        plate_from_item(garbled)
    report = dr7.report
    assert not report.skipped
    never = next(p for p in dr7.plans if not p.scanned)
    assert "never scanned" in report.notes[never.plate_id]


class CountingStore:
    """The archive's store, counting what ingest reads through it."""

    def __init__(self, store) -> None:
        self.store = store
        self.reads: list[str] = []

    def __getattr__(self, name):
        attribute = getattr(self.store, name)
        if name not in ("stat", "read_range", "read_head", "read_all"):
            return attribute

        def counted(*args, **kwargs):
            self.reads.append(args[0])
            return attribute(*args, **kwargs)

        return counted


def test_ingest_twice_reads_nothing_and_a_changed_item_is_read_again(dr7, tmp_path):
    import boto3

    from service.archive.dr7_source import Dr7Source
    from service.catalog.ingest import run_ingest
    from service.catalog.sqlite import SqliteCatalog
    from service.storage.factory import open_store

    store = CountingStore(open_store(dr7.settings))
    source = Dr7Source(store, "dasch-dev-dr7-plates", dr7.settings.service, dr7.endpoint)
    catalog = SqliteCatalog(tmp_path / "again.sqlite")
    solved = [p for p in dr7.plans if p.n_solutions]
    first = run_ingest(source, catalog, workers=3, progress=None)
    assert len(first.ingested) == len(dr7.plans) and not first.skipped
    assert {key.split("/")[-1].split("_")[0] for key in store.reads} == {p.plate_id for p in solved}
    store.reads.clear()
    second = run_ingest(source, catalog, workers=3, progress=None)
    assert second.unchanged == first.ingested and not second.ingested
    assert store.reads == []  # nothing but the table's Scan
    changed = solved[0]
    db = boto3.client("dynamodb", endpoint_url=dr7.endpoint, region_name="us-east-1")
    original = item_of(dr7, changed)
    edited = copy.deepcopy(original)
    edited["astrometry"]["M"]["exposures"]["L"][0]["M"]["durMin"] = {"N": "99.5"}
    try:
        db.put_item(TableName="dasch-dev-dr7-plates", Item=edited)
        third = run_ingest(source, catalog, workers=3, progress=None)
        assert third.ingested == [changed.plate_id]
        assert {key.split("/")[-1].split("_")[0] for key in store.reads} == {changed.plate_id}
        record = catalog.exposure(f"{changed.plate_id}m1s0")
        assert record.exptime_s == pytest.approx(99.5 * 60)
    finally:
        db.put_item(TableName="dasch-dev-dr7-plates", Item=original)
        db.close()
        catalog.close()
        store.close()


def test_the_dynamodb_catalog_holds_the_same_dr7_records(dr7):
    """Both catalog backends filled from the same DR7 table answer alike."""
    import uuid

    from service.archive.dr7_source import Dr7Source
    from service.catalog.dynamodb import DynamoCatalog
    from service.catalog.ingest import run_ingest
    from service.catalog.query import ExposureQuery
    from service.catalog.sqlite import SqliteCatalog
    from service.sky import Circle
    from service.storage.factory import open_store

    store = open_store(dr7.settings)
    source = Dr7Source(store, "dasch-dev-dr7-plates", dr7.settings.service, dr7.endpoint)
    dynamo = DynamoCatalog(f"platecut-dr7-{uuid.uuid4().hex[:8]}", endpoint_url=dr7.endpoint)
    sqlite = SqliteCatalog(dr7.settings.catalog.sqlite_file())
    try:
        report = run_ingest(source, dynamo, workers=2, progress=None)
        assert len(report.ingested) == len(dr7.plans)
        for ra, dec, radius in ((0.2, 12.0, 2.0), (150.0, 30.0, 2.0), (0.0, 0.0, 180.0)):
            query = ExposureQuery(regions=(Circle(ra, dec, radius),))
            a, b = dynamo.search(query).rows, sqlite.search(query).rows
            assert [r.obs_id for r in a] == [r.obs_id for r in b] and len(a) > 5
            for x, y in zip(a, b, strict=True):
                assert x.calib_level == y.calib_level and x.wcs_source == y.wcs_source
                assert (x.t_min == y.t_min) or (math.isnan(x.t_min) and math.isnan(y.t_min))
        unsolved = next(r for r in b if not r.solved)
        assert dynamo.source(unsolved.obs_id) is None and dynamo.exposure(unsolved.obs_id)
    finally:
        dynamo.close()
        sqlite.close()
        store.close()
