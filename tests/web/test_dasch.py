"""DASCH's own client works unchanged: the real daschlab 1.1.0 from PyPI, pointed at
gunicorn by DASCHLAB_API_BASE_URL, lists the exposures SIA 2.0 lists (solved and not)
and writes cutouts whose pixels are our SODA cutout on DASCH's grid, stars where the
truth says; every request and answer passes DASCH's JSON schemas; bad bodies are 400s
with DASCH's messages."""

from __future__ import annotations

import base64
import gzip
import io
import json
import math
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import jsonschema
import numpy as np
import pytest
import requests
from astropy.io import fits
from astropy.io.votable import parse_single_table
from astropy.wcs import WCS

from service.settings import PROJECT_ROOT
from tests.demo.test_astrometry import fit_centroid

# DASCH's request schemas (json-schemas/ of pkgw/dasch-science-lambda: their fields),
# queryexps with the midpoints daschlab 1.1 sends
QUERYEXPS_REQUEST = {
    "type": "object",
    "properties": {"ra_deg": {"type": "number"}, "dec_deg": {"type": "number"},
                   "midpoint_min": {"type": "string"}, "midpoint_max": {"type": "string"}},
    "required": ["ra_deg", "dec_deg"],
    "additionalProperties": False,
}  # fmt: skip
CUTOUT_REQUEST = {
    "type": "object",
    "properties": {"plate_id": {"type": "string"}, "solution_number": {"type": "number"},
                   "center_ra_deg": {"type": "number"}, "center_dec_deg": {"type": "number"}},
    "required": ["plate_id", "solution_number", "center_ra_deg", "center_dec_deg"],
    "additionalProperties": False,
}  # fmt: skip
QUERYEXPS_ANSWER = {"type": "array", "items": {"type": "string"}, "minItems": 1}
CUTOUT_ANSWER = {"type": "string", "contentEncoding": "base64"}
ERROR_ANSWER = {
    "type": "object",
    "properties": {"status_code": {"type": "integer"}, "error": {"type": "string"}},
    "required": ["status_code", "error"],
    "additionalProperties": False,
}


@pytest.fixture(scope="module")
def dasch_server(dr7, tmp_path_factory) -> Iterator[str]:  # noqa: ANN001
    """gunicorn over the DR7-shaped archive (no job cluster: no jobs here)."""
    from tests.servers import Gunicorn

    var = tmp_path_factory.mktemp("dasch-gunicorn")
    s = dr7.settings
    env = {
        "PLATECUT_CONFIG": "",
        "PLATECUT_ARCHIVE_ROOT": s.archive.root,
        "PLATECUT_ARCHIVE_LAYOUT": s.archive.layout,
        "PLATECUT_STORAGE_S3_ENDPOINT_URL": s.storage.s3_endpoint_url,
        "PLATECUT_CATALOG_DYNAMODB_ENDPOINT_URL": s.catalog.dynamodb_endpoint_url,
        "PLATECUT_CATALOG_SQLITE_PATH": str(s.catalog.sqlite_file()),
        "PLATECUT_CACHE_DIR": str(var / "cache"),
        "PLATECUT_STACKS_SCHEDULER": "tcp://127.0.0.1:9",
    }
    server = Gunicorn(env, log=var / "gunicorn.log")
    yield server.url
    server.stop()


def call(url: str, endpoint: str, body: object) -> requests.Response:
    return requests.post(f"{url}/dasch/dr7/{endpoint}", json=body, timeout=120)


DASCHLAB = """
import json, sys, warnings
warnings.simplefilter("ignore")
import numpy as np
from astropy.io import fits
import daschlab
job = json.loads(sys.argv[1])
sess = daschlab.open_session(job["root"], interactive=False)
sess.select_target(ra_deg=job["ra"], dec_deg=job["dec"])
exposures = sess.exposures()
out = {"rows": [], "cutouts": {}}
for row in exposures:
    out["rows"].append({"id": row.exp_id(), "imaging": bool(row.has_imaging()),
                        "wcssource": str(row["wcssource"]),
                        "centre_cm": float(getattr(row["center_distance"], "value",
                                                   row["center_distance"])),
                        "edge_cm": float(getattr(row["edge_distance"], "value",
                                                 row["edge_distance"]))})
for local_id in job["cutouts"]:
    path = sess.cutout(local_id)
    out["cutouts"][str(local_id)] = None if path is None else str(sess.path(path))
print(json.dumps(out))
"""


def run_daschlab(url: str, root, ra: float, dec: float, cutouts: list[int]) -> dict:  # noqa: ANN001
    """daschlab in an interpreter of its own, as a user runs it."""
    job = json.dumps({"root": str(root), "ra": ra, "dec": dec, "cutouts": cutouts})
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(DASCHLAB), job],
        capture_output=True, text=True, timeout=600, cwd=root.parent,
        env={"DASCHLAB_API_BASE_URL": url, "PATH": "/usr/bin:/bin", "HOME": str(root.parent)},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def sia2_ids(url: str, ra: float, dec: float) -> set[str]:
    r = requests.get(f"{url}/sia/v2/query", params={"POS": f"CIRCLE {ra} {dec} 1e-7"}, timeout=60)
    return {str(o) for o in parse_single_table(io.BytesIO(r.content)).to_table()["obs_id"]}


