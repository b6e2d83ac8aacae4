"""Plates whose header files were written by other software, ingested and cut as a user
would: footprints and catalog searches, native cutouts of every solution kind and key
(FITS, PNG, JPEG), ingest errors that name the rule, and no library chatter on stdout."""

from __future__ import annotations

import gzip
import io
import subprocess

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS
from PIL import Image

from service.app import create_app
from service.archive.sidecars import ingest
from service.catalog.query import ExposureQuery
from service.catalog.sqlite import SqliteCatalog
from service.settings import load_settings
from service.sky import Circle
from service.storage.local import LocalStore
from tests.foreign import write_archive
from tests.wcs.headers import linear, separation_arcsec, size_cards, text, wat_cards

SERVICE = load_settings(env={}).service


@pytest.fixture(scope="module")
def foreign(tmp_path_factory):
    """The foreign archive, its catalog and an app serving it."""
    root = tmp_path_factory.mktemp("foreign")
    plates = write_archive(root)
    settings = load_settings(
        env={},
        overrides={
            "archive": {"root": str(root)},
            "catalog": {"sqlite_path": str(root / "catalog.sqlite")},
            "cache": {"dir": str(root / "cache")},
        },
    )
    catalog = SqliteCatalog(settings.catalog.sqlite_file())
    report = ingest(LocalStore(root), catalog, SERVICE, progress=None)
    assert not report.skipped, report.summary()
    app = create_app(settings)
    yield plates, catalog, app.test_client(), root
    app.extensions["platecut"].close()
    catalog.close()


def found(catalog, ra, dec) -> set[str]:
    query = ExposureQuery(regions=(Circle(float(ra), float(dec), 1e-4),))
    return {r.obs_id for r in catalog.search(query).rows}


def test_footprints_hold_the_centre_and_every_corner_and_nothing_beyond(foreign):
    plates, catalog, _, _ = foreign
    for plate in plates:
        ny, nx = plate.shape
        for solnum, reference in enumerate(plate.references):
            obs_id = f"{plate.plate_id}m0s{solnum}"
            record = catalog.exposure(obs_id)
            centre = reference(np.array([(nx - 1) / 2]), np.array([(ny - 1) / 2]))
            assert separation_arcsec(record.ra, record.dec, *centre)[0] < 0.05, obs_id
            inside_x = np.array([(nx - 1) / 2, 3.0, nx - 4.0, nx - 4.0, 3.0])
            inside_y = np.array([(ny - 1) / 2, 3.0, 3.0, ny - 4.0, ny - 4.0])
            for ra, dec in zip(*reference(inside_x, inside_y), strict=True):
                assert obs_id in found(catalog, ra, dec), (obs_id, ra, dec)
            outside_x = np.array([-40.0, nx + 39.0, nx + 39.0, -40.0])
            outside_y = np.array([-40.0, -40.0, ny + 39.0, ny + 39.0])
            for ra, dec in zip(*reference(outside_x, outside_y), strict=True):
                assert obs_id not in found(catalog, ra, dec), (obs_id, ra, dec)


def native(client, obs_id, ra, dec, fmt="application/fits"):
    return client.get(
        "/soda/sync",
        query_string={
            "ID": obs_id,
            "CIRCLE": f"{ra!r} {dec!r} 0.02",
            "NATIVE": "true",
            "RESPONSEFORMAT": fmt,
        },
    )


