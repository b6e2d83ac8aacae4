"""The README's "Try it" examples, run as a user would paste them: the shell block with
bash, the pyvo script with Python, against gunicorn over the demo archive; each
product checked."""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys

from astropy.io import fits
from astropy.io.votable import parse_single_table
from PIL import Image

from service.settings import PROJECT_ROOT


def try_it_blocks() -> dict[str, str]:
    """The code blocks of the README's "Try it" section, by language."""
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Try it", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(sh|python)\n(.*?)```", section, flags=re.S)
    return {language: code for language, code in blocks}


def test_every_try_it_line_works_against_gunicorn(served, tmp_path):
    blocks = try_it_blocks()
    assert set(blocks) == {"sh", "python"}
    env = {**os.environ, "PLATECUT": served, "PATH": f"{os.path.dirname(sys.executable)}:"
           f"{os.environ['PATH']}"}  # fmt: skip
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", blocks["sh"]], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    rows = parse_single_table(str(tmp_path / "exposures.xml")).to_table()
    assert len(rows) >= 3 and "a03393m0s0" in set(rows["obs_id"])
    with fits.open(tmp_path / "cutout.fits") as hdus:
        assert hdus[0].data.shape[0] > 100 and hdus[0].header["PLATE_ID"] == "a03393"
    with Image.open(tmp_path / "cutout.png") as png:
        assert png.format == "PNG"
    links = parse_single_table(str(tmp_path / "links.xml")).to_table()
    assert "#cutout" in set(links["semantics"])
    assert "<uws:phase>COMPLETED</uws:phase>" in (tmp_path / "job.xml").read_text()
    with fits.open(tmp_path / "stack.fits") as hdus:
        assert hdus["INDEX"].data is not None and len(hdus) > 3
    with open(tmp_path / "exposures.csv") as table:
        assert len(list(csv.DictReader(table))) == len(rows)
    script = subprocess.run(
        [sys.executable, "-c", blocks["python"]], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert script.returncode == 0, script.stderr[-3000:]
    count = int(script.stdout.split()[0])
    saved = [p for p in tmp_path.glob("*.fits") if p.name not in ("cutout.fits", "stack.fits")]
    assert count >= 3 and len(saved) == count
    for path in saved:
        with fits.open(path) as hdus:
            assert hdus[0].header["PLATE_ID"] in path.name