def daschlab_id(obs_id: str) -> str:
    """Our obs_id as daschlab names the exposure: m<mos>s<sol>, solnum -1 without a
    solution; e<exp> on a plate never scanned (no mosaic number)."""
    plate = obs_id[: next(i for i, c in enumerate(obs_id) if c.isdigit()) + 5]
    tail = obs_id[len(plate) :]
    if tail.startswith("u"):
        return f"{plate}e{tail[1:]}"
    if "u" in tail:
        return f"{plate}{tail.split('u')[0]}s-1"
    return obs_id


def test_daschlab_lists_what_sia2_lists_and_cuts_what_soda_cuts(dr7, dasch_server, tmp_path):
    plan = next(p for p in dr7.plans if p.n_solutions >= 2)
    ra, dec = plan.plan.exposures[1].solution.crval
    listed = sia2_ids(dasch_server, ra, dec)
    assert any("s1" in o for o in listed)  # a second solution of a multi-exposure plate
    # the position: on a second solution, and on a logged exposure with no solution
    probe = run_daschlab(dasch_server, tmp_path / "probe", ra, dec, [])
    ids = [row["id"] for row in probe["rows"]]
    assert sorted(ids) == sorted(daschlab_id(o) for o in listed)
    unsolved = [r for r in probe["rows"] if not r["imaging"]]
    assert unsolved and all(r["wcssource"] != "imwcs" for r in unsolved)
    assert all(r["edge_cm"] >= 0 and r["centre_cm"] >= 0 for r in probe["rows"])
    # cutouts of several solved exposures, the second solution among them
    solved = [i for i, r in enumerate(probe["rows"]) if r["imaging"]]
    second = next(i for i in solved if ids[i].startswith(plan.plate_id) and ids[i].endswith("s1"))
    chosen = sorted({second, *solved[:3]})
    done = run_daschlab(dasch_server, tmp_path / "session", ra, dec, chosen)
    for local_id in chosen:
        path = done["cutouts"][str(local_id)]
        assert path is not None, ids[local_id]
        with fits.open(path) as hdus:
            ours = hdus[0].data.astype(float)  # daschlab rewrites the file (astropy: float)
            header = hdus[0].header
        assert ours.shape == (835, 835) and header["D_SOLNUM"] == int(ids[local_id][-1])
        assert header["CD1_1"] == -0.0004 and header["CRPIX1"] == 418
        obs_id = next(o for o in listed if daschlab_id(o) == ids[local_id] and "u" not in o[6:])
        r = requests.get(
            f"{dasch_server}/soda/sync",
            params={"ID": obs_id, "CIRCLE": f"{ra} {dec} 0.1", "WIDTH": 835, "SCALE": 1.44},
            timeout=120,
        )
        assert r.status_code == 200
        with fits.open(io.BytesIO(r.content)) as hdus:
            soda = hdus[0].data.astype(float)
            corners = np.array([[0, 0], [834, 0], [0, 834], [834, 834], [417, 417]], float)
            same = WCS(hdus[0].header).all_pix2world(corners, 0)
            np.testing.assert_allclose(same, WCS(header).all_pix2world(corners, 0), atol=1e-9)
        on = np.isfinite(soda)
        assert on.mean() > 0.5
        assert np.all(np.abs(ours[on] - soda[on]) < 1.0)  # int16 truncation
        assert np.all((ours[~on] == 0) | np.isnan(ours[~on]))  # BLANK off the plate
    # the stars of the second solution where its truth puts them
    path = done["cutouts"][str(second)]
    with fits.open(path) as hdus:
        data, wcs = hdus[0].data.astype(float), WCS(hdus[0].header)
    from tests.archive.test_dr7 import bright_stars

    star_ra, star_dec, _, _ = bright_stars(plan.plan, plan.plan.exposures[1], n=2000)
    px, py = wcs.all_world2pix(star_ra, star_dec, 0)
    inside = (px > 12) & (px < 822) & (py > 12) & (py < 822)
    assert inside.sum() >= 3
    for x, y in zip(px[inside][:8], py[inside][:8], strict=True):
        cx, cy = fit_centroid(data, x, y)
        assert math.hypot(cx - x, cy - y) < 0.1


