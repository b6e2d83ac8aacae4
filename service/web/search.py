"""The web page's search: a position in any form astropy's SkyCoord reads, the rows
to show, and a sketch of the footprints around the position (SVG, no JavaScript).

Pure functions over catalog records; the landing blueprint calls them.
"""

from __future__ import annotations

import dataclasses
import math
from urllib.parse import urlencode

import numpy as np

from service.catalog.records import ExposureRecord
from service.cutout.grid import TargetGrid
from service.faults import UsageFault
from service.sky import angle, unit
from service.times import mjd
from service.vo import datalink, soda
from service.vo.values import position

THUMB = 128  # thumbnail pixels a side
SKETCH = 320  # sketch pixels a side


def parse_position(text: str) -> tuple[float, float]:
    """(RA, Dec) in degrees from what :func:`service.vo.values.position` reads (the
    protocols' parser and messages); a name (e.g. "M31") needs the internet.

    Raises
    ------
    UsageFault
        If the text is neither coordinates nor a name that could be resolved.
    """
    text = text.strip()
    if not text[:1].isalpha():
        return position("Position", text)
    from astropy.coordinates import SkyCoord

    try:
        coord = SkyCoord.from_name(text)
    except Exception:  # noqa: BLE001 - any failure of the name service
        raise UsageFault(
            f"{text[:60]!r} is not a position, and name resolution (Sesame) needs the "
            "internet, which this server could not reach: enter coordinates"
        ) from None
    return float(coord.ra.deg), float(coord.dec.deg)


def parse_date(field: str, text: str) -> float | None:
    """MJD of a year, an ISO date or an MJD (``1905``, ``1905-03-01``); None if empty.

    Raises
    ------
    UsageFault
        If the text is no date.
    """
    text = text.strip()
    if not text:
        return None
    try:
        return mjd(text)
    except ValueError:
        raise UsageFault(f"{field}: {text[:30]!r} is not a date (YYYY or YYYY-MM-DD)") from None


@dataclasses.dataclass(frozen=True)
class Row:
    """One exposure as the page shows it (an exposure with no solution has no cutout:
    its thumbnail is the whole plate when the archive has a binned mosaic; links the
    archive does not have are empty)."""

    record: ExposureRecord
    distance_deg: float  # from the plate (exposure) centre
    thumbnail: str
    cutout: str
    mosaic: str
    header: str


def rows(
    records: list[ExposureRecord],
    ra: float,
    dec: float,
    radius_deg: float,
    base: str,
    scale_arcsec: float,
) -> list[Row]:
    """Rows with their links: cutouts of the search circle (at ``scale_arcsec``),
    thumbnails of it."""
    centre = unit(ra, dec)
    out = []
    for r in records:
        cut = {"ID": r.publisher_did, "CIRCLE": f"{ra!r} {dec!r} {radius_deg!r}",
               "SCALE": repr(scale_arcsec)}  # fmt: skip
        thumb = {
            **cut,
            "WIDTH": THUMB,
            "SCALE": repr(2 * radius_deg * 3600 / THUMB),
            "RESPONSEFORMAT": "image/png",
        }
        distance = float(np.degrees(angle(unit(r.ra, r.dec), centre)))
        plate = datalink.plate_preview_url(base, r) if r.preview_key else ""
        out.append(
            Row(
                r,
                distance,
                soda.sync_url(base, thumb) if r.solved else plate,
                soda.sync_url(base, cut) if r.solved else "",
                datalink.file_url(base, r.object_key) if r.object_key else "",
                datalink.file_url(base, r.header_key) if r.header_key else "",
            )
        )
    return out


def sketch(records: list[ExposureRecord], ra: float, dec: float, radius_deg: float) -> dict:
    """SVG geometry: the footprints and the search circle in a gnomonic projection
    around the position (north up, east left), ``SKETCH`` pixels a side."""
    field = max(4 * radius_deg, max((r.fov_deg for r in records), default=1.0) * 1.2)
    field = min(field, 120.0)
    grid = TargetGrid(ra, dec, SKETCH, SKETCH, field * 3600 / SKETCH)
    wcs = grid.wcs()
    polygons = []
    for r in records:
        points = np.array(r.footprint)
        front = angle(unit(points[:, 0], points[:, 1]), unit(ra, dec)) < math.radians(85)
        if not front.all():
            continue
        x, y = wcs.all_world2pix(points[:, 0], points[:, 1], 0)
        path = " ".join(f"{px:.1f},{SKETCH - 1 - py:.1f}" for px, py in zip(x, y, strict=True))
        polygons.append((r.obs_id, path))
    return {
        "size": SKETCH,
        "polygons": polygons,
        "radius_px": radius_deg * 3600 / grid.scale_arcsec,
        "field_deg": field,
    }


def snippets(base: str, ra: float, dec: float, radius_deg: float) -> dict[str, str]:
    """The pyvo code and the URLs that reproduce the search in other tools."""
    query = urlencode({"POS": f"CIRCLE {ra:.6f} {dec:.6f} {radius_deg:.6f}"})
    sia1 = urlencode({"POS": f"{ra:.6f},{dec:.6f}", "SIZE": f"{2 * radius_deg:.6f}"})
    return {
        "pyvo": (
            "import pyvo\n"
            f'service = pyvo.dal.SIA2Service("{base}/sia/v2")\n'
            f"results = service.search(pos=({ra:.6f}, {dec:.6f}, {radius_deg:.6f}))\n"
            "for row in results:\n"
            f"    cutout = row.processed(circle=({ra:.6f}, {dec:.6f}, {radius_deg:.6f}))\n"
            '    with open(f"{row[\'obs_id\']}.fits", "wb") as out:\n'
            "        out.write(cutout.read())\n"
            'print(len(results), "cutouts saved")'
        ),
        "sia2": f"{base}/sia/v2/query?{query}",
        "sia1": f"{base}/sia/v1/query?{sia1}",
    }
