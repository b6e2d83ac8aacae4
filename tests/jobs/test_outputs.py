"""A stack's products are what they say: fitsverify passes the FITS files, the cube's
planes and the zip's files are the frames, the blink has one frame per exposure, the
contact sheet one tile per exposure; DASCH's grayscale is DASCH's."""

from __future__ import annotations

import csv
import io
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from PIL import Image

from service.cutout.preview import DASCH, picture
from service.jobs.formats import PRODUCTS, STACK_FORMATS, STACK_MEDIA
from service.jobs.outputs import SHEET_COLUMNS


def product(jobs, job, name: str) -> bytes:  # noqa: ANN001
    answer = jobs.result(job.job_id, name)
    assert answer.url is None and answer.mime == PRODUCTS[name]
    return answer.body


def frames_of(jobs, job) -> list[tuple[str, np.ndarray, fits.Header]]:  # noqa: ANN001
    """(obs_id, data, header) of every frame that succeeded, in frame order."""
    out = []
    for i, frame in enumerate(job.frames):
        outcome = job.outcomes[i]
        if outcome.status == "ok":
            data, header = fits.getdata(
                io.BytesIO(jobs.result(job.job_id, outcome.results[0]).body), header=True
            )
            out.append((frame.obs_id, data, header))
    return out


def fitsverify(tmp_path: Path, body: bytes) -> str:
    path = tmp_path / "product.fits"
    path.write_bytes(body)
    done = subprocess.run(["fitsverify", "-q", str(path)], capture_output=True, text=True)
    return done.stdout


def test_every_stack_format_has_a_product():
    assert {f.mime for f in STACK_FORMATS} == set(STACK_MEDIA)
    assert {f.product for f in STACK_FORMATS} <= set(PRODUCTS)


def test_multi_extension_fits(stack, jobs, tmp_path):
    job = stack["job"]
    body = product(jobs, job, "stack.fits")
    assert fitsverify(tmp_path, body).startswith("verification OK"), fitsverify(tmp_path, body)
    frames = frames_of(jobs, job)
    with fits.open(io.BytesIO(body)) as hdus:
        images = hdus[1:-1]
        assert [h.name for h in images] == [o.upper() for o, _, _ in frames]
        for hdu, (obs_id, data, header) in zip(images, frames, strict=True):
            assert np.array_equal(hdu.data, data, equal_nan=True)
            assert hdu.header["OBS_ID"] == obs_id
            assert WCS(hdu.header).to_header() == WCS(header).to_header()
        index = hdus["INDEX"].data
        assert list(index["OBS_ID"]) == [f.obs_id for f in job.frames]
        assert list(index["FRAME"]) == list(range(1, len(job.frames) + 1))
        assert np.all(np.diff(index["MJD"]) >= 0)  # date order
        assert set(index.columns.names) >= {"PUBLISHER_DID", "DATE_OBS", "EXPTIME_S", "SERIES",
            "TELESCOPE", "SOLNUM", "CENTRE_DISTANCE_DEG", "EDGE_DISTANCE_DEG", "NAN_FRACTION", "STATUS"}  # fmt: skip
        assert hdus[0].header["NFRAMES"] == len(job.frames)


def test_cube(stack, jobs, tmp_path):
    job = stack["job"]
    body = product(jobs, job, "cube.fits")
    report = fitsverify(tmp_path, body)
    assert report.startswith("verification OK"), report
    frames = frames_of(jobs, job)
    with fits.open(io.BytesIO(body)) as hdus:
        cube = hdus[0].data
        assert cube.shape == (len(job.frames), *frames[0][1].shape)
        for plane, (_, data, _) in zip(cube, frames, strict=True):
            assert np.array_equal(plane, data.astype(np.float32), equal_nan=True)
        wcs = WCS(hdus[0].header)
        assert wcs.naxis == 3
        sky, frame = wcs.celestial, WCS(frames[0][2]).celestial
        assert list(sky.wcs.ctype) == list(frame.wcs.ctype)
        assert np.array_equal(sky.wcs.crval, frame.wcs.crval)
        assert np.array_equal(sky.wcs.crpix, frame.wcs.crpix)
        assert np.array_equal(sky.pixel_scale_matrix, frame.pixel_scale_matrix)
        assert list(hdus["TIMES"].data["OBS_ID"]) == [f.obs_id for f in job.frames]


def test_zip_of_frames(stack, jobs):
    job = stack["job"]
    frames = frames_of(jobs, job)
    with zipfile.ZipFile(io.BytesIO(product(jobs, job, "frames.zip"))) as archive:
        names = sorted(n for n in archive.namelist() if n.endswith(".fits"))
        assert len(names) == len(frames)
        for name, (obs_id, data, _) in zip(names, frames, strict=True):
            assert obs_id in name
            assert np.array_equal(
                fits.getdata(io.BytesIO(archive.read(name))), data, equal_nan=True
            )
        rows = list(csv.DictReader(io.StringIO(archive.read("index.csv").decode())))
        assert [r["obs_id"] for r in rows] == [f.obs_id for f in job.frames]


@pytest.mark.parametrize("name", ["blink.png", "blink.webp"])
def test_blink_has_a_frame_per_exposure(stack, jobs, name):
    job = stack["job"]
    image = Image.open(io.BytesIO(product(jobs, job, name)))
    assert image.format == ("PNG" if name.endswith("png") else "WEBP")
    assert image.is_animated and image.n_frames == len(frames_of(jobs, job))


def test_contact_sheet(stack, jobs):
    job = stack["job"]
    sheet = Image.open(io.BytesIO(product(jobs, job, "sheet.png")))
    n = len(job.frames)
    columns = min(SHEET_COLUMNS, n)
    tile_w = sheet.width // columns
    assert sheet.height // -(-n // columns) >= tile_w - 4  # rows of tiles, dates under them
    pdf = product(jobs, job, "sheet.pdf")
    assert pdf.startswith(b"%PDF") and b"/Type /Page" in pdf


def test_dasch_grayscale_is_clip_2_and_1_percent_inverted_gamma_2_2():
    """On a ramp of 0..9999, DASCH's convention by its definition: values at or below
    the 2nd percentile white, at or above the 99th black, between them
    255 * (1 - t) ** (1 / 2.2) with t the linear position."""
    data = np.arange(10000, dtype=np.float32).reshape(100, 100)
    grey = np.asarray(picture(data, None, DASCH))[::-1, :, 0].astype(int)  # FITS row 0 at bottom
    lo, hi = np.percentile(data, 2.0), np.percentile(data, 99.0)
    t = np.clip((data - lo) / (hi - lo), 0, 1)
    expected = np.floor(255 * (1 - t) ** (1 / 2.2) + 0.5).astype(int)
    assert np.abs(grey - expected).max() <= 1
    assert grey.flat[0] == 255 and grey.flat[-1] == 0
