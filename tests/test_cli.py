"""The platecut command line."""

import json

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
