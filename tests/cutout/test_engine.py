"""Cutouts against reproject on the full mosaic, astrometry end to end, limits, outcomes."""

from __future__ import annotations

import dataclasses
import io
import subprocess
import weakref

import fitsio
import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from reproject import reproject_interp

from service.archive.layout import iter_local_plates
from service.cutout.boxes import make_many
from service.cutout.engine import CutoutRequest, NoOverlap
from service.cutout.grid import TargetGrid
from service.cutout.service import CutoutSpec
from service.faults import CorruptDataFault, NotFoundFault, UsageFault
from service.storage.base import FetchStats
from service.wcs.rotation import solution_to_stored
from tests.demo.test_astrometry import clean_stars, fit_centroid


def solution_frame(demo_archive, plate) -> np.ndarray:
    """The full mosaic, rotated back into its solutions' frame (independent of our code)."""
    mosaic = plate.mosaics[0]
    full = fitsio.read(str(demo_archive / mosaic.object_key), ext=1)
    return np.rot90(full, -(mosaic.rotation_delta // 90)).astype(float)


def compare_with_reproject(engine, demo_archive, plate, solnum, grid, order="bilinear"):
    result = engine.make(plate.plate_id, solnum, CutoutRequest(grid, order))
    assert not isinstance(result, NoOverlap)
    solution = engine.solutions(plate)[solnum]
    reference, _ = reproject_interp(
        (solution_frame(demo_archive, plate), solution.wcs),
        grid.wcs(),
        shape_out=grid.shape,
        order={"bilinear": 1, "nearest": 0}[order],
    )
    # off-plate pixels agree, but for those within 0.01 px of the plate's edge, where the
    # coarse mapping's 1e-7 px error may fall on either side
    px, py = exact_coords(engine, plate, solnum, grid)
    mosaic = plate.mosaics[0]
    edge = np.zeros(grid.shape, bool)
    for coord, n in ((px, mosaic.width), (py, mosaic.height)):
        edge |= (np.abs(coord + 0.5) < 0.01) | (np.abs(coord - (n - 0.5)) < 0.01)
    np.testing.assert_array_equal(np.isnan(result.data)[~edge], np.isnan(reference)[~edge])
    span = np.nanmax(reference) - np.nanmin(reference)
    difference = np.nanmax(np.abs(result.data - reference))
    assert difference <= 1e-3 * span, (plate.plate_id, solnum, difference / span)
    return result


def exact_coords(engine, plate, solnum, grid):
    """Exact stored-frame source coordinates of every target pixel."""
    solution = engine.solutions(plate)[solnum]
    ys, xs = np.mgrid[0 : grid.ny, 0 : grid.nx]
    ra, dec = grid.wcs().all_pix2world(xs.ravel(), ys.ravel(), 0)
    sx, sy = solution.world_to_pixel(ra, dec)
    px, py = solution_to_stored(sx, sy, solution.shape, plate.mosaics[0].rotation_delta)
    return px.reshape(grid.shape), py.reshape(grid.shape)


def exact_error(engine, plate, solnum, grid, mapping) -> float:
    """Largest difference between the coarse mapping and the exact one, over every pixel
    that falls on the plate (the mapping is only made where the grid meets the plate,
    so it must exist at all of those)."""
    px, py = exact_coords(engine, plate, solnum, grid)
    mosaic = plate.mosaics[0]
    on_plate = (
        (px >= -0.5) & (px <= mosaic.width - 0.5) & (py >= -0.5) & (py <= mosaic.height - 0.5)
    )
    assert on_plate.any()
    error = np.hypot(px - mapping.x, py - mapping.y)[on_plate]
    assert np.isfinite(error).all(), "on-plate pixels without a mapping"
    return float(np.max(error))


def centre_of(solution, fx=0.5, fy=0.5):
    ny, nx = solution.shape
    ra, dec = solution.pixel_to_world(np.array([fx * nx]), np.array([fy * ny]))
    return float(ra[0]), float(dec[0])


def test_every_plate_and_solution_matches_reproject(engine, demo_archive):
    seen = set()
    for plate in iter_local_plates(demo_archive):
        for exposure in plate.exposures:
            solution = engine.solutions(plate)[exposure.solnum]
            for fx, fy in ((0.45, 0.55), (0.02, 0.97)):  # interior, and over a corner
                ra, dec = centre_of(solution, fx, fy)
                grid = TargetGrid(ra, dec, 180, 160, plate.pixel_scale_arcsec * 1.4, 17.0)
                result = compare_with_reproject(engine, demo_archive, plate, exposure.solnum, grid)
                assert exact_error(engine, plate, exposure.solnum, grid, result.mapping) <= 0.01
                if fx < 0.1:
                    assert np.isnan(result.data).any() and np.isfinite(result.data).any()
            seen.add((plate.mosaics[0].compression, plate.mosaics[0].rotation_delta))
    assert {c for c, _ in seen} >= {"RICE_1", "GZIP_1", "GZIP_2", "HCOMPRESS_1"}
    assert {r for _, r in seen} == {0, 90, 180, 270}


def covering(engine, demo_archive, ra, dec):
    for plate in iter_local_plates(demo_archive):
        for solution in engine.solutions(plate):
            x, y = solution.world_to_pixel(np.array([ra]), np.array([dec]))
            ny, nx = solution.shape
            if 50 < x[0] < nx - 50 and 50 < y[0] < ny - 50:
                yield plate, solution.solnum


def test_cutout_straddling_ra_zero(engine, demo_archive):
    found = list(covering(engine, demo_archive, 0.0, 12.0))
    assert found
    for plate, solnum in found[:3]:
        grid = TargetGrid(0.0, 12.0, 200, 200, plate.pixel_scale_arcsec * 1.2)
        result = compare_with_reproject(engine, demo_archive, plate, solnum, grid)
        ra = grid.wcs().all_pix2world([[0, 100], [199, 100]], 0)[:, 0]
        assert ra[0] < 1 and ra[1] > 359  # the grid crosses RA = 0
        assert np.isfinite(result.data).all()


def test_cutout_within_a_degree_of_the_pole(engine, demo_archive):
    found = list(covering(engine, demo_archive, 30.0, 89.5))
    assert found
    for plate, solnum in found[:3]:
        grid = TargetGrid(30.0, 89.5, 200, 200, plate.pixel_scale_arcsec * 1.2, 45.0)
        result = compare_with_reproject(engine, demo_archive, plate, solnum, grid)
        assert exact_error(engine, plate, solnum, grid, result.mapping) <= 0.01


def test_nearest_matches_reproject_too(engine, demo_archive):
    plate = next(iter_local_plates(demo_archive))
    ra, dec = centre_of(engine.solutions(plate)[0])
    grid = TargetGrid(ra, dec, 120, 120, 1.0)
    compare_with_reproject(engine, demo_archive, plate, 0, grid, order="nearest")
    bicubic = engine.make(plate.plate_id, 0, CutoutRequest(grid, "bicubic")).data
    bilinear = engine.make(plate.plate_id, 0, CutoutRequest(grid, "bilinear")).data
    span = np.nanmax(bilinear) - np.nanmin(bilinear)
    assert np.nanmedian(np.abs(bicubic - bilinear)) < 0.01 * span


def star_offsets(engine, demo_archive, plate, exposure, grid, n=15, min_peak=800):
    """Fitted minus predicted position in the cutout of clean stars of one exposure."""
    result = engine.make(plate.plate_id, exposure, CutoutRequest(grid))
    _, target, chosen = clean_stars(
        demo_archive, plate.plate_id, exposure, n=5000, min_peak=min_peak
    )
    wcs = grid.wcs()
    px, py = wcs.all_world2pix(target.ra[chosen], target.dec[chosen], 0)
    ok = (px > 10) & (px < grid.nx - 10) & (py > 10) & (py < grid.ny - 10)
    out = {}
    for k, x, y in zip(np.array(chosen)[ok][:n], px[ok][:n], py[ok][:n], strict=True):
        cx, cy = fit_centroid(np.nan_to_num(result.data), x, y)
        out[int(target.ident[k])] = (cx - x, cy - y, cx, cy)
    return out


def test_stars_land_where_the_target_wcs_says_for_every_solution(engine, demo_archive):
    multi = [p for p in iter_local_plates(demo_archive) if len(p.exposures) > 1]
    assert multi
    for plate in multi:
        for exposure in plate.exposures:
            solution = engine.solutions(plate)[exposure.solnum]
            ra, dec = centre_of(solution)
            grid = TargetGrid(ra, dec, 900, 900, plate.pixel_scale_arcsec, 0.0)
            offsets = star_offsets(engine, demo_archive, plate, exposure.solnum, grid)
            assert len(offsets) >= 5, plate.plate_id
            error = np.hypot(*np.array([(dx, dy) for dx, dy, _, _ in offsets.values()]).T)
            assert error.max() < 0.1, (plate.plate_id, exposure.solnum, error.max())


def test_same_star_same_pixel_on_two_plates(engine, demo_archive):
    plates = [p for p in iter_local_plates(demo_archive) if p.pixel_scale_arcsec < 1.5]
    ra, dec = centre_of(engine.solutions(plates[0])[0])
    grid = TargetGrid(ra, dec, 700, 700, 1.0)
    measured = []
    for plate in plates:
        solution = engine.solutions(plate)[0]
        x, y = solution.world_to_pixel(np.array([ra]), np.array([dec]))
        if 200 < x[0] < solution.shape[1] - 200 and 200 < y[0] < solution.shape[0] - 200:
            measured.append(star_offsets(engine, demo_archive, plate, 0, grid, 40, 2500))
    assert len(measured) >= 2
    common = set(measured[0]) & set(measured[1])
    assert len(common) >= 3
    distance = [
        np.hypot(measured[0][i][2] - measured[1][i][2], measured[0][i][3] - measured[1][i][3])
        for i in common
    ]
    assert max(distance) < 0.1, sorted(distance)


def test_no_overlap_is_an_outcome_not_an_error(engine, demo_archive):
    plate = next(iter_local_plates(demo_archive))
    ra, dec = centre_of(engine.solutions(plate)[0])
    result = engine.make(plate.plate_id, 0, CutoutRequest(TargetGrid(ra + 20, dec, 100, 100, 1.0)))
    assert result == NoOverlap(f"{plate.plate_id}m0s0")


def test_limits_are_enforced_before_any_mosaic_byte(engine, demo_archive):
    plate = next(iter_local_plates(demo_archive))
    ra, dec = centre_of(engine.solutions(plate)[0])
    stats = FetchStats()
    with pytest.raises(UsageFault, match="exceeds the limit of 4000000 output pixels"):
        engine.make(
            plate.plate_id, 0, CutoutRequest(TargetGrid(ra, dec, 2001, 2000, 1.0)), stats=stats
        )
    assert stats.gets == 0
    engine.limits = dataclasses.replace(engine.limits, max_source_pixels=100_000)
    with pytest.raises(UsageFault, match="more than the limit of 100000"):
        engine.make(plate.plate_id, 0, CutoutRequest(TargetGrid(ra, dec, 500, 500, 0.6)))
    assert not list(engine.reader.replica.root.glob("*.ranges"))  # no mosaic byte fetched
    with pytest.raises(UsageFault, match="interpolation 'cubic' is not one of"):
        engine.make(plate.plate_id, 0, CutoutRequest(TargetGrid(ra, dec, 10, 10, 1.0), "cubic"))
    with pytest.raises(NotFoundFault, match="no exposure solution 'a\\d+m0s7' in the catalog"):
        engine.make(plate.plate_id, 7, CutoutRequest(TargetGrid(ra, dec, 10, 10, 1.0)))
    with pytest.raises(NotFoundFault, match="no exposure solution 'zz00001m0s0' in the catalog"):
        engine.make("zz00001", 0, CutoutRequest(TargetGrid(ra, dec, 10, 10, 1.0)))


def test_output_fits_is_valid_and_described(engine, demo_archive, tmp_path):
    plate = next(p for p in iter_local_plates(demo_archive) if len(p.exposures) > 1)
    ra, dec = centre_of(engine.solutions(plate)[1])
    result = engine.make(plate.plate_id, 1, CutoutRequest(TargetGrid(ra, dec, 100, 90, 1.44)))
    path = tmp_path / "cut.fits"
    path.write_bytes(result.to_fits())
    check = subprocess.run(["fitsverify", "-q", str(path)], capture_output=True, text=True)
    assert check.stdout.startswith("verification OK"), check.stdout
    header = fits.getheader(path)
    exposure = plate.exposures[1]
    assert header["PLATE_ID"] == plate.plate_id and header["SOLNUM"] == 1
    assert header["DATE-OBS"] == exposure.date_obs and header["EXPTIME"] == exposure.exptime_s
    assert header["MJD-OBS"] == exposure.mjd_start and header["SRCETAG"]
    assert header["INTERP"] == "bilinear" and header["NAXIS1"] == 100 and header["NAXIS2"] == 90
    assert WCS(header).wcs.ctype[0] == "RA---TAN"
    # written directly, byte for byte what astropy writes with its verification
    reference = io.BytesIO()
    fits.PrimaryHDU(result.data, result.header).writeto(reference, output_verify="exception")
    assert path.read_bytes() == reference.getvalue()


def test_native_mode_returns_original_pixels_with_shifted_wcs(engine, demo_archive):
    for plate in iter_local_plates(demo_archive):
        if plate.mosaics[0].rotation_delta == 0:
            continue
        solution = engine.solutions(plate)[0]
        ra, dec = centre_of(solution, 0.3, 0.6)
        result = engine.make(
            plate.plate_id, 0, CutoutRequest(TargetGrid(ra, dec, 60, 60, 2.0), native=True)
        )
        frame = solution_frame(demo_archive, plate)
        wcs = WCS(result.header)
        # pixel (0, 0) of the cutout is solution pixel (x0, y0): find it through the sky
        sky = wcs.all_pix2world([[0.0, 0.0]], 0)
        x0, y0 = np.rint(solution.world_to_pixel(sky[:, 0], sky[:, 1])).astype(int).ravel()
        ny, nx = result.data.shape
        np.testing.assert_array_equal(result.data, frame[y0 : y0 + ny, x0 : x0 + nx])
        assert result.data.dtype == np.uint16
        return
    raise AssertionError("no rotated plate")


def test_a_region_beyond_the_plate_is_trimmed_to_the_overlap(engine, demo_archive):
    """SODA 1.0 section 3.3: a region larger than the data gives the data's part. The
    grid comes from the region; the answer is the part of it on the plate, on the same
    sky grid, with reproject's pixels there."""
    plate = next(p for p in iter_local_plates(demo_archive) if p.plate_id == "a03393")
    source = engine.source(plate.plate_id, 0)
    solution = engine.solutions(plate)[0]
    for fx, fy in ((0.03, 0.5), (0.98, 0.97), (0.5, -0.05)):  # an edge, a corner, just off
        ra, dec = centre_of(solution, fx, fy)
        request = engine.service.request_for(source.exposure, CutoutSpec((ra, dec, 0.15), 2.0))
        assert request.trim and request.grid.nx == request.grid.ny == 540
        result = engine.make(plate.plate_id, 0, request)
        whole = request.grid
        ny, nx = result.data.shape
        assert ny < whole.ny or nx < whole.nx
        # the same sky grid: the trimmed WCS is the whole grid's, shifted
        x0, y0 = (int(v) for v in np.rint(whole.wcs().wcs.crpix - WCS(result.header).wcs.crpix))
        sky = WCS(result.header).all_pix2world([[0.0, 0.0], [nx - 1.0, ny - 1.0]], 0)
        np.testing.assert_allclose(
            sky, whole.wcs().all_pix2world([[x0, y0], [x0 + nx - 1.0, y0 + ny - 1.0]], 0)
        )
        # reproject over the whole region: every plate pixel falls in the trimmed part,
        # and each edge of the trimmed part holds plate pixels (nothing more was kept)
        reference, _ = reproject_interp(
            (solution_frame(demo_archive, plate), solution.wcs), whole.wcs(), shape_out=whole.shape
        )
        rows, cols = (
            np.flatnonzero(np.isfinite(reference).any(1)),
            np.flatnonzero(np.isfinite(reference).any(0)),
        )
        assert (rows[0], rows[-1] + 1, cols[0], cols[-1] + 1) == (y0, y0 + ny, x0, x0 + nx)
        part = reference[y0 : y0 + ny, x0 : x0 + nx]
        both = np.isfinite(part) & np.isfinite(result.data)
        assert both.sum() > 0.98 * np.isfinite(part).sum()
        span = np.nanmax(part) - np.nanmin(part)
        assert np.max(np.abs(result.data[both] - part[both])) <= 1e-3 * span


def test_a_grid_off_the_plate_is_answered_from_the_outline(engine, demo_archive):
    plate = next(iter_local_plates(demo_archive))
    stats = FetchStats()
    far = CutoutRequest(TargetGrid(180.0, -12.0, 2000, 2000, 1.44))
    assert engine.make(plate.plate_id, 0, far, stats) == NoOverlap(f"{plate.plate_id}m0s0")
    assert stats.gets == 0
    native = CutoutRequest(TargetGrid(180.0, -12.0, 20, 20, 1.44), native=True)
    assert engine.make(plate.plate_id, 0, native) == NoOverlap(f"{plate.plate_id}m0s0")


def shared_position(engine, plate):
    """A sky position inside every solution of ``plate``: the mean of their centres."""
    centres = np.array([centre_of(s) for s in engine.solutions(plate)])
    return float(centres[:, 0].mean()), float(centres[:, 1].mean())


@pytest.mark.parametrize("order", ["nearest", "bilinear", "bicubic"])
def test_cutouts_of_one_plate_read_their_shared_rows_once(engine, demo_archive, monkeypatch, order):
    """make_many gives each cutout exactly as make does, reading each plate's boxes once
    when their rows overlap (row tiles: every box decodes its rows whole)."""
    plates = list(iter_local_plates(demo_archive))
    multi = next(
        p for p in plates if len(p.exposures) == 3 and p.mosaics[0].compression == "RICE_1"
    )
    other = next(p for p in plates if len(p.exposures) == 1)
    ra, dec = shared_position(engine, multi)
    request = CutoutRequest(
        TargetGrid(ra, dec, 600, 500, multi.pixel_scale_arcsec * 1.3, 10.0), order
    )
    sources = [engine.source(multi.plate_id, e.solnum) for e in multi.exposures]
    sources.append(engine.source(other.plate_id, 0))
    items = [(s, request) for s in sources]
    alone = [engine.engine.make(s, r) for s, r in items]
    assert all(not isinstance(r, NoOverlap) for r in alone[:3])
    boxes = [r.box for r in alone[:3]]
    assert max(b[2] for b in boxes) < min(b[3] for b in boxes)  # their rows overlap
    reads = []
    read_box = engine.reader.read_box

    def counted(key, box, version=None, stats=None):
        reads.append((key, box))
        return read_box(key, box, version, stats)

    monkeypatch.setattr(engine.reader, "read_box", counted)
    made = dict(make_many(engine.engine, items))
    together = [made[i] for i in range(len(items))]
    key = multi.mosaics[0].object_key
    union = (min(b[0] for b in boxes), max(b[1] for b in boxes), min(b[2] for b in boxes),
             max(b[3] for b in boxes))  # fmt: skip
    assert [box for k, box in reads if k == key] == [union]
    for one, joint in zip(alone, together, strict=True):
        if isinstance(one, NoOverlap):
            assert joint == one
            continue
        np.testing.assert_array_equal(joint.data, one.data)
        assert joint.box == one.box and joint.version == one.version
        assert joint.header.tostring() == one.header.tostring()


def test_each_cutout_of_a_batch_has_its_own_outcome(engine, demo_archive, monkeypatch):
    """A cutout beyond the limits, one off the plate and a joined read that fails do not
    fail the others: a failed joined read is read again apart."""
    plate = next(p for p in iter_local_plates(demo_archive) if len(p.exposures) == 3)
    ra, dec = shared_position(engine, plate)
    scale = plate.pixel_scale_arcsec * 1.3
    fine = CutoutRequest(TargetGrid(ra, dec, 400, 400, scale))
    huge = CutoutRequest(TargetGrid(ra, dec, 2001, 2000, scale))
    far = CutoutRequest(TargetGrid(ra + 90, dec, 40, 40, scale))
    s0, s1, s2 = (engine.source(plate.plate_id, e.solnum) for e in plate.exposures)
    read_box = engine.reader.read_box
    boxes_read = []

    def failing_joined(key, box, version=None, stats=None):
        boxes_read.append(box)
        if len(boxes_read) == 1:  # the joined read of s0 and s2
            raise CorruptDataFault(f"{key}: cannot decode box {box}")
        return read_box(key, box, version, stats)

    monkeypatch.setattr(engine.reader, "read_box", failing_joined)
    out = dict(make_many(engine.engine, [(s0, fine), (s1, huge), (s2, fine), (s1, far)]))
    assert isinstance(out[1], UsageFault) and "exceeds the limit" in str(out[1])
    assert out[3] == NoOverlap(s1.exposure.obs_id)
    assert len(boxes_read) == 3 and boxes_read[1:] == sorted(
        [out[0].box, out[2].box], key=lambda b: b[2]
    )
    monkeypatch.undo()
    for source, result in ((s0, out[0]), (s2, out[2])):
        np.testing.assert_array_equal(result.data, engine.engine.make(source, fine).data)


def test_cutouts_made_together_are_handed_over_one_at_a_time(engine, demo_archive, monkeypatch):
    """A caller done with a cutout holds no other: each is made once the one handed over
    before it was dropped (a batch of large cutouts costs one cutout's memory)."""
    plate = next(p for p in iter_local_plates(demo_archive) if len(p.exposures) == 3)
    ra, dec = shared_position(engine, plate)
    request = CutoutRequest(TargetGrid(ra, dec, 300, 300, plate.pixel_scale_arcsec * 1.3))
    items = [(engine.source(plate.plate_id, e.solnum), request) for e in plate.exposures] * 2
    seen, held = [], []
    finish = engine.engine.finish

    def watched(planned, pixels):
        held.append(sum(ref() is not None for ref in seen))  # earlier cutouts still alive
        return finish(planned, pixels)

    monkeypatch.setattr(engine.engine, "finish", watched)
    for _, result in engine.service.cut_many(items):
        seen.append(weakref.ref(result))
        del result
    assert len(seen) == len(held) == len(items) and held == [0] * len(items)
