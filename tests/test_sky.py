"""Exact spherical tests against an independent library (spherely, on S2 geometry)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import spherely

from service.sky import (
    Circle,
    Polygon,
    Range,
    bounding_caps,
    inner_radius,
    intersects,
    unit,
)
from tests.catalog.conftest import synthetic_footprint

RADIUS = 6_371_010.0  # spherely's default sphere radius, metres


def s2_polygon(vertices):
    return spherely.create_polygon([((ra + 180) % 360 - 180, dec) for ra, dec in vertices])


def footprints(n=300, seed=1):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        dec = math.degrees(math.asin(rng.uniform(-1, 1))) if i % 5 else rng.uniform(75, 89.5)
        ra = rng.uniform(-8, 8) % 360 if i % 4 == 0 else rng.uniform(0, 360)
        out.append(synthetic_footprint(rng, ra, dec, float(rng.uniform(0.5, 40))))
    return out


def vectors(fps):
    return np.stack([unit(*np.array(fp).T) for fp in fps])


@pytest.mark.parametrize("seed", range(4))
def test_cones_agree_with_s2_distance(seed):
    rng = np.random.default_rng(seed)
    fps = footprints(seed=seed)
    polys = vectors(fps)
    shapes = [s2_polygon(fp) for fp in fps]
    for _ in range(40):
        cone = Circle(
            float(rng.uniform(0, 360)),
            float(rng.uniform(-90, 90)),
            float(np.exp(rng.uniform(math.log(0.01), math.log(30)))),
        )
        ours = intersects(polys, cone)
        centre = spherely.create_point((cone.ra + 180) % 360 - 180, cone.dec)
        distance = np.degrees(np.array([spherely.distance(centre, s) for s in shapes]) / RADIUS)
        clear = np.abs(distance - cone.radius) > 1e-6  # not grazing
        assert np.array_equal(ours[clear], (distance <= cone.radius)[clear])


@pytest.mark.parametrize("seed", range(4))
def test_polygons_agree_with_s2_intersects(seed):
    rng = np.random.default_rng(100 + seed)
    fps = footprints(seed=seed)
    polys = vectors(fps)
    shapes = [s2_polygon(fp) for fp in fps]
    for _ in range(30):
        query = synthetic_footprint(
            rng,
            float(rng.uniform(0, 360)),
            float(rng.uniform(-89, 89)),
            float(rng.uniform(0.2, 30)),
        )
        query = query[::3]  # a convex hexagon
        ours = intersects(polys, Polygon(query))
        theirs = np.array([spherely.intersects(s2_polygon(query), s) for s in shapes])
        assert np.array_equal(ours, theirs)


def densified_box(box: Range, grow: float) -> list[tuple[float, float]]:
    """A polygon hugging the RA/Dec box from outside (grow > 0) or inside (grow < 0)."""
    span = (box.ra_max - box.ra_min) % 360 or 360
    ras = box.ra_min + np.linspace(0, span, 721)
    low, high = box.dec_min - grow, box.dec_max + grow
    edge = [(r, high) for r in ras] + [(r, low) for r in ras[::-1]]
    return edge


@pytest.mark.parametrize("seed", range(4))
def test_ranges_lie_between_inner_and_outer_approximations(seed):
    rng = np.random.default_rng(200 + seed)
    fps = footprints(seed=seed)
    polys = vectors(fps)
    shapes = [s2_polygon(fp) for fp in fps]
    for _ in range(25):
        ra0 = float(rng.uniform(-20, 20) % 360 if rng.random() < 0.4 else rng.uniform(0, 360))
        width = float(rng.uniform(0.5, 40))
        dec0 = float(rng.uniform(-80, 70))
        box = Range(ra0, (ra0 + width) % 360, dec0, min(89.0, dec0 + rng.uniform(0.5, 20)))
        ours = intersects(polys, box)
        # parallels bulge poleward of the chords between samples 0.05 deg apart: a margin of
        # 1e-3 deg in Dec covers it, plus the same for RA at the sides
        outer = s2_polygon(
            densified_box(
                Range(
                    (box.ra_min - 1e-3) % 360, (box.ra_max + 1e-3) % 360, box.dec_min, box.dec_max
                ),
                1e-3,
            )
        )
        inner = s2_polygon(
            densified_box(
                Range(
                    (box.ra_min + 1e-3) % 360, (box.ra_max - 1e-3) % 360, box.dec_min, box.dec_max
                ),
                -1e-3,
            )
        )
        surely = np.array([spherely.intersects(inner, s) for s in shapes])
        maybe = np.array([spherely.intersects(outer, s) for s in shapes])
        assert not (surely & ~ours).any() and not (ours & ~maybe).any()
        assert ours.sum() >= surely.sum()


def test_full_ra_polar_cap_agrees_with_the_highest_point_of_each_edge():
    fps = footprints(seed=9)
    polys = vectors(fps)
    cap = intersects(polys, Range(0, 360, 80, 90))
    # great-circle edges bulge poleward of their vertices: sample them densely
    t = np.linspace(0, 1, 2001)[:, None]
    top = []
    for poly in polys:
        points = [(1 - t) * a + t * b for a, b in zip(poly, np.roll(poly, -1, axis=0), strict=True)]
        z = np.concatenate(points)
        z = z[:, 2] / np.linalg.norm(z, axis=1)
        top.append(np.degrees(np.arcsin(z.max())))
    top = np.array(top)
    pole = spherely.create_point(0.0, 90.0)
    around_pole = np.array([spherely.contains(s2_polygon(fp), pole) for fp in fps])
    assert around_pole.any()
    clear = np.abs(top - 80) > 1e-4
    assert clear.sum() > 250
    assert np.array_equal(cap[clear], ((top >= 80) | around_pole)[clear])


def test_caps_bound_the_footprints_from_outside_and_inside():
    """Points on the outer cap's rim are outside (or on) the footprint, points on the
    inner cap's rim inside it (checked with S2)."""
    fps = footprints(n=60, seed=9)
    polys = vectors(fps)
    centre, outer = bounding_caps(polys)
    inner = inner_radius(polys, centre)
    assert (inner > 0).all() and (inner < outer).all()
    for fp, c, r_in, r_out in zip(fps, centre, inner, outer, strict=True):
        shape = s2_polygon(fp)
        ra, dec = (float(v) for v in np.degrees([math.atan2(c[1], c[0]), math.asin(c[2])]))
        for radius, inside in ((r_in * 0.999, True), (r_out * 1.001, False)):
            rim = Circle(ra % 360, dec, math.degrees(radius))
            for bearing in np.linspace(0, 2 * math.pi, 12, endpoint=False):
                point = _offset(rim, bearing)
                assert spherely.contains(shape, spherely.create_point(*point)) == inside


def _offset(circle, bearing):
    """The point at ``circle.radius`` from the centre along ``bearing`` (lon, lat)."""
    d, lat1, lon1 = math.radians(circle.radius), math.radians(circle.dec), math.radians(circle.ra)
    lat2 = math.asin(
        math.sin(lat1) * math.cos(d) + math.cos(lat1) * math.sin(d) * math.cos(bearing)
    )
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(d) * math.cos(lat1),
        math.cos(d) - math.sin(lat1) * math.sin(lat2),
    )
    return ((math.degrees(lon2) + 180) % 360 - 180, math.degrees(lat2))