def test_native_cutouts_of_every_kind_and_key(foreign, tmp_path):
    """The chosen solution is the primary WCS, fitsverify passes, astropy reads it (and
    gives the solution's positions; ZPX approximately, as the header says), and PNG and
    JPEG answers succeed."""
    plates, catalog, client, _ = foreign
    for plate in plates:
        ny, nx = plate.shape
        for solnum, reference in enumerate(plate.references):
            obs_id = f"{plate.plate_id}m0s{solnum}"
            ra, dec = (float(v[0]) for v in reference(np.array([nx * 0.3]), np.array([ny * 0.6])))
            response = native(client, obs_id, ra, dec)
            assert response.status_code == 200, (obs_id, response.data[:300])
            path = tmp_path / f"{obs_id}.fits"
            path.write_bytes(response.data)
            check = subprocess.run(["fitsverify", "-q", str(path)], capture_output=True, text=True)
            assert check.stdout.startswith("verification OK"), (obs_id, check.stdout)
            header = fits.getheader(path)
            assert header["SOLKEY"].strip() == plate.keys[solnum]
            wcs = WCS(header)
            assert wcs.has_celestial and wcs.wcs.ctype[0].startswith("RA--")
            # the cutout's first pixel is the solution's pixel where the sky says
            data = fits.getdata(path)
            cy, cx = (s // 2 for s in data.shape)
            sky = wcs.all_pix2world([[cx, cy]], 0)[0]
            frame = str(header.get("RADESYS", "ICRS")).strip()
            tolerance = 1.0 if "ZPX" in header.get("CTYPE1", "") else 0.05
            # positions from the cutout's own header, in its frame, converted to ICRS
            from astropy.coordinates import SkyCoord

            coord = SkyCoord(sky[0], sky[1], unit="deg", frame=frame.lower(),
                             equinox=_equinox(header))  # fmt: skip
            icrs = coord.icrs
            record = catalog.source(obs_id)
            from service.cutout.engine import solution_of

            sx, sy = solution_of(record).world_to_pixel(
                np.array([icrs.ra.deg]), np.array([icrs.dec.deg])
            )
            back = reference(sx, sy)
            assert separation_arcsec(icrs.ra.deg, icrs.dec.deg, *back)[0] < tolerance, obs_id
            if "ZPX" in header.get("CTYPE1", ""):
                assert "approximately" in str(header["COMMENT"])
            for mime, kind in (("image/png", "PNG"), ("image/jpeg", "JPEG")):
                preview = native(client, obs_id, ra, dec, mime)
                assert preview.status_code == 200, (obs_id, mime, preview.data[:300])
                assert Image.open(io.BytesIO(preview.data)).format == kind


def _equinox(header):
    equinox = header.get("EQUINOX")
    if equinox is None:
        return None
    return f"B{equinox}" if str(header.get("RADESYS", "")).startswith("FK4") else f"J{equinox}"


def test_ingest_reports_an_unreadable_solution_and_the_rule_it_broke(tmp_path):
    write_archive(tmp_path)
    value = 'wtype=tnx axtype=ra lngcor = "3. 2. 2. 2. -0.2 0.2 -0.2 0.2 1e-5 2e-5 3e-5 4e-5"'
    cards = size_cards() + linear("TNX") + wat_cards(1, value, 64)
    (tmp_path / "headers/tnx/tnx00001_00.wcs.gz").write_bytes(gzip.compress(text(cards).encode()))
    catalog = SqliteCatalog(tmp_path / "catalog.sqlite")
    report = ingest(LocalStore(tmp_path), catalog, SERVICE, progress=None)
    why = report.skipped["plates/tnx/tnx00001.json"]
    assert "plate tnx00001" in why or "tnx00001" in report.summary()
    assert "4 coefficients for 3 terms" in why
    assert "values joined as written" in why and "values padded to 68 characters" in why
    assert "skipped plates/tnx/tnx00001.json" in report.summary()
    catalog.close()


def test_no_library_messages_on_stdout(tmp_path, capfd):
    """A header file with SIP and TPV solutions under different keys: ingest and cutouts
    print nothing (library messages go to the log)."""
    from service.cli import main

    write_archive(tmp_path)
    capfd.readouterr()
    env = {
        "PLATECUT_ARCHIVE_ROOT": str(tmp_path),
        "PLATECUT_CATALOG_SQLITE_PATH": str(tmp_path / "c.sqlite"),
        "PLATECUT_CACHE_DIR": str(tmp_path / "cache"),
    }
    with pytest.MonkeyPatch.context() as patch:
        for name, value in env.items():
            patch.setenv(name, value)
        assert main(["ingest", "--workers", "1"]) == 0
        out = capfd.readouterr()
        assert "SIP" not in out.out + out.err
        args = ["cutout", str(tmp_path / "x.fits"), "--plate", "two00004", "--solution", "0"]
        assert main([*args, "--ra", "150.2", "--dec", "30.1", "--size", "50"]) == 0
        out = capfd.readouterr()
        assert "SIP" not in out.out + out.err and "INFO" not in out.out
