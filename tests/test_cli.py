"""The platecut command line."""

import json

import numpy as np
from astropy.io import fits

from service.cli import main


def test_demo_archive_command_and_if_absent(tmp_path, capsys):
    out = tmp_path / "arch"
    assert main(["demo-archive", str(out), "--plates", "2", "--size", "400", "--seed", "3"]) == 0
    assert "wrote 2 plates" in capsys.readouterr().out
    assert json.loads((out / "archive.json").read_text())["seed"] == 3
    before = (out / "plates/a/a03393.json").stat().st_mtime_ns
    assert main(["demo-archive", str(out), "--if-absent"]) == 0
    assert "not regenerated" in capsys.readouterr().out
    assert (out / "plates/a/a03393.json").stat().st_mtime_ns == before


def test_bad_series_is_a_clear_error(tmp_path, capsys):
    assert main(["demo-archive", str(tmp_path), "--plates", "1", "--series", "zz"]) == 2
    assert "unknown series ['zz']" in capsys.readouterr().err


def _cutout_args(out, plate="a03393", solution="1"):
    return [
        "cutout",
        str(out),
        "--plate",
        plate,
        "--solution",
        solution,
        "--ra",
        "0.17",
        "--dec",
        "12.05",
        "--size",
        "200",
        "--scale",
        "1.44",
    ]


def test_cutout_command_local_and_s3_give_the_same_fits(
    demo_archive, tmp_path, monkeypatch, moto_server, s3_bucket, capsys
):
    monkeypatch.setenv("PLATECUT_CACHE_DIR", str(tmp_path / "cache-local"))
    monkeypatch.setenv("PLATECUT_ARCHIVE_ROOT", str(demo_archive))
    monkeypatch.setenv("PLATECUT_CATALOG_SQLITE_PATH", str(tmp_path / "local.sqlite"))
    assert main(["ingest", "--workers", "2"]) == 0
    assert main(_cutout_args(tmp_path / "local.fits")) == 0
    assert "wrote" in capsys.readouterr().out
    monkeypatch.setenv("PLATECUT_CACHE_DIR", str(tmp_path / "cache-s3"))
    monkeypatch.setenv("PLATECUT_ARCHIVE_ROOT", f"s3://{s3_bucket}/demo")
    monkeypatch.setenv("PLATECUT_STORAGE_S3_ENDPOINT_URL", moto_server.url)
    monkeypatch.setenv("PLATECUT_CATALOG_SQLITE_PATH", str(tmp_path / "s3.sqlite"))
    assert main(["ingest", "--workers", "2"]) == 0
    assert main(_cutout_args(tmp_path / "s3.fits")) == 0
    local = fits.getdata(tmp_path / "local.fits")
    remote = fits.getdata(tmp_path / "s3.fits")
    np.testing.assert_array_equal(local, remote)
    assert np.isfinite(local).sum() > 1000
    header = fits.getheader(tmp_path / "s3.fits")
    assert header["PLATE_ID"] == "a03393" and header["SOLNUM"] == 1


def test_cutout_command_errors(demo_archive, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PLATECUT_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("PLATECUT_ARCHIVE_ROOT", str(demo_archive))
    monkeypatch.setenv("PLATECUT_CATALOG_SQLITE_PATH", str(tmp_path / "catalog.sqlite"))
    assert main(["ingest"]) == 0
    assert main(_cutout_args(tmp_path / "x.fits", plate="zz00001")) == 1
    assert "Error: no exposure solution 'zz00001m0s1' in the catalog" in capsys.readouterr().err
    args = _cutout_args(tmp_path / "x.fits")
    args[args.index("--ra") + 1] = "200"
    assert main(args) == 3
    assert "does not fall on plate a03393" in capsys.readouterr().err
    assert not (tmp_path / "x.fits").exists()
