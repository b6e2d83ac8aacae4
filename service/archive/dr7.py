"""DASCH DR7 as DASCH stores it: one DynamoDB item per plate, read here into records.

The item (as DASCH's own Lambda reads it, ``pkgw/dasch-science-lambda``: src/cutout.rs,
src/queryexps.rs, src/mosaics.rs) has ``plateId``, ``series``, ``plateNumber``; an
``astrometry`` map (``b01HeaderGz``: the gzipped ASCII header of every solution, 80-
character cards joined by newlines, no END; ``nSolutions``; ``rotationDelta``;
``exposures``, a list whose entries may be NULL: ``number``, ``raDeg``, ``decDeg``,
``durMin``, ``midpointDate``, ``dateAccDays``, ``centerSource``, ``dateSource``); and a
``mosaic`` map (``b01Width``, ``b01Height``, ``s3KeyTemplate`` with ``{bin}`` and
``{tnx}``, ``scanNum``, ``mosNum``, ``creationDate``, ...).

* Solutions: with one, it is under the primary key; with N > 1, solution n is under
  key ``A`` + n and the primary key holds a copy of the latest (not a solution of its
  own). ``-TAN`` with ``PV`` cards is TPV. ``exposures[i]`` for i < N is solution i
  (NULL: no logged exposure matches it); entries from N on are exposures with no
  solution.
* rotationDelta (DASCH's): with 0-based (x, y) in the WCS frame and w, h the stored
  width and height less one, the stored pixel is (y, h - x) for +90 (= -270),
  (w - y, x) for -90 (= 270) and (w - x, h - y) for +-180. That is our
  ``rotation_delta`` (stored = ``numpy.rot90(frame, rotation_delta // 90)``) of
  ``rotationDelta mod 360``; any other value is refused.
* Exposures with no solution get DASCH's approximate frame: a north-up TAN at the
  logged centre, the series' plate scale (arcsec/mm, below) at 90.909 px/mm, N x N
  pixels with N the mosaic's longer side (the nominal plate when there is no mosaic),
  reference pixel (N + 1) / 2. Placeholder centres (RA 999 or -99, Dec 99 or -99) and
  NULL entries are not listed.

Depends on the catalog's records, the footprints and :mod:`service.wcs`; no I/O.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import math
import zlib
from typing import Any

from service.archive.dasch_frames import DEFAULT_SIDE_PX, NOMINAL_SIDE_PX, approximate_solution
from service.archive.layout import LayoutError
from service.catalog.footprint import exposure_geometry
from service.catalog.records import (
    ExposureRecord,
    PixelSource,
    PlateRecord,
    obs_id,
    unsolved_id,
)
from service.settings import ServiceSettings
from service.storage.base import ObjectInfo
from service.times import instant, mjd_of_instant, mjd_to_iso
from service.wcs.solutions import Solution, cards_of, parse_solutions

#: DASCH's rotationDelta -> our rotation_delta
ROTATIONS = {0: 0, 90: 90, -270: 90, 180: 180, -180: 180, -90: 270, 270: 270}
PLACEHOLDER_RA = (999.0, -99.0)
PLACEHOLDER_DEC = (99.0, -99.0)
BINNED = 16  # the binning of the small copy of each mosaic


@dataclasses.dataclass(frozen=True)
class LoggedExposure:
    """An entry of the item's ``astrometry.exposures``."""

    number: int
    ra: float | None
    dec: float | None
    dur_min: float | None
    midpoint: str
    center_source: str

    @property
    def placeholder(self) -> bool:
        """Whether its centre is missing or one of the placeholder values."""
        return (
            self.ra is None
            or self.dec is None
            or self.ra in PLACEHOLDER_RA
            or self.dec in PLACEHOLDER_DEC
        )


@dataclasses.dataclass(frozen=True)
class Mosaic:
    """The item's ``mosaic`` map."""

    width: int
    height: int
    key_template: str
    scan_num: int
    mos_num: int
    creation_date: str

    def key(self, binning: int = 1) -> str:
        """The mosaic object's key (see :func:`mosaic_key`)."""
        return mosaic_key(self.key_template, binning)


def mosaic_key(template: str, binning: int = 1) -> str:
    """A mosaic's key from its template: full resolution (``{bin}`` 01, ``{tnx}``
    _tnx), or binned 16 times (``{bin}`` 16, no ``{tnx}``)."""
    tnx = "_tnx" if binning == 1 else ""
    return template.replace("{bin}", f"{binning:02d}").replace("{tnx}", tnx)


