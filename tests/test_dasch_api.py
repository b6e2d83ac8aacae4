"""DASCH's API from the catalog: where a position falls on each plate (DASCH's centre
and edge distances, against DASCH's pixel-space rule on an independent WCS), and the
rows daschlab parses."""

from __future__ import annotations

import math

import numpy as np
from astropy.wcs import WCS

from service.archive.dasch_frames import PIXELS_PER_MM, PLATE_SCALE_BY_SERIES
from service.catalog.query import ExposureQuery
from service.catalog.sqlite import SqliteCatalog
from service.dasch_api import COLUMNS, csv_line, placements, queryexps
from service.sky import Circle


def dasch_distances(x: float, y: float, width: float, height: float) -> tuple[float, float]:
    """DASCH's queryexps: centre and edge distances (cm) of pixel (x, y) of a frame."""
    cx, cy = 0.5 * (width - 1), 0.5 * (height - 1)
    centre = math.hypot(x - cx, y - cy) / (10 * PIXELS_PER_MM)
    edge = min(x + 0.5, y + 0.5, width - (0.5 + x), height - (0.5 + y)) / (10 * PIXELS_PER_MM)
    return centre, edge


def test_distances_follow_dasch_on_approximate_frames_and_truth_on_solutions(dr7):
    catalog = SqliteCatalog(dr7.settings.catalog.sqlite_file())
    try:
        rows = catalog.search(ExposureQuery(regions=(Circle(0.0, 0.0, 180.0),))).rows
        rng = np.random.default_rng(3)
        checked = {1: 0, 2: 0}
        for record in rows:
            plan = dr7.plan(record.plate_id)
            for _ in range(3):
                fx, fy = rng.uniform(0.15, 0.85, 2)
                if record.solved:  # the truth of this solution
                    solution = plan.plan.exposures[record.solnum].solution
                    ny, nx = plan.plan.shape
                    ra, dec = solution.pixel_to_world(np.array([fx * nx]), np.array([fy * ny]))
                    ra, dec = float(ra[0]), float(dec[0])
                    expected = dasch_distances(fx * nx, fy * ny, nx, ny)
                    tolerance = 0.1  # cm, the column's precision (the distortion's sagitta)
                else:  # DASCH's approximate frame, with astropy's TAN
                    side = max(record.width, record.height) or 23091
                    step = PLATE_SCALE_BY_SERIES[record.series] / PIXELS_PER_MM / 3600
                    w = WCS(naxis=2)
                    w.wcs.ctype = ["RA---TAN", "DEC--TAN"]
                    w.wcs.crval = [record.ra, record.dec]
                    w.wcs.crpix = [(side + 1) / 2, (side + 1) / 2]
                    w.wcs.cd = [[-step, 0], [0, step]]
                    ra, dec = (float(v) for v in w.all_pix2world(fx * side, fy * side, 0))
                    expected = dasch_distances(fx * side, fy * side, side, side)
                    tolerance = 1e-3  # cm: exact but for rounding
                (placed,) = placements([record], ra, dec)
                assert abs(placed.centre_cm - expected[0]) < tolerance, record.obs_id
                assert abs(placed.edge_cm - expected[1]) < tolerance, record.obs_id
                checked[record.calib_level] += 1
        assert checked[1] >= 9 and checked[2] >= 30
    finally:
        catalog.close()


def test_queryexps_rows_parse_as_daschlab_parses_them(dr7):
    """The CSV lines through daschlab 1.1's own column parsers (daschlab/exposures.py)."""
    from daschlab.exposures import _COLTYPES

    catalog = SqliteCatalog(dr7.settings.catalog.sqlite_file())
    try:
        plan = next(p for p in dr7.plans if len(p.logged) > p.n_solutions and p.n_solutions)
        logged = plan.logged[plan.n_solutions]
        lines = queryexps(catalog, {"ra_deg": logged.ra, "dec_deg": logged.dec})
        assert lines[0].split(",") == list(COLUMNS)
        for line in lines[1:]:
            cells = line.split(",")
            assert len(cells) == len(COLUMNS)
            parsed = {c: _COLTYPES[c](v) for c, v in zip(COLUMNS, cells, strict=True)
                      if _COLTYPES.get(c)}  # fmt: skip
            assert -128 <= parsed["scannum"] < 128 and -128 <= parsed["solnum"] < 128
            assert (parsed["wcssource"] == "imwcs") == (parsed["solnum"] >= 0)
            assert math.isnan(parsed["limMagApass"]) and parsed["nSolutionsAtlas"] == -1
        assert any(line.split(",")[5] == "-1" for line in lines[1:])  # unsolved listed
        first = queryexps(catalog, {"ra_deg": logged.ra, "dec_deg": logged.dec,
                                    "midpoint_max": "1880-01-01T00:00:00Z"})  # fmt: skip
        assert first == lines[:1]  # nothing before 1880
        record = catalog.exposure(f"{plan.plate_id}m1s0")
        assert csv_line(placements([record], record.ra, record.dec)[0]).startswith(
            f"{record.series},{record.plate_number},1,1,"
        )
    finally:
        catalog.close()


def test_plates_dasch_cannot_name_are_left_out(tmp_path):
    """An archive of our own layout may name a plate 'a00068x0': DASCH's columns hold a
    series and a number, so queryexps lists the plates it can name and no other."""
    import dataclasses

    from service.catalog.records import ExposureRecord, PlateRecord

    catalog = SqliteCatalog(tmp_path / "c.sqlite")
    catalog.create()
    square = ((9.0, -1.0), (11.0, -1.0), (11.0, 1.0), (9.0, 1.0))
    for plate_id in ("a00068", "a00068x0"):
        plate = PlateRecord(plate_id, "a", 68, "t", "A", "s", 0, 0, f"m/{plate_id}",
                            f"h/{plate_id}", 3000, 3000, "e")  # fmt: skip
        exposure = ExposureRecord(
            f"{plate_id}m0s0", f"ivo://x/y?{plate_id}m0s0", plate_id, "a", "t", 0, 0, 0,
            10.0, 0.0, square, 2.0, 2.4, 15000.0, 15000.04, 3600.0, "1900-01-01T00:00:00",
            3000, 3000, plate.object_key, plate.header_key,
        )  # fmt: skip
        catalog.put_plate(plate, [dataclasses.replace(exposure)])
    try:
        assert len(catalog.search(ExposureQuery(regions=(Circle(10.0, 0.0, 1e-7),))).rows) == 2
        lines = queryexps(catalog, {"ra_deg": 10.0, "dec_deg": 0.0})
        assert [line.split(",")[:2] for line in lines[1:]] == [["a", "68"]]
    finally:
        catalog.close()
