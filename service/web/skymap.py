"""The archive's sky map for the landing page: its coverage (the MOC made at ingest)
drawn as HEALPix cells on an all-sky plate carree (RA increasing to the left, as on
the sky), and the plates' centres, each a link to a search there. An SVG, no
JavaScript; drawn once per coverage and process.

Depends on mocpy and cdshealpix; pure functions over the coverage and plate records.
"""

from __future__ import annotations

import dataclasses
import functools
from urllib.parse import urlencode

import numpy as np

from service.catalog.records import PlateRecord

WIDTH, HEIGHT = 720, 360
MAX_CELLS = 3000  # cells drawn at most: the coverage is degraded until it fits


@dataclasses.dataclass(frozen=True)
class Place:
    """A plate's centre on the map, with the search it links to."""

    plate_id: str
    x: float
    y: float
    href: str
    title: str


def xy(ra: np.ndarray | float, dec: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Map pixels of (RA, Dec): RA 360 at the left edge, 0 at the right."""
    return (360.0 - np.asarray(ra) % 360.0) * WIDTH / 360.0, (
        90.0 - np.asarray(dec)
    ) * HEIGHT / 180.0


@functools.lru_cache(maxsize=4)
def cell_paths(moc_text: str) -> tuple[str, ...]:
    """SVG polygon points of the coverage's cells (degraded to at most MAX_CELLS)."""
    if not moc_text:
        return ()
    import astropy.units as u
    from cdshealpix.nested import vertices
    from mocpy import MOC

    moc = MOC.from_string(moc_text, format="ascii")
    order = moc.max_order
    while order > 0 and 12 * 4**order * moc.sky_fraction > MAX_CELLS:
        order -= 1
    if order < moc.max_order:
        moc = moc.degrade_to_order(order)
    cells = moc.flatten()  # the cells at the MOC's (degraded) order
    if len(cells) == 0:
        return ()
    lon, lat = vertices(cells.astype(np.uint64), moc.max_order)
    ra, dec = lon.to_value(u.deg), lat.to_value(u.deg)
    out = []
    for r, d in zip(ra, dec, strict=True):
        r = np.where(r - r.min() > 180.0, r - 360.0, r)  # a cell across RA 0: one side
        x, y = xy(r, d)
        if r.min() < 0:
            x = x - WIDTH  # its part west of RA 0 drawn at the right edge
        out.append(" ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True)))
    return tuple(out)


def places(plates: list[PlateRecord], radius_arcmin: float = 5.0) -> list[Place]:
    """The plates' centres (those known) with their searches."""
    out = []
    for plate in plates:
        if plate.ra is None or plate.dec is None:
            continue
        x, y = xy(plate.ra, plate.dec)
        query = urlencode({"pos": f"{plate.ra:.4f} {plate.dec:+.4f}", "radius": radius_arcmin})
        dates = f"{plate.first_date[:10]} to {plate.last_date[:10]}" if plate.first_date else ""
        out.append(Place(plate.plate_id, float(x), float(y), f"/?{query}",
                         f"{plate.plate_id} {dates}".strip()))  # fmt: skip
    return out
