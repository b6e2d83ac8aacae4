"""The demo archive's files: valid FITS, every compression, parsable WCS headers."""

from __future__ import annotations

import gzip
import hashlib
import shutil
import subprocess
from pathlib import Path

import fitsio
import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

from service.archive.layout import iter_local_plates
from service.demo.generate import generate_archive


def read_solutions(path: Path) -> list[WCS]:
    """Read every solution of a header file the way the issue says: -TAN + PV is -TPV."""
    text = gzip.decompress(path.read_bytes()).decode("ascii")
    text = text.replace("'RA---TAN'", "'RA---TPV'").replace("'DEC--TAN'", "'DEC--TPV'")
    header = fits.Header.fromstring(text)
    n = header["NSOLUT"]
    keys = [chr(ord("A") + i) for i in range(n)] if n > 1 else [" "]
    return [WCS(header, key=key) for key in keys]


def test_every_mosaic_passes_fitsverify(demo_archive):
    assert shutil.which("fitsverify"), "fitsverify is installed by make test"
    mosaics = sorted(demo_archive.glob("mosaics/*/*.fits.fz"))
    assert len(mosaics) == 12
    for path in mosaics:
        result = subprocess.run(["fitsverify", "-q", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.startswith("verification OK"), result.stdout


def test_mosaics_decompress_and_match_sidecars(demo_archive):
    seen = set()
    for plate in iter_local_plates(demo_archive):
        mosaic = plate.mosaics[0]
        path = demo_archive / mosaic.object_key
        header = fitsio.read_header(str(path), ext=1)
        data = fitsio.read(str(path), ext=1)
        assert data.dtype == np.uint16
        assert data.shape == (mosaic.height, mosaic.width)
        assert header["ZCMPTYPE"] == mosaic.compression
        assert (header["ZTILE1"], header["ZTILE2"]) == mosaic.tile
        assert 0 < data.min() < np.median(data) < data.max()
        seen.add((mosaic.compression, mosaic.tile[1] == 1))
    assert {
        ("RICE_1", True),
        ("GZIP_1", True),
        ("GZIP_2", False),
        ("HCOMPRESS_1", False),
        ("RICE_1", False),
    } <= seen


def test_archive_has_the_variety_the_service_needs(demo_archive):
    plates = list(iter_local_plates(demo_archive))
    assert len({p.pixel_scale_arcsec for p in plates}) == 3
    assert {len(p.exposures) for p in plates} >= {1, 2, 3}
    assert {p.mosaics[0].rotation_delta for p in plates} == {0, 90, 180, 270}
    years = [int(p.exposures[0].date_obs[:4]) for p in plates]
    assert min(years) >= 1890 and max(years) <= 1990 and max(years) - min(years) > 30
    assert {"a03393", "mc12668"} <= {p.plate_id for p in plates}


def test_header_files_parse_for_every_solution_letter(demo_archive):
    for plate in iter_local_plates(demo_archive):
        path = demo_archive / plate.mosaics[0].header_key
        solutions = read_solutions(path)
        assert len(solutions) == len(plate.exposures)
        text = gzip.decompress(path.read_bytes()).decode("ascii")
        cards = [text[i : i + 80] for i in range(0, len(text), 80)]
        bare_header = fits.Header.fromstring("".join(c for c in cards if not c.startswith("PV")))
        for n, wcs in enumerate(solutions):
            # the PV terms act: at a corner, tens of pixels away from the bare projection
            key = chr(ord("A") + n) if len(solutions) > 1 else " "
            bare = WCS(bare_header, key=key)
            corner = wcs.all_pix2world([[0.0, 0.0]], 0)
            bx, by = bare.all_world2pix(corner, 0)[0]
            assert np.hypot(bx, by) > 10
        assert len(text) % 80 == 0 and text.rstrip().endswith("END")
        if len(solutions) > 1:  # the newest solution is also the primary one
            primary = WCS(fits.Header.fromstring(text.replace("-TAN'", "-TPV'")), key=" ")
            assert np.allclose(primary.wcs.crval, solutions[-1].wcs.crval)


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_generation_is_deterministic_for_a_seed(tmp_path):
    generate_archive(tmp_path / "one", plates=3, seed=5, size=500, workers=1)
    generate_archive(tmp_path / "two", plates=3, seed=5, size=500, workers=2)
    generate_archive(tmp_path / "other", plates=3, seed=6, size=500, workers=1)
    assert _digest(tmp_path / "one") == _digest(tmp_path / "two")
    assert _digest(tmp_path / "one") != _digest(tmp_path / "other")


def test_unknown_series_is_refused(tmp_path):
    with pytest.raises(ValueError, match="unknown series"):
        generate_archive(tmp_path, plates=1, series=["zz"])