@dataclasses.dataclass(frozen=True)
class Dr7Plate:
    """One plate of the DR7 plates table."""

    plate_id: str
    series: str
    number: int
    header_text: str | None  # every solution, as FITS header text (80-character cards)
    n_solutions: int
    rotation_delta: int  # ours: stored = rot90(solution frame, rotation_delta // 90)
    exposures: tuple[LoggedExposure | None, ...]
    mosaic: Mosaic | None

    def frame_shape(self) -> tuple[int, int]:
        """(ny, nx) of the frame the solutions were computed in."""
        assert self.mosaic is not None
        if self.rotation_delta in (90, 270):
            return self.mosaic.width, self.mosaic.height
        return self.mosaic.height, self.mosaic.width


def fingerprint(item: dict[str, Any]) -> str:
    """An identity of the item's content (an item read again unchanged has the same)."""
    canonical = json.dumps(item, sort_keys=True, default=_jsonable, separators=(",", ":"))
    return "dr7:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _jsonable(value: object) -> object:
    if isinstance(value, (bytes, bytearray)):
        return hashlib.sha256(bytes(value)).hexdigest()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)  # Decimal


def _number(value: object) -> float | None:
    return None if value is None else float(value)  # type: ignore[arg-type]


def _logged(entry: dict[str, Any] | None) -> LoggedExposure | None:
    if entry is None:
        return None
    return LoggedExposure(
        number=int(entry["number"]),
        ra=_number(entry.get("raDeg")),
        dec=_number(entry.get("decDeg")),
        dur_min=_number(entry.get("durMin")),
        midpoint=str(entry.get("midpointDate") or ""),
        center_source=str(entry.get("centerSource") or ""),
    )


def _header_text(data: bytes) -> str:
    """The header's cards as one FITS header text (80-character cards, END)."""
    try:
        text = gzip.decompress(bytes(data)).decode("ascii")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise LayoutError(f"unreadable header: {exc}") from exc
    cards = [line.ljust(80)[:80] for line in text.split("\n") if line.strip()]
    return "".join(cards) + "END".ljust(80)