def test_requests_and_answers_pass_dasch_schemas(dr7, dasch_server):
    plan = next(p for p in dr7.plans if p.n_solutions)
    ra, dec = plan.plan.exposures[0].solution.crval
    asks = [
        ("queryexps", {"ra_deg": ra, "dec_deg": dec}, QUERYEXPS_REQUEST, QUERYEXPS_ANSWER),
        ("queryexps", {"ra_deg": ra, "dec_deg": dec, "midpoint_min": "1880-01-01T00:00:00Z",
                       "midpoint_max": "1999-01-01T00:00:00Z"},
         QUERYEXPS_REQUEST, QUERYEXPS_ANSWER),
        ("cutout", {"plate_id": plan.plate_id, "solution_number": 0, "center_ra_deg": ra,
                    "center_dec_deg": dec}, CUTOUT_REQUEST, CUTOUT_ANSWER),
    ]  # fmt: skip
    for endpoint, body, request_schema, answer_schema in asks:
        jsonschema.validate(body, request_schema)
        r = call(dasch_server, endpoint, body)
        assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
        jsonschema.validate(r.json(), answer_schema)
    lines = call(dasch_server, "queryexps", asks[0][1]).json()
    assert lines[0].split(",")[:3] == ["series", "platenum", "scannum"]
    assert all(len(line.split(",")) == 27 for line in lines)
    raw = gzip.decompress(base64.b64decode(r.json()))
    with fits.open(io.BytesIO(raw), do_not_scale_image_data=True) as hdus:
        header = hdus[0].header
        assert header["BITPIX"] == 16 and header["BLANK"] == 0 and "BZERO" not in header
        assert header["NAXIS1"] == header["NAXIS2"] == 835 and header["CRPIX1"] == 418
        assert header["CD1_1"] == -0.0004 and header["CD2_2"] == 0.0004
        assert header["PLATE_ID"] == plan.plate_id  # our provenance cards
        assert hdus[0].data.dtype == np.dtype(">i2")


@pytest.mark.parametrize(
    ("endpoint", "body", "status", "message"),
    [
        ("queryexps", None, 400, "no request payload"),
        ("queryexps", [1, 2], 400, "invalid request payload: expected a JSON object"),
        ("queryexps", {"dec_deg": 1}, 400, "missing field `ra_deg`"),
        ("queryexps", {"ra_deg": "1", "dec_deg": 1}, 400,
         "invalid type for field `ra_deg`: expected number"),
        ("queryexps", {"ra_deg": 1, "dec_deg": 1, "radius": 2}, 400,
         "unknown field `radius`, expected one of `ra_deg`, `dec_deg`, `midpoint_min`, "
         "`midpoint_max`"),
        ("queryexps", {"ra_deg": 361, "dec_deg": 1}, 400, "illegal ra_deg parameter"),
        ("queryexps", {"ra_deg": 1, "dec_deg": -91}, 400, "illegal dec_deg parameter"),
        ("queryexps", {"ra_deg": 1, "dec_deg": 1, "midpoint_min": "soon"}, 400,
         "illegal midpoint_min parameter"),
        ("cutout", {"plate_id": "a03393", "solution_number": 0, "center_ra_deg": 1}, 400,
         "missing field `center_dec_deg`"),
        ("cutout", {"plate_id": "a03393", "solution_number": 0.5, "center_ra_deg": 1,
                    "center_dec_deg": 1}, 400,
         "invalid type for field `solution_number`: expected integer"),
        ("cutout", {"plate_id": "a03393", "solution_number": 0, "center_ra_deg": -1,
                    "center_dec_deg": 1}, 400, "illegal center_ra_deg parameter"),
        ("cutout", {"plate_id": "zz99999", "solution_number": 0, "center_ra_deg": 1,
                    "center_dec_deg": 1}, 404, "no such plate_id `zz99999`"),
    ],
)  # fmt: skip
def test_bad_bodies_get_dasch_s_messages(dr7, dasch_server, endpoint, body, status, message):
    if body is None:
        r = requests.post(f"{dasch_server}/dasch/dr7/{endpoint}", timeout=30)
    else:
        r = call(dasch_server, endpoint, body)
    assert r.status_code == status
    jsonschema.validate(r.json(), ERROR_ANSWER)
    assert r.json() == {"status_code": status, "error": message}


def test_plates_dasch_cannot_cut_get_dasch_s_messages(dr7, dasch_server):
    never = next(p for p in dr7.plans if not p.scanned)
    unsolved = next(p for p in dr7.plans if p.scanned and not p.n_solutions)
    one = next(p for p in dr7.plans if p.n_solutions == 1)
    ra, dec = one.plan.exposures[0].solution.crval
    far = ((ra + 90) % 360, -dec)
    cases = [
        (never.plate_id, 0, (ra, dec), 404,
         f"plate `{never.plate_id}` has no registered FITS mosaic information (never scanned?)"),
        (unsolved.plate_id, 0, (ra, dec), 404,
         f"plate `{unsolved.plate_id}` has no registered astrometric solutions"),
        (one.plate_id, 1, (ra, dec), 422,
         f"requested astrometric solution #1 (0-based) for plate `{one.plate_id}` but it only "
         "has 1 solutions"),
        (one.plate_id, 0, far, 422,
         f"plate `{one.plate_id}` solnum 0 does not overlap the target region"),
    ]  # fmt: skip
    for plate_id, number, (cra, cdec), status, message in cases:
        body = {"plate_id": plate_id, "solution_number": number, "center_ra_deg": cra,
                "center_dec_deg": cdec}  # fmt: skip
        r = call(dasch_server, "cutout", body)
        assert (r.status_code, r.json()) == (status, {"status_code": status, "error": message})


def test_the_readme_documents_the_dasch_api():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "/dasch/dr7/queryexps" in readme and "/dasch/dr7/cutout" in readme
