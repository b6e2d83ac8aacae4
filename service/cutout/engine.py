"""Making a cutout of one exposure solution: overlap, mapping, ranged read, resampling, FITS.

The engine works from a :class:`~service.catalog.records.CutoutSource` (what the
catalog recorded at ingest: the solution's WCS cards, the mosaic's version and image
layout): it reads no sidecar, no header file and no mosaic header, only the tiles
the cutout needs.

The grid is first met with the plate's outline (:mod:`service.cutout.overlap`): a
grid that misses the plate is answered there, and the distortion's inverse is only
evaluated in the window of the grid that can hold plate pixels. A grid derived from
the region (``trim``) is cut down to that overlap; a grid the client fixed keeps its
size, NaN off the plate, at the cost of its on-plate part only. A resampled cutout is
planned (mapping and box, no pixel read) before it is finished from a read of its box,
so that cutouts of one mosaic can share a read (:mod:`service.cutout.boxes`).

Depends on :mod:`service.rangeread`, :mod:`service.wcs`, :mod:`service.faults`,
:mod:`service.cutout.resample`, :mod:`service.cutout.fitsout` and the catalog's record
types (data only); never on Flask, the VO layer or a catalog.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time

import numpy as np
from astropy.io import fits

from service.catalog.records import CutoutSource
from service.cutout.fitsout import describe, fits_bytes
from service.cutout.grid import TargetGrid
from service.cutout.mapping import Mapping, map_pixels
from service.cutout.overlap import Overlap, plate_overlap
from service.cutout.resample import INTERPOLATIONS, Reach, reach_of, resample
from service.faults import UsageFault
from service.rangeread.fitsmeta import Image, layout_from_json
from service.rangeread.reader import BoxRead, MosaicReader, MosaicVersion
from service.storage.base import FetchStats, ObjectInfo
from service.wcs.rotation import solution_to_stored, stored_shape
from service.wcs.solutions import Solution, solution_from_cards

_MARGIN = {"nearest": 1, "bilinear": 1, "bicubic": 8}


@dataclasses.dataclass(frozen=True)
class CutoutLimits:
    """Limits enforced before any byte is fetched."""

    max_output_pixels: int
    max_source_pixels: int
    mapping_step: int = 16
    mapping_tolerance_px: float = 0.01


@dataclasses.dataclass(frozen=True)
class CutoutRequest:
    """One cutout: onto which grid, and how.

    ``trim``: the grid was derived from the requested region, so it is cut down to
    the part that overlaps the plate (SODA 1.0: a region larger than the data is
    reduced to the data). Otherwise the grid is kept as asked, NaN off the plate.
    """

    grid: TargetGrid
    interpolation: str = "bilinear"
    native: bool = False
    trim: bool = False

    def __post_init__(self) -> None:
        if self.interpolation not in INTERPOLATIONS:
            raise UsageFault(
                f"interpolation {self.interpolation!r} is not one of {', '.join(INTERPOLATIONS)}"
            )


@dataclasses.dataclass(frozen=True)
class NoOverlap:
    """The requested grid does not touch the plate (a distinct outcome, not an error)."""

    obs_id: str


@dataclasses.dataclass(frozen=True)
class Planned:
    """A resampled cutout before any pixel is read: its geometry and the stored box it
    needs (:meth:`CutoutEngine.plan`)."""

    source: CutoutSource
    request: CutoutRequest
    solution: Solution
    overlap: Overlap
    grid: TargetGrid  # the request's grid, windowed to the overlap
    mapping: Mapping
    reach: Reach
    box: tuple[int, int, int, int]  # stored pixels needed: x0, x1, y0, y1
    timings: dict[str, float]


@dataclasses.dataclass(frozen=True)
class CutoutResult:
    """A finished cutout, and the version of the mosaic its pixels come from."""

    data: np.ndarray
    header: fits.Header
    source: CutoutSource
    solution: Solution
    stats: FetchStats
    mapping: Mapping | None
    version: ObjectInfo
    timings: dict[str, float] = dataclasses.field(default_factory=dict)
    box: tuple[int, int, int, int] = (0, 0, 0, 0)  # stored pixels read: x0, x1, y0, y1
    origin: tuple[int, int] = (0, 0)  # native cutouts: where they start in the solution frame

    @property
    def replaced(self) -> str | None:
        """The ETag read when the store held another version than the catalog's."""
        pixels = self.source.pixels
        etag = self.version.etag
        return None if etag in (pixels.object_etag, pixels.replaced_etag) else etag

    def to_fits(self) -> bytes:
        """The cutout as FITS bytes (:func:`service.cutout.fitsout.fits_bytes`)."""
        return fits_bytes(self.data, self.header)


@functools.lru_cache(maxsize=512)
def _solution(cards: str, solnum: int, key: str) -> Solution:
    return solution_from_cards(cards, solnum, key)


@functools.lru_cache(maxsize=512)
def _layout(text: str) -> Image:
    return layout_from_json(text)


