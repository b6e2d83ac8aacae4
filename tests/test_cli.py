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


def test_stack_command_with_its_own_cluster_and_a_progress_bar(vo_settings, tmp_path):
    """`platecut stack` with no scheduler configured starts a Dask cluster of its own,
    draws a progress bar, and writes the stack of SIA 2.0's exposures in the dates."""
    import io
    import os
    import subprocess
    import sys
    from pathlib import Path

    from astropy.io.votable import parse_single_table
    from astropy.time import Time

    from service.app import create_app

    env = {
        **os.environ,
        "PLATECUT_CONFIG": "",
        "PLATECUT_ARCHIVE_ROOT": vo_settings.archive.root,
        "PLATECUT_CATALOG_SQLITE_PATH": str(vo_settings.catalog.sqlite_file()),
        "PLATECUT_CACHE_DIR": str(tmp_path / "cache"),
        "PLATECUT_STACKS_LOCAL_WORKERS": "2",
        "PLATECUT_STACKS_SCHEDULER": "",
    }
    app = create_app(vo_settings)
    r = app.test_client().get("/sia/v2/query", query_string={"POS": "CIRCLE 0.2 12 1e-7"})
    rows = parse_single_table(io.BytesIO(r.data)).to_table()
    app.extensions["platecut"].close()
    mjds = sorted(float(t) for t in rows["t_min"])
    cut = Time(mjds[len(mjds) // 2] + 0.5, format="mjd", scale="tt").to_value("iso", "date")
    expected = [m for m in mjds if m <= Time(cut, scale="tt").mjd]
    assert 0 < len(expected) < len(mjds)
    out = tmp_path / "stack.fits"
    exe = Path(sys.executable).with_name("platecut")
    args = [str(exe), "stack", str(out), "--ra", "0.2", "--dec", "12", "--radius", "0.02"]
    done = subprocess.run(
        [*args, "--to", cut], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert f"{len(expected)}/{len(expected)} exposures, COMPLETED" in done.stderr
    assert "stack [" in done.stderr
    with fits.open(out) as hdus:
        assert len(hdus["INDEX"].data) == len(expected)
        assert list(hdus["INDEX"].data["MJD"]) == expected
    bad = subprocess.run(
        [*args[:2], str(tmp_path / "x.tiff"), *args[3:]], env=env, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "say --format" in bad.stderr
    empty = subprocess.run(
        [*args[:2], str(tmp_path / "empty.fits"), "--ra", "200", "--dec", "-60"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert empty.returncode == 3 and "nothing written" in empty.stderr, empty.stderr
    assert "no exposure with a solution covers RA 200.0, Dec -60.0" in empty.stderr
    assert not (tmp_path / "empty.fits").exists() and "stack [" not in empty.stderr


def test_help_reads_as_plain_text():
    import subprocess
    import sys
    from pathlib import Path

    done = subprocess.run(
        [str(Path(sys.executable).with_name("platecut")), "--help"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0
    assert "``" not in done.stdout and "-----" not in done.stdout
    for command in ("demo-archive", "cutout", "ingest", "stack", "parameters"):
        assert command in done.stdout
