"""Frames joined as bytes, against astropy's reading of the joined file and fitsverify."""

from __future__ import annotations

import io
import subprocess

import numpy as np
import pytest
from astropy.io import fits

from service.jobs import fitsbytes


def _written(hdu: fits.PrimaryHDU) -> bytes:
    buffer = io.BytesIO()
    hdu.writeto(buffer)
    return buffer.getvalue()


def _frames() -> list[tuple[str, bytes, np.ndarray, fits.Header]]:
    rng = np.random.default_rng(5)
    out = []
    float_frame = rng.normal(size=(7, 9)).astype(np.float32)
    float_frame[0, 0] = np.nan
    header = fits.Header([("CTYPE1", "RA---TAN"), ("CTYPE2", "DEC--TAN"), ("OBS_ID", "a1m0s0")])
    header["HISTORY"] = "a card kept in its place"
    out.append(("a1m0s0", _written(fits.PrimaryHDU(float_frame, header)), float_frame, header))
    scaled = fits.PrimaryHDU(rng.integers(0, 60000, size=(4, 5)).astype(np.uint16))
    out.append(("a2m0s1", _written(scaled), scaled.data, fits.Header()))
    many = fits.Header([(f"KEY{i}", i) for i in range(50)])  # a header of two blocks
    cube = rng.normal(size=(2, 3, 4))
    out.append(("a3m0s0", _written(fits.PrimaryHDU(cube, many)), cube, many))
    return out


def test_frames_become_extensions_that_astropy_and_fitsverify_read(tmp_path):
    frames = _frames()
    body = fitsbytes.primary_bytes(fits.PrimaryHDU()) + b"".join(
        fitsbytes.as_extension(raw, name) for name, raw, _, _ in frames
    )
    path = tmp_path / "joined.fits"
    path.write_bytes(body)
    report = subprocess.run(["fitsverify", "-q", str(path)], capture_output=True, text=True)
    assert report.stdout.startswith("verification OK"), report.stdout
    with fits.open(path) as hdus:
        assert len(hdus) == 1 + len(frames)
        for hdu, (name, _, data, header) in zip(hdus[1:], frames, strict=True):
            assert hdu.header["XTENSION"] == "IMAGE" and hdu.name == name.upper()
            np.testing.assert_array_equal(hdu.data, data)
            for card in header.cards:
                assert hdu.header[card.keyword] == header[card.keyword]


def test_a_file_of_another_layout_goes_through_astropy(tmp_path):
    data = np.arange(12, dtype=np.float32).reshape(3, 4)
    other = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(data, name="X")]).writeto(other)
    assert fitsbytes.split_primary(other.getvalue()) is None  # the image is no primary's
    extension = fitsbytes.as_extension(other.getvalue(), "a4m0s0")
    with fits.open(io.BytesIO(fitsbytes.primary_bytes(fits.PrimaryHDU()) + extension)) as hdus:
        assert hdus[1].name == "A4M0S0"
        np.testing.assert_array_equal(hdus[1].data, data)


@pytest.mark.parametrize("raw", [b"", b"SIMPLE  =                    T" + b" " * 50, b"x" * 2880])
def test_damaged_files_are_not_taken_for_frames(raw):
    assert fitsbytes.split_primary(raw) is None