def plate_from_item(item: dict[str, Any]) -> Dr7Plate:
    """A plate from its item (attribute values as Python values: numbers, strings,
    bytes, lists, maps, None).

    Raises
    ------
    LayoutError
        For a bad rotationDelta, an unreadable header or a malformed item.
    """
    try:
        astrometry = item.get("astrometry") or {}
        mosaic = item.get("mosaic")
        raw_rotation = int(astrometry.get("rotationDelta") or 0)
        if raw_rotation not in ROTATIONS:
            raise LayoutError(f"bad rotationDelta {raw_rotation} (0, +-90, +-180, +-270)")
        header = astrometry.get("b01HeaderGz")
        plate = Dr7Plate(
            plate_id=str(item["plateId"]),
            series=str(item["series"]),
            number=int(item["plateNumber"]),
            header_text=_header_text(header) if header else None,
            n_solutions=int(astrometry.get("nSolutions") or 0) if header else 0,
            rotation_delta=ROTATIONS[raw_rotation],
            exposures=tuple(_logged(e) for e in astrometry.get("exposures") or ()),
            mosaic=None
            if not mosaic
            else Mosaic(
                width=int(mosaic["b01Width"]),
                height=int(mosaic["b01Height"]),
                key_template=str(mosaic["s3KeyTemplate"]),
                scan_num=int(mosaic.get("scanNum", -1)),
                mos_num=int(mosaic.get("mosNum", -1)),
                creation_date=str(mosaic.get("creationDate") or ""),
            ),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise LayoutError(f"malformed item: {type(exc).__name__}: {exc}") from exc
    if plate.n_solutions and plate.mosaic is None:
        raise LayoutError("solutions but no mosaic")
    return plate


def dasch_time(text: str) -> float:
    """The MJD of a DASCH time (ISO 8601, with hyphens in the time part as DASCH writes
    it: ``1925-03-01T04-05-06``); NaN when absent or unreadable."""
    if not text:
        return math.nan
    date, _, clock = text.partition("T")
    try:
        return mjd_of_instant(instant(f"{date}T{clock.replace('-', ':')}" if clock else date))
    except ValueError:
        return math.nan


def _times(logged: LoggedExposure | None) -> tuple[float, float, float, str]:
    """(t_min, t_max, exposure time in s, start as ISO) of a logged exposure (NaN and
    '' when unknown)."""
    if logged is None:
        return math.nan, math.nan, math.nan, ""
    middle = dasch_time(logged.midpoint)
    duration = logged.dur_min if logged.dur_min is not None else math.nan
    half = 0.0 if math.isnan(duration) else duration / 2880.0
    start = middle - half
    date = "" if math.isnan(start) else mjd_to_iso(start)
    return start, middle + half, duration * 60.0, date


def _with_frame_size(header_text: str, shape: tuple[int, int]) -> str:
    """The header with NAXIS1/NAXIS2 of the solutions' frame (from the mosaic and the
    rotation, as DASCH reads them), whatever the header says."""
    ny, nx = shape
    cards = [header_text[i : i + 80] for i in range(0, len(header_text), 80)]
    kept = [c for c in cards if c[:8].strip() not in ("NAXIS1", "NAXIS2", "NAXIS")]
    size = [f"{'NAXIS':<8}= {2:>20}", f"{'NAXIS1':<8}= {nx:>20}", f"{'NAXIS2':<8}= {ny:>20}"]
    return "".join(c.ljust(80) for c in size) + "".join(kept)


@dataclasses.dataclass(frozen=True)
class MosaicRead:
    """What ingest read of the full-resolution mosaic: its version and image layout."""

    info: ObjectInfo
    layout: str


def plate_records(
    plate: Dr7Plate,
    read: MosaicRead | None,
    source_etag: str,
    service: ServiceSettings,
) -> tuple[PlateRecord, list[ExposureRecord], dict[str, PixelSource]]:
    """Catalog records of one DR7 plate: its solutions (with the source of their
    pixels) and its logged exposures with no solution.

    Raises
    ------
    LayoutError
        If the header does not hold ``nSolutions`` solutions, or a solution's
        mosaic is unknown.
    CorruptDataFault
        If a solution cannot be read.
    """
    mosaic = plate.mosaic
    exposures: list[ExposureRecord] = []
    pixels: dict[str, PixelSource] = {}
    mosnum = mosaic.mos_num if mosaic else -1
    common = {
        "plate_id": plate.plate_id,
        "series": plate.series,
        "telescope": "",
        "mosnum": mosnum,
        "width": mosaic.width if mosaic else 0,
        "height": mosaic.height if mosaic else 0,
        "object_key": mosaic.key() if mosaic else "",
        "header_key": "",
        "object_size": read.info.size if read else 0,
        "scan_num": mosaic.scan_num if mosaic else -1,
        "mos_date": mosaic.creation_date if mosaic else "",
        "preview_key": mosaic.key(BINNED) if mosaic else "",
    }
    if plate.n_solutions:
        if read is None or mosaic is None or plate.header_text is None:
            raise LayoutError("solutions but no mosaic read")
        text = _with_frame_size(plate.header_text, plate.frame_shape())
        solutions = parse_solutions(text)
        if len(solutions) != plate.n_solutions:
            raise LayoutError(
                f"unreadable header: nSolutions is {plate.n_solutions}, the header holds "
                f"{len(solutions)}"
            )
        for n, solution in enumerate(solutions):
            logged = plate.exposures[n] if n < len(plate.exposures) else None
            ident = obs_id(plate.plate_id, mosnum, n)
            key, cards = solution.key, cards_of(solution)
            pixels[ident] = PixelSource(
                read.info.etag, read.layout, plate.rotation_delta, key, cards
            )
            exposures.append(
                _record(ident, solution, logged, n, service, common, calib_level=2, source="imwcs")
            )
    side = (
        max(mosaic.width, mosaic.height)
        if mosaic
        else NOMINAL_SIDE_PX.get(plate.series, DEFAULT_SIDE_PX)
    )
    for logged in plate.exposures[plate.n_solutions :]:
        if logged is None or logged.placeholder:
            continue
        assert logged.ra is not None and logged.dec is not None
        solution = approximate_solution(plate.series, logged.ra % 360.0, logged.dec, side)
        if solution is None:
            continue
        ident = unsolved_id(plate.plate_id, mosnum, logged.number)
        source = logged.center_source.lower()
        exposures.append(
            _record(ident, solution, logged, -1, service, common, calib_level=1, source=source)
        )
    record = PlateRecord(
        plate.plate_id,
        plate.series,
        plate.number,
        "",
        "",
        f"{plate.plate_id}_{mosnum}_{common['scan_num']}" if mosaic else "",
        mosnum,
        plate.rotation_delta,
        common["object_key"],
        "",
        common["width"],
        common["height"],
        source_etag,
        plate.n_solutions,
    )
    return record, exposures, pixels


def _record(
    ident: str,
    solution: Solution,
    logged: LoggedExposure | None,
    solnum: int,
    service: ServiceSettings,
    common: dict[str, Any],
    calib_level: int,
    source: str,
) -> ExposureRecord:
    vertices, centre, fov, scale = exposure_geometry(solution)
    t_min, t_max, exptime, date = _times(logged)
    return ExposureRecord(
        obs_id=ident,
        publisher_did=service.publisher_did(ident),
        solnum=solnum,
        exposure=logged.number if logged else -1,
        ra=centre[0],
        dec=centre[1],
        footprint=tuple((float(a), float(b)) for a, b in vertices),
        fov_deg=fov,
        pixel_scale_arcsec=scale,
        t_min=t_min,
        t_max=t_max,
        exptime_s=exptime,
        date_obs=date,
        calib_level=calib_level,
        wcs_source=source,
        **common,
    )