def solution_of(source: CutoutSource) -> Solution:
    """The WCS solution of a cutout source (parsed once per process)."""
    pixels = source.pixels
    return _solution(pixels.wcs_cards, source.exposure.solnum, pixels.solution_key)


def version_of(source: CutoutSource) -> MosaicVersion:
    """The mosaic version to read: the catalog's, or the one a cutout saw in its place
    (its layout then comes from its header)."""
    e, pixels = source.exposure, source.pixels
    if pixels.replaced_etag:
        return MosaicVersion(ObjectInfo(e.object_key, 0, pixels.replaced_etag), None)
    info = ObjectInfo(e.object_key, e.object_size, pixels.object_etag)
    return MosaicVersion(info, _layout(pixels.layout))


class CutoutEngine:
    """Makes cutouts of exposure solutions.

    Parameters
    ----------
    reader
        Ranged reads of mosaics.
    limits
        Size limits and mapping accuracy.
    """

    def __init__(self, reader: MosaicReader, limits: CutoutLimits) -> None:
        self.reader = reader
        self.limits = limits

    def close(self) -> None:
        """Stop the reader's threads and close its store."""
        self.reader.close()

    def check_request(self, request: CutoutRequest) -> None:
        """Refuse a grid the client fixed beyond the limits (no I/O; the request and its
        grid vouch for their own options and values). A grid derived from a region is
        checked once trimmed to the plate (:meth:`make`).

        Raises
        ------
        UsageFault
        """
        if not request.trim:
            self._check_output(request.grid.nx, request.grid.ny, "")

    def _check_output(self, nx: int, ny: int, how: str) -> None:
        if nx * ny > self.limits.max_output_pixels:
            raise UsageFault(
                f"cutout of {nx} x {ny} px{how} exceeds the limit of "
                f"{self.limits.max_output_pixels} output pixels"
            )

    def make(
        self,
        source: CutoutSource,
        request: CutoutRequest,
        stats: FetchStats | None = None,
    ) -> CutoutResult | NoOverlap:
        """Make one cutout.

        Returns
        -------
        CutoutResult or NoOverlap

        Raises
        ------
        UsageFault
            Beyond the limits (before any mosaic byte is fetched).
        NotFoundFault, TransientFault, CorruptDataFault
        """
        if request.native:
            met = self._meet(source, request)
            if isinstance(met, NoOverlap):
                return met
            solution, overlap, _ = met
            return self._native(source, request, solution, overlap, stats or FetchStats())
        planned = self.plan(source, request)
        if isinstance(planned, NoOverlap):
            return planned
        key, version = source.exposure.object_key, version_of(source)
        return self.finish(planned, self.reader.read_box(key, planned.box, version, stats))

    def _meet(
        self, source: CutoutSource, request: CutoutRequest
    ) -> tuple[Solution, Overlap, dict[str, float]] | NoOverlap:
        """The solution and its overlap with the grid, within the limits."""
        self.check_request(request)
        clock = time.perf_counter()
        solution = solution_of(source)
        overlap = plate_overlap(solution, request.grid)
        timings = {"catalog_wcs": time.perf_counter() - clock}
        if overlap is None:
            return NoOverlap(source.exposure.obs_id)
        if request.trim:  # the region trimmed to the plate: at most the overlap window
            x0, x1, y0, y1 = overlap.window
            self._check_output(x1 - x0, y1 - y0, " (the region trimmed to the plate)")
        return solution, overlap, timings

    def plan(self, source: CutoutSource, request: CutoutRequest) -> Planned | NoOverlap:
        """Where a resampled cutout's pixels come from, before any is read: its overlap
        with the plate, its mapping and the stored box it needs.

        Raises
        ------
        UsageFault
            Beyond the limits.
        """
        met = self._meet(source, request)
        if isinstance(met, NoOverlap):
            return met
        solution, overlap, timings = met
        clock = time.perf_counter()
        grid = request.grid.window(*overlap.window)
        grid_wcs = grid.wcs()
        rotation = source.pixels.rotation_delta

        def transform(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            ra, dec = grid_wcs.all_pix2world(x, y, 0)
            sx, sy = solution.world_to_pixel(ra, dec)
            return solution_to_stored(sx, sy, solution.shape, rotation)

        mapping = map_pixels(
            transform, grid.shape, self.limits.mapping_step, self.limits.mapping_tolerance_px
        )
        timings["mapping"] = time.perf_counter() - clock
        height, width = stored_shape(solution.shape, rotation)
        reach = reach_of(mapping, (height, width))
        if reach is None:
            return NoOverlap(source.exposure.obs_id)
        margin = _MARGIN[request.interpolation]
        box = (
            max(0, math.floor(reach.x_min) - margin),
            min(width, math.ceil(reach.x_max) + margin + 1),
            max(0, math.floor(reach.y_min) - margin),
            min(height, math.ceil(reach.y_max) + margin + 1),
        )
        self._check_source(box)
        return Planned(source, request, solution, overlap, grid, mapping, reach, box, timings)

    def finish(self, planned: Planned, pixels: BoxRead) -> CutoutResult:
        """The cutout of ``planned`` resampled from ``pixels``, a read of its box or of a
        box holding it (other cutouts' too: :func:`service.cutout.boxes.make_many`)."""
        source, request, mapping, reach, box = (
            planned.source, planned.request, planned.mapping, planned.reach, planned.box
        )  # fmt: skip
        timings = dict(planned.timings)
        timings["fetch"], timings["decompress"] = pixels.fetch_s, pixels.decode_s
        clock = time.perf_counter()
        px0, _, py0, _ = pixels.box
        x0, x1, y0, y1 = box
        data = pixels.data[y0 - py0 : y1 - py0, x0 - px0 : x1 - px0]
        shape = stored_shape(planned.solution.shape, source.pixels.rotation_delta)
        if request.trim:  # the overlap only: rows and columns holding plate pixels
            y0, y1, x0, x1 = reach.rows[0], reach.rows[1], reach.cols[0], reach.cols[1]
            mapping = mapping.within(y0, y1, x0, x1)
            grid = planned.grid.window(x0, x1, y0, y1)
            out = np.full(mapping.shape, np.nan, np.float32)
            resample(out, data, box, mapping, shape, request.interpolation)
        else:  # the grid as asked, NaN off the plate
            out = np.full(request.grid.shape, np.nan, np.float32)
            x0, x1, y0, y1 = planned.overlap.window
            resample(out[y0:y1, x0:x1], data, box, mapping, shape, request.interpolation)
            mapping = dataclasses.replace(mapping, origin=(x0, y0), full=request.grid.shape)
            grid = request.grid
        del data  # the decoded box: no longer needed
        timings["interpolation"] = time.perf_counter() - clock
        header = grid.wcs().to_header()
        describe(header, source, pixels.info, request.interpolation)
        return CutoutResult(
            out, header, source, planned.solution, pixels.stats, mapping, pixels.info, timings, box
        )

    def _check_source(self, box: tuple[int, int, int, int]) -> None:
        x0, x1, y0, y1 = box
        if (x1 - x0) * (y1 - y0) > self.limits.max_source_pixels:
            raise UsageFault(
                f"the cutout needs {(x1 - x0) * (y1 - y0)} source pixels, more "
                f"than the limit of {self.limits.max_source_pixels}"
            )

    def _native(
        self,
        source: CutoutSource,
        request: CutoutRequest,
        solution: Solution,
        overlap: Overlap,
        stats: FetchStats,
    ) -> CutoutResult | NoOverlap:
        """Original pixels (solution frame) in the bounding box of the overlap."""
        grid = request.grid.window(*overlap.window)
        t = np.linspace(-0.5, grid.nx - 0.5, 65)
        u = np.linspace(-0.5, grid.ny - 0.5, 65)
        ex = np.concatenate([t, t, np.full_like(u, -0.5), np.full_like(u, grid.nx - 0.5)])
        ey = np.concatenate([np.full_like(t, -0.5), np.full_like(t, grid.ny - 0.5), u, u])
        ra, dec = grid.wcs().all_pix2world(ex, ey, 0)
        sx, sy = solution.world_to_pixel(ra, dec)
        # the window's edge on the plate, and the plate's edge inside the window
        sx = np.concatenate([sx, overlap.edge_x])
        sy = np.concatenate([sy, overlap.edge_y])
        ok = np.isfinite(sx) & np.isfinite(sy)
        ny, nx = solution.shape
        if not ok.any():
            return NoOverlap(source.exposure.obs_id)
        x0 = max(0, math.floor(float(sx[ok].min()) + 0.5))
        x1 = min(nx, math.ceil(float(sx[ok].max()) + 0.5))
        y0 = max(0, math.floor(float(sy[ok].min()) + 0.5))
        y1 = min(ny, math.ceil(float(sy[ok].max()) + 0.5))
        if x0 >= x1 or y0 >= y1:
            return NoOverlap(source.exposure.obs_id)
        rotation = source.pixels.rotation_delta
        # the solution-frame box, seen in the stored frame
        cx, cy = solution_to_stored(
            np.array([x0, x1 - 1]), np.array([y0, y1 - 1]), solution.shape, rotation
        )
        box = (int(cx.min()), int(cx.max()) + 1, int(cy.min()), int(cy.max()) + 1)
        self._check_source(box)
        version = version_of(source)
        pixels = self.reader.read_box(source.exposure.object_key, box, version, stats)
        data = np.rot90(pixels.data, -(rotation // 90))
        header = solution.shifted_header(x0, y0)
        describe(header, source, pixels.info, "none (native)")
        return CutoutResult(
            np.ascontiguousarray(data),
            header,
            source,
            solution,
            stats,
            None,
            pixels.info,
            {},
            box,
            (x0, y0),
        )
