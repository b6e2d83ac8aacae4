"""Exact spherical geometry for footprints (convex polygons) and query regions.

Points are unit vectors; polygons are convex, counter-clockwise seen from outside
the sphere, with every edge shorter than 180 degrees. Functions are vectorised over
many footprints of the same vertex count: ``polys`` has shape (n, k, 3).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np


def unit(ra: np.ndarray | float, dec: np.ndarray | float) -> np.ndarray:
    """Unit vectors of (RA, Dec) in degrees; shape (..., 3)."""
    a, d = np.radians(ra), np.radians(dec)
    return np.stack([np.cos(d) * np.cos(a), np.cos(d) * np.sin(a), np.sin(d)], axis=-1)


def radec(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(RA, Dec) in degrees of unit vectors."""
    ra = np.degrees(np.arctan2(v[..., 1], v[..., 0])) % 360.0
    dec = np.degrees(np.arcsin(np.clip(v[..., 2], -1, 1)))
    return ra, dec


def angle(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle in radians between unit vectors (accurate at small angles)."""
    return np.arctan2(np.linalg.norm(np.cross(a, b), axis=-1), np.sum(a * b, axis=-1))


@dataclasses.dataclass(frozen=True)
class Circle:
    """A cone: centre (RA, Dec) and radius, degrees."""

    ra: float
    dec: float
    radius: float


@dataclasses.dataclass(frozen=True)
class Polygon:
    """A convex spherical polygon; vertices (RA, Dec) in degrees, any orientation."""

    vertices: tuple[tuple[float, float], ...]


@dataclasses.dataclass(frozen=True)
class Range:
    """A longitude/latitude box: RA from ``ra_min`` eastward to ``ra_max`` (may wrap)."""

    ra_min: float
    ra_max: float
    dec_min: float
    dec_max: float

    @property
    def full_ra(self) -> bool:
        """True when the box spans every RA."""
        return self.ra_max - self.ra_min >= 360.0


Region = Circle | Polygon | Range


def orient(vertices: np.ndarray) -> np.ndarray:
    """Return the vertices counter-clockwise (interior on the left of each edge)."""
    centre = vertices.sum(axis=0)
    normal = np.cross(vertices, np.roll(vertices, -1, axis=0))
    return vertices if np.sum(normal @ centre) >= 0 else vertices[::-1].copy()


def convexity(vertices: np.ndarray) -> str | None:
    """None if the counter-clockwise polygon (unit vectors) is convex, simple and of
    positive area; otherwise why not. Linear in the number of vertices: the polygon is
    projected gnomonically about its centre, where convexity means that every turn is
    to the left and the turns add up to one full turn."""
    centre = vertices.sum(axis=0)
    size = np.linalg.norm(centre)
    if size < 1e-9 or (vertices @ (centre / size)).min() < 0.05:
        return "it spans a hemisphere or more"
    c = centre / size
    east = np.cross([0.0, 0.0, 1.0], c)
    if np.linalg.norm(east) < 1e-9:
        east = np.array([0.0, 1.0, 0.0])
    east /= np.linalg.norm(east)
    north = np.cross(c, east)
    depth = vertices @ c
    x, y = (vertices @ east) / depth, (vertices @ north) / depth
    dx, dy = np.roll(x, -1) - x, np.roll(y, -1) - y
    length = np.hypot(dx, dy)
    if (length <= 1e-12).any():
        return "two consecutive vertices are the same point"
    area = 0.5 * float(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    extent = float(max(x.max() - x.min(), y.max() - y.min()))
    if area <= 1e-9 * extent**2:
        return "its vertices enclose no area"
    cross = dx * np.roll(dy, -1) - dy * np.roll(dx, -1)
    dot = dx * np.roll(dx, -1) + dy * np.roll(dy, -1)
    if (cross < -1e-12 * length * np.roll(length, -1)).any():
        return "only convex polygons are supported"
    if abs(np.sum(np.arctan2(cross, dot)) - 2 * np.pi) > 1e-6:
        return "its edges cross"
    return None


def is_convex(vertices: np.ndarray) -> bool:
    """True if the counter-clockwise polygon is convex and of positive area."""
    return convexity(vertices) is None


def _edges(polys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = polys
    b = np.roll(polys, -1, axis=-2)
    n = np.cross(a, b)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    return a, b, n


def contains(polys: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Whether each polygon contains each point: shape (n, m)."""
    _, _, n = _edges(polys)
    return (np.einsum("nkj,mj->nmk", n, points) >= 0).all(axis=-1)


def _point_arc_distance(c: np.ndarray, a: np.ndarray, b: np.ndarray, n: np.ndarray):  # noqa: ANN202
    """Angular distance from point c (3,) to arcs a->b with unit normals n: shape (n, k)."""
    s = n @ c
    q = c - s[..., None] * n
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    within = (np.sum(np.cross(a, q) * n, axis=-1) >= 0) & (np.sum(np.cross(q, b) * n, axis=-1) >= 0)
    to_gc = np.arcsin(np.clip(np.abs(s), 0, 1))
    to_ends = np.minimum(angle(a, c[None, None, :]), angle(b, c[None, None, :]))
    return np.where(within, to_gc, to_ends)


def _arcs_cross(a1, a2, na, b1, b2, nb) -> np.ndarray:  # noqa: ANN001
    """Whether arcs a1-a2 (normals na) cross arcs b1-b2 (normals nb); broadcasting."""
    sa1 = np.sum(nb * a1, axis=-1)
    sa2 = np.sum(nb * a2, axis=-1)
    sb1 = np.sum(na * b1, axis=-1)
    sb2 = np.sum(na * b2, axis=-1)
    straddle = (sa1 * sa2 <= 0) & (sb1 * sb2 <= 0)
    same_side = np.sum((a1 + a2) * (b1 + b2), axis=-1) > 0
    return straddle & same_side


def bounding_caps(polys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Centre (n, 3) and angular radius (n,) of a cap around each polygon's vertices.

    A convex polygon lies inside such a cap when the radius is below 90 degrees;
    larger radii are reported as pi (the cap proves nothing)."""
    centre = polys.sum(axis=1)
    centre /= np.linalg.norm(centre, axis=-1, keepdims=True)
    cos = np.einsum("nkj,nj->nk", polys, centre).min(axis=1)
    radius = np.arccos(np.clip(cos, -1.0, 1.0))
    return centre, np.where(radius < math.pi / 2, radius, math.pi)


def inner_radius(polys: np.ndarray, centre: np.ndarray) -> np.ndarray:
    """Radius (n,) of the cap about ``centre`` (n, 3) inside each counter-clockwise
    convex polygon: the distance to the nearest edge's great circle; -1 when the
    centre is not inside (no such cap)."""
    _, _, n = _edges(polys)
    sines = np.einsum("nkj,nj->nk", n, centre).min(axis=1)
    return np.where(sines > 0, np.arcsin(np.clip(sines, 0.0, 1.0)), -1.0)


def region_cap(region: Region) -> tuple[np.ndarray, float]:
    """Centre (unit vector) and radius (radians) of a cap containing the region; a
    radius of pi when no cap under 90 degrees is known to contain it."""
    if isinstance(region, Circle):
        return unit(region.ra, region.dec), math.radians(region.radius)
    if isinstance(region, Range):  # parallels bulge between corners: caps about a pole only
        if region.dec_max >= 90.0:
            return unit(0.0, 90.0), math.radians(90.0 - region.dec_min)
        if region.dec_min <= -90.0:
            return unit(0.0, -90.0), math.radians(90.0 + region.dec_max)
        return unit(0.0, 90.0), math.pi
    vertices = orient(unit(*np.array(region.vertices).T))
    centre, radius = bounding_caps(vertices[None])
    return centre[0], float(radius[0])


def intersects_circle(polys: np.ndarray, circle: Circle) -> np.ndarray:
    """Whether each polygon intersects the cone.

    Polygons whose bounding cap cannot reach the cone are rejected first, those that
    contain its centre accepted, and only the rest get the edge-distance test."""
    c = unit(circle.ra, circle.dec)
    r = math.radians(circle.radius)
    centre, cap = bounding_caps(polys)
    reach = np.arccos(np.clip(centre @ c, -1.0, 1.0)) <= cap + r + 1e-9
    result = np.zeros(len(polys), bool)
    index = np.flatnonzero(reach)
    if len(index) == 0:
        return result
    a, b, n = _edges(polys[index])
    inside = (np.einsum("nkj,j->nk", n, c) >= 0).all(axis=-1)
    rest = ~inside
    if rest.any():
        inside[rest] = (_point_arc_distance(c, a[rest], b[rest], n[rest]) <= r).any(axis=-1)
    result[index] = inside
    return result


def intersects_polygon(polys: np.ndarray, polygon: Polygon) -> np.ndarray:
    """Whether each polygon intersects a convex query polygon."""
    q = orient(unit(*np.array(polygon.vertices).T))
    qa, qb, qn = _edges(q[None, :, :])
    result = contains(polys, q).any(axis=1)
    result |= contains(q[None], polys.reshape(-1, 3))[0].reshape(polys.shape[:2]).any(axis=1)
    a, b, n = _edges(polys)
    cross = _arcs_cross(
        a[:, :, None, :],
        b[:, :, None, :],
        n[:, :, None, :],
        qa[:, None, :, :],
        qb[:, None, :, :],
        qn[:, None, :, :],
    )
    return result | cross.any(axis=(1, 2))


def _in_range(v: np.ndarray, box: Range) -> np.ndarray:
    ra, dec = radec(v)
    in_dec = (dec >= box.dec_min) & (dec <= box.dec_max)
    if box.full_ra:
        return in_dec
    return in_dec & (((ra - box.ra_min) % 360.0) <= (box.ra_max - box.ra_min) % 360.0 + 1e-12)


def _arc_hits_parallel(a: np.ndarray, b: np.ndarray, dec: float, box: Range) -> np.ndarray:
    """Whether arcs a->b meet the parallel ``dec`` within the box's RA span."""
    z = math.sin(math.radians(dec))
    theta = angle(a, b)
    u = b - np.cos(theta)[..., None] * a
    norm = np.linalg.norm(u, axis=-1, keepdims=True)
    u = np.where(norm > 0, u / np.where(norm > 0, norm, 1), 0)
    amp = np.hypot(a[..., 2], u[..., 2])
    phase = np.arctan2(u[..., 2], a[..., 2])
    ratio = np.where(amp > 0, z / np.where(amp > 0, amp, 1), 2.0)
    ok = np.abs(ratio) <= 1
    delta = np.arccos(np.clip(ratio, -1, 1))
    hit = np.zeros(a.shape[:-1], bool)
    for t in (phase + delta, phase - delta):
        t = np.mod(t, 2 * np.pi)
        on_arc = ok & (t <= theta)
        point = np.cos(t)[..., None] * a + np.sin(t)[..., None] * u
        if box.full_ra:
            hit |= on_arc
        else:
            ra, _ = radec(point)
            hit |= on_arc & (((ra - box.ra_min) % 360.0) <= (box.ra_max - box.ra_min) % 360.0)
    return hit


def intersects_range(polys: np.ndarray, box: Range) -> np.ndarray:
    """Whether each polygon intersects the RA/Dec box (exact: parallels are small circles)."""
    result = _in_range(polys, box).any(axis=1)
    corners = []
    for dec in (box.dec_min, box.dec_max):
        for ra in (box.ra_min, box.ra_max) if not box.full_ra else (0.0,):
            corners.append(unit(ra, dec))
    result |= contains(polys, np.array(corners)).any(axis=1)
    a, b, n = _edges(polys)
    for dec in (box.dec_min, box.dec_max):
        if abs(dec) < 90:
            result |= _arc_hits_parallel(a, b, dec, box).any(axis=1)
    if not box.full_ra:
        middle = (box.dec_min + box.dec_max) / 2.0
        for ra in (box.ra_min, box.ra_max):
            for low, high in ((box.dec_min, middle), (middle, box.dec_max)):
                m1, m2 = unit(ra, low), unit(ra, high)
                if angle(m1, m2) <= 0:
                    continue
                mn = np.cross(m1, m2)
                mn /= np.linalg.norm(mn)
                result |= _arcs_cross(a, b, n, m1, m2, mn).any(axis=1)
    return result


def intersects(polys: np.ndarray, region: Region) -> np.ndarray:
    """Whether each footprint (n, k, 3) intersects the region."""
    if len(polys) == 0:
        return np.zeros(0, bool)
    if isinstance(region, Circle):
        return intersects_circle(polys, region)
    if isinstance(region, Polygon):
        return intersects_polygon(polys, region)
    return intersects_range(polys, region)


def tangent_plane(vectors: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Gnomonic coordinates (east, north; tangent-plane units, radians at the centre) of
    unit vectors about their centres, row by row: ``vectors`` (n, ..., 3), ``centres``
    (n, 3); the result is (n, ..., 2). Great circles are straight lines there."""
    pole = np.array([0.0, 0.0, 1.0])
    east = np.cross(pole, centres)
    size = np.linalg.norm(east, axis=-1, keepdims=True)
    east = np.where(size < 1e-12, np.array([0.0, 1.0, 0.0]), east / np.maximum(size, 1e-300))
    north = np.cross(centres, east)
    shape = (len(centres),) + (1,) * (vectors.ndim - 2) + (3,)
    c, e, n = (a.reshape(shape) for a in (centres, east, north))
    depth = np.sum(vectors * c, axis=-1)
    return np.stack([np.sum(vectors * e, -1) / depth, np.sum(vectors * n, -1) / depth], -1)


def plane_distances(points: np.ndarray, polygons: np.ndarray) -> np.ndarray:
    """Distance of each point (n, 2) to the nearest edge of its polygon (n, k, 2), in
    the plane."""
    a = polygons
    b = np.roll(polygons, -1, axis=1)
    ab = b - a
    ap = points[:, None, :] - a
    t = np.clip(np.sum(ap * ab, -1) / np.maximum(np.sum(ab * ab, -1), 1e-300), 0.0, 1.0)
    nearest = a + t[..., None] * ab
    return np.min(np.linalg.norm(points[:, None, :] - nearest, axis=-1), axis=1)
