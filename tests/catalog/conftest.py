"""Catalog fixtures: each backend in turn, and a synthetic sky of footprints."""

from __future__ import annotations

import math
import uuid

import numpy as np
import pytest

from service.catalog.dynamodb import DynamoCatalog
from service.catalog.records import ExposureRecord, PlateRecord
from service.catalog.sqlite import SqliteCatalog
from service.sky import orient, radec, unit


def make_catalog(kind: str, tmp_path, moto_url: str = ""):
    if kind == "sqlite":
        catalog = SqliteCatalog(tmp_path / "catalog.sqlite")
    else:
        catalog = DynamoCatalog(f"platecut-{uuid.uuid4().hex[:12]}", endpoint_url=moto_url)
    catalog.create()
    return catalog


@pytest.fixture(params=["sqlite", "dynamodb"])
def catalog(request, tmp_path):
    """An empty catalog of each backend (DynamoDB on the moto server)."""
    url = request.getfixturevalue("moto_server").url if request.param == "dynamodb" else ""
    made = make_catalog(request.param, tmp_path, url)
    yield made
    made.close()


def synthetic_footprint(rng: np.random.Generator, ra: float, dec: float, size: float):
    """A convex 16-gon about (ra, dec): an ellipse of axes ~size, random orientation."""
    centre = unit(ra, dec)
    east = np.cross([0.0, 0.0, 1.0], centre)
    east = east / np.linalg.norm(east) if np.linalg.norm(east) > 1e-9 else np.array([0, 1.0, 0])
    north = np.cross(centre, east)
    a, b = math.tan(math.radians(size / 2)), math.tan(math.radians(size / 2 * rng.uniform(0.6, 1)))
    rot = rng.uniform(0, 2 * math.pi)
    t = np.linspace(0, 2 * math.pi, 16, endpoint=False)
    x = a * np.cos(t) * math.cos(rot) - b * np.sin(t) * math.sin(rot)
    y = a * np.cos(t) * math.sin(rot) + b * np.sin(t) * math.cos(rot)
    v = centre + x[:, None] * east + y[:, None] * north
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    v = orient(v)
    r, d = radec(v)
    return tuple((float(p), float(q)) for p, q in zip(r, d, strict=True))


def synthetic_plates(n: int, seed: int = 0) -> list[tuple[PlateRecord, list[ExposureRecord]]]:
    """Plates with 1-3 exposures each, footprints 1-40 deg, over the whole sky."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        plate_id = f"{'abc'[i % 3]}{i:05d}"
        series = plate_id[0]
        if i % 7 == 0:
            ra, dec = rng.uniform(-5, 5) % 360, rng.uniform(-60, 60)  # straddling RA = 0
        elif i % 11 == 0:
            ra, dec = rng.uniform(0, 360), rng.choice([-1, 1]) * rng.uniform(80, 89.9)
        else:
            ra, dec = rng.uniform(0, 360), math.degrees(math.asin(rng.uniform(-1, 1)))
        size = float(np.exp(rng.uniform(math.log(1), math.log(40))))
        plate = PlateRecord(
            plate_id,
            series,
            i,
            f"telescope {series}",
            series.upper(),
            f"{plate_id}_00_1",
            0,
            0,
            f"mosaics/{plate_id}.fits.fz",
            f"headers/{plate_id}.wcs.gz",
            1000,
            1000,
            "etag",
        )
        exposures = []
        mjd = rng.uniform(11000, 48000)
        for s in range(int(rng.integers(1, 4))):
            oid = f"{plate_id}m0s{s}"
            fp = synthetic_footprint(rng, (ra + s * 0.3 * size) % 360, dec, size)
            exptime = float(rng.uniform(60, 7200))
            exposures.append(
                ExposureRecord(
                    obs_id=oid,
                    publisher_did=f"ivo://test/p?{oid}",
                    plate_id=plate_id,
                    series=series,
                    telescope=plate.telescope,
                    mosnum=0,
                    solnum=s,
                    exposure=s,
                    ra=ra,
                    dec=dec,
                    footprint=fp,
                    fov_deg=size,
                    pixel_scale_arcsec=size * 3.6,
                    t_min=mjd,
                    t_max=mjd + exptime / 86400,
                    exptime_s=exptime,
                    date_obs="1900-01-01T00:00:00",
                    width=1000,
                    height=1000,
                    object_key=plate.object_key,
                    header_key=plate.header_key,
                )
            )
            mjd += 0.1
        out.append((plate, exposures))
    return out


@pytest.fixture
def engine_solutions(demo_archive):
    """Solutions of a demo plate, read from its header file."""
    from service.wcs.solutions import parse_solutions, read_header_file

    def solutions(plate):
        raw = (demo_archive / plate.mosaics[0].header_key).read_bytes()
        return parse_solutions(read_header_file(raw))

    return solutions
