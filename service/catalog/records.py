"""Catalog records: plates and exposure solutions, with their footprints, and for each
exposure solution the source of its pixels (what a cutout needs, recorded at ingest)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from service.sky import unit

FOOTPRINT_VERTICES = 16  # 4 points per side of the mosaic, convex hull on the sky
#: the WCS source of an exposure described by an astrometric solution (DASCH's term)
WCS_SOLVED = "imwcs"


@dataclasses.dataclass(frozen=True)
class PlateRecord:
    """A plate of the archive."""

    plate_id: str
    series: str
    number: int
    telescope: str
    plate_class: str
    scan_id: str
    mosnum: int
    rotation_delta: int
    object_key: str
    header_key: str
    width: int
    height: int
    source_etag: str  # sidecar + header ETags at ingest, to skip unchanged plates
    solutions: int = 0  # astrometric solutions of its mosaic
    # what its exposures cover, for people choosing where to search (set at ingest)
    ra: float | None = None  # centre of its first exposure listed (None: none listed)
    dec: float | None = None
    first_date: str = ""  # its first and last exposure dates
    last_date: str = ""
    exposures: int = 0  # exposures listed (solved or not)

    def summarised(self, exposures: list[ExposureRecord]) -> PlateRecord:
        """This plate with what ``exposures`` (its own) cover."""
        if not exposures:
            return self
        dates = sorted(e.date_obs for e in exposures if e.date_obs)
        first = exposures[0]
        return dataclasses.replace(
            self, ra=first.ra, dec=first.dec, first_date=dates[0] if dates else "",
            last_date=dates[-1] if dates else "", exposures=len(exposures),
        )  # fmt: skip


@dataclasses.dataclass(frozen=True)
class ExposureRecord:
    """One exposure of a plate: what discovery returns, one row each.

    An exposure described by an astrometric solution (``calib_level`` 2, obs_id
    ``<plate>m<mosnum>s<solnum>``) has cutouts; one known only from its logbook
    centre (``calib_level`` 1, obs_id ``<plate>m<mosnum>u<exposure>``, ``solnum`` -1)
    is findable by the approximate frame DASCH gives it, and has none.
    ``footprint`` is (FOOTPRINT_VERTICES, 2) RA/Dec in degrees, counter-clockwise.
    """

    obs_id: str  # e.g. a03393m0s1
    publisher_did: str  # ivo://authority/path?a03393m0s1
    plate_id: str
    series: str
    telescope: str
    mosnum: int
    solnum: int
    exposure: int
    ra: float
    dec: float
    footprint: tuple[tuple[float, float], ...]
    fov_deg: float
    pixel_scale_arcsec: float
    t_min: float  # MJD
    t_max: float
    exptime_s: float
    date_obs: str
    width: int
    height: int
    object_key: str
    header_key: str
    object_size: int = 0  # bytes of the mosaic object
    header_size: int = 0  # bytes of the WCS header file
    calib_level: int = 2  # 2: an astrometric solution; 1: the logged centre only (no cutout)
    wcs_source: str = WCS_SOLVED  # where the WCS comes from: a solution, or DASCH's centerSource
    plate_class: str = ""
    scan_num: int = -1  # -1: the plate was never scanned
    mos_date: str = ""  # when the mosaic was made (ISO 8601)
    preview_key: str = ""  # a binned copy of the mosaic for whole-plate previews, if any

    @property
    def solved(self) -> bool:
        """Whether an astrometric solution describes this exposure (it has cutouts)."""
        return self.calib_level >= 2

    @property
    def plate_number(self) -> int | None:
        """The plate's number (its identifier less the series); None for an identifier
        that is not a series and a number, as an archive of our own layout may name
        its plates."""
        rest = self.plate_id[len(self.series) :]
        return int(rest) if rest.isascii() and rest.isdigit() else None

    def footprint_vectors(self) -> np.ndarray:
        """Footprint vertices as unit vectors (k, 3)."""
        ra, dec = np.array(self.footprint).T
        return unit(ra, dec)

    def to_dict(self) -> dict[str, Any]:
        """The record as JSON-ready values (its one serialisation)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> ExposureRecord:
        """The record :meth:`to_dict` gave."""
        return cls(**{**body, "footprint": tuple(tuple(v) for v in body["footprint"])})


@dataclasses.dataclass(frozen=True)
class PixelSource:
    """How to read one exposure solution's pixels, recorded at ingest so that a cutout
    reads neither the sidecar nor the header file nor the mosaic's header.

    Attributes
    ----------
    object_etag
        Version of the mosaic object at ingest (every read is conditional on it).
    layout
        The image HDU's layout as JSON (:func:`service.rangeread.fitsmeta.layout_to_json`).
    rotation_delta
        Turns from the solution's pixel frame to the stored array (degrees).
    solution_key
        The solution's WCS key letter in the header file ('' for the primary key).
    wcs_cards
        The solution alone, as FITS cards under the primary key.
    replaced_etag
        Set when a cutout found another version of the object in the store: that
        version is read (its layout from its header) until the plate is re-ingested.
    """

    object_etag: str
    layout: str
    rotation_delta: int
    solution_key: str
    wcs_cards: str
    replaced_etag: str = ""


@dataclasses.dataclass(frozen=True)
class CutoutSource:
    """One exposure solution and the source of its pixels: one catalog lookup."""

    exposure: ExposureRecord
    pixels: PixelSource

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready values (a job's plan keeps its frames' sources this way)."""
        return {"exposure": self.exposure.to_dict(), "pixels": dataclasses.asdict(self.pixels)}

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> CutoutSource:
        """The source :meth:`to_dict` gave."""
        return cls(ExposureRecord.from_dict(body["exposure"]), PixelSource(**body["pixels"]))


def obs_id(plate_id: str, mosnum: int, solnum: int) -> str:
    """The identifier of one exposure solution, e.g. ``a03393m0s1``."""
    return f"{plate_id}m{mosnum}s{solnum}"


def unsolved_id(plate_id: str, mosnum: int, exposure: int) -> str:
    """The identifier of an exposure with no solution, e.g. ``a03393m1u2``; a plate
    never scanned has no mosaic number: ``a03393u2``."""
    return f"{plate_id}m{mosnum}u{exposure}" if mosnum >= 0 else f"{plate_id}u{exposure}"
