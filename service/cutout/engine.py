"""Making a cutout: plate, solution, grid, mapping, ranged read, resampling, FITS."""

from __future__ import annotations

import dataclasses
import io
import math
import time

import numpy as np
from astropy.io import fits
from scipy.ndimage import map_coordinates

from service import __version__
from service.archive.access import ArchiveReader
from service.archive.layout import ExposureMeta, MosaicMeta, PlateMeta
from service.cutout.grid import PROJECTIONS, TargetGrid
from service.cutout.mapping import Mapping, map_pixels
from service.faults import NotFoundFault, UsageFault
from service.rangeread.reader import MosaicReader, open_reader
from service.settings import Settings
from service.storage import open_store
from service.storage.base import FetchStats, ObjectStore
from service.wcs.rotation import solution_to_stored
from service.wcs.solutions import Solution, select

INTERPOLATIONS = {"nearest": 0, "bilinear": 1, "bicubic": 3}
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
    """One cutout: which plate and solution, onto which grid, how."""

    plate_id: str
    solnum: int
    grid: TargetGrid
    interpolation: str = "bilinear"
    native: bool = False
    mosnum: int = 0


@dataclasses.dataclass(frozen=True)
class NoOverlap:
    """The requested region does not touch the plate (a distinct outcome, not an error)."""

    plate_id: str
    solnum: int


@dataclasses.dataclass(frozen=True)
class CutoutResult:
    """A finished cutout."""

    data: np.ndarray
    header: fits.Header
    plate: PlateMeta
    solution: Solution
    stats: FetchStats
    mapping: Mapping | None
    timings: dict[str, float] = dataclasses.field(default_factory=dict)

    def to_fits(self) -> bytes:
        """The cutout as FITS bytes (one primary HDU)."""
        buffer = io.BytesIO()
        fits.PrimaryHDU(self.data, self.header).writeto(buffer, output_verify="exception")
        return buffer.getvalue()


def _exposure(plate: PlateMeta, mosnum: int, solnum: int) -> ExposureMeta:
    for exposure in plate.exposures:
        if exposure.mosnum == mosnum and exposure.solnum == solnum:
            return exposure
    raise NotFoundFault(f"plate {plate.plate_id} has no exposure with solution {solnum}")


class CutoutEngine:
    """Makes cutouts from an archive.

    Parameters
    ----------
    archive
        Sidecars and header files.
    reader
        Ranged reads of mosaics (same store as ``archive``).
    limits
        Size limits and mapping accuracy.
    """

    def __init__(self, archive: ArchiveReader, reader: MosaicReader, limits: CutoutLimits) -> None:
        self.archive = archive
        self.reader = reader
        self.limits = limits

    def check_request(self, request: CutoutRequest) -> None:
        """Refuse requests beyond the limits or with unknown options (no I/O).

        Raises
        ------
        UsageFault
        """
        grid = request.grid
        if request.interpolation not in INTERPOLATIONS:
            raise UsageFault(
                f"interpolation {request.interpolation!r} is not one of {', '.join(INTERPOLATIONS)}"
            )
        if grid.projection not in PROJECTIONS:
            raise UsageFault(
                f"projection {grid.projection!r} is not one of {', '.join(PROJECTIONS)}"
            )
        if grid.nx < 1 or grid.ny < 1 or not grid.scale_arcsec > 0:
            raise UsageFault("cutout size and pixel scale must be positive")
        if not -90 <= grid.dec <= 90 or not math.isfinite(grid.ra):
            raise UsageFault(f"position ({grid.ra}, {grid.dec}) is not on the sky")
        if grid.nx * grid.ny > self.limits.max_output_pixels:
            raise UsageFault(
                f"cutout of {grid.nx} x {grid.ny} px exceeds the limit of "
                f"{self.limits.max_output_pixels} output pixels"
            )

    def make(
        self,
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
        self.check_request(request)
        stats = stats or FetchStats()
        clock = time.perf_counter()
        plate = self.archive.plate(request.plate_id, stats)
        try:
            mosaic = plate.mosaic(request.mosnum)
        except KeyError as exc:
            raise NotFoundFault(str(exc)) from exc
        solution = select(self.archive.solutions(plate, request.mosnum, stats), request.solnum)
        exposure = _exposure(plate, request.mosnum, request.solnum)
        if request.native:
            return self._native(request, plate, mosaic, solution, exposure, stats)
        grid_wcs = request.grid.wcs()

        def transform(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            ra, dec = grid_wcs.all_pix2world(x, y, 0)
            sx, sy = solution.world_to_pixel(ra, dec)
            return solution_to_stored(sx, sy, solution.shape, mosaic.rotation_delta)

        timings = {"catalog_wcs": time.perf_counter() - clock}
        clock = time.perf_counter()
        mapping = map_pixels(
            transform,
            request.grid.shape,
            self.limits.mapping_step,
            self.limits.mapping_tolerance_px,
        )
        timings["mapping"] = time.perf_counter() - clock
        height, width = mosaic.height, mosaic.width
        inside = (
            (mapping.x >= -0.5)
            & (mapping.x <= width - 0.5)
            & (mapping.y >= -0.5)
            & (mapping.y <= height - 0.5)
        )
        if not inside.any():
            return NoOverlap(plate.plate_id, request.solnum)
        margin = _MARGIN[request.interpolation]
        box = (
            max(0, int(np.floor(mapping.x[inside].min())) - margin),
            min(width, int(np.ceil(mapping.x[inside].max())) + margin + 1),
            max(0, int(np.floor(mapping.y[inside].min())) - margin),
            min(height, int(np.ceil(mapping.y[inside].max())) + margin + 1),
        )
        self._check_source(box)
        pixels = self.reader.read_box(mosaic.object_key, box, stats=stats)
        timings["fetch"], timings["decompress"] = pixels.fetch_s, pixels.decode_s
        clock = time.perf_counter()
        data = _resample(
            pixels.data,
            box,
            mapping,
            inside,
            (height, width),
            INTERPOLATIONS[request.interpolation],
        )
        timings["interpolation"] = time.perf_counter() - clock
        header = grid_wcs.to_header()
        _describe(
            header, plate, mosaic, solution, exposure, pixels.info.etag, request.interpolation
        )
        return CutoutResult(data, header, plate, solution, stats, mapping, timings)

    def _check_source(self, box: tuple[int, int, int, int]) -> None:
        x0, x1, y0, y1 = box
        if (x1 - x0) * (y1 - y0) > self.limits.max_source_pixels:
            raise UsageFault(
                f"the cutout needs {(x1 - x0) * (y1 - y0)} source pixels, more "
                f"than the limit of {self.limits.max_source_pixels}"
            )

    def _native(
        self,
        request: CutoutRequest,
        plate: PlateMeta,
        mosaic: MosaicMeta,
        solution: Solution,
        exposure: ExposureMeta,
        stats: FetchStats,
    ) -> CutoutResult | NoOverlap:
        """Original pixels (solution frame) in the bounding box of the region."""
        grid = request.grid
        t = np.linspace(-0.5, grid.nx - 0.5, 33)
        u = np.linspace(-0.5, grid.ny - 0.5, 33)
        ex = np.concatenate([t, t, np.full_like(u, -0.5), np.full_like(u, grid.nx - 0.5)])
        ey = np.concatenate([np.full_like(t, -0.5), np.full_like(t, grid.ny - 0.5), u, u])
        ra, dec = grid.wcs().all_pix2world(ex, ey, 0)
        sx, sy = solution.world_to_pixel(ra, dec)
        ny, nx = solution.shape
        x0, x1 = (
            max(0, int(np.floor(np.nanmin(sx) + 0.5))),
            min(nx, int(np.ceil(np.nanmax(sx) + 0.5))),
        )
        y0, y1 = (
            max(0, int(np.floor(np.nanmin(sy) + 0.5))),
            min(ny, int(np.ceil(np.nanmax(sy) + 0.5))),
        )
        if x0 >= x1 or y0 >= y1:
            return NoOverlap(plate.plate_id, request.solnum)
        # the solution-frame box, seen in the stored frame
        cx, cy = solution_to_stored(
            np.array([x0, x1 - 1]), np.array([y0, y1 - 1]), solution.shape, mosaic.rotation_delta
        )
        box = (int(cx.min()), int(cx.max()) + 1, int(cy.min()), int(cy.max()) + 1)
        self._check_source(box)
        pixels = self.reader.read_box(mosaic.object_key, box, stats=stats)
        data = np.rot90(pixels.data, -(mosaic.rotation_delta // 90))
        header = solution.shifted_header(x0, y0)
        _describe(header, plate, mosaic, solution, exposure, pixels.info.etag, "none (native)")
        return CutoutResult(np.ascontiguousarray(data), header, plate, solution, stats, None)


def _resample(
    data: np.ndarray,
    box: tuple[int, int, int, int],
    mapping: Mapping,
    inside: np.ndarray,
    shape: tuple[int, int],
    order: int,
) -> np.ndarray:
    """Interpolate like reproject: edge half-pixels clamp to the edge pixel, beyond is NaN."""
    height, width = shape
    x = np.where((mapping.x < 0) & (mapping.x >= -0.5), 0.0, mapping.x)
    x = np.where((x >= width - 1) & (x < width - 0.5), width - 1.0, x)
    y = np.where((mapping.y < 0) & (mapping.y >= -0.5), 0.0, mapping.y)
    y = np.where((y >= height - 1) & (y < height - 0.5), height - 1.0, y)
    x0, _, y0, _ = box
    coords = np.array([np.where(inside, y - y0, 0), np.where(inside, x - x0, 0)])
    values = map_coordinates(data.astype(np.float64), coords, order=order, mode="nearest")
    out = np.where(inside, values, np.nan).astype(np.float32)
    return out


def _describe(
    header: fits.Header,
    plate: PlateMeta,
    mosaic: MosaicMeta,
    solution: Solution,
    exposure: ExposureMeta,
    etag: str,
    interpolation: str,
) -> None:
    header["PLATE_ID"] = (plate.plate_id, "plate identifier")
    header["SERIES"] = (plate.series, "plate series")
    header["MOSNUM"] = (mosaic.mosnum, "mosaic number")
    header["SOLNUM"] = (solution.solnum, "WCS solution used (0-based)")
    header["SOLKEY"] = (solution.key or " ", "alternate WCS key of the solution")
    header["EXPNUM"] = (exposure.exposure, "exposure number (0-based)")
    header["TELESCOP"] = plate.telescope[:68]
    header["DATE-OBS"] = (exposure.date_obs, "start of exposure (UTC)")
    header["MJD-OBS"] = (exposure.mjd_start, "[d] start of exposure")
    header["MJD-END"] = (exposure.mjd_end, "[d] end of exposure")
    header["EXPTIME"] = (exposure.exptime_s, "[s] exposure time")
    header["SRCOBJ"] = (mosaic.object_key[-68:], "source mosaic object")
    header["SRCETAG"] = (etag[:68], "ETag of the source mosaic")
    header["INTERP"] = (interpolation, "resampling")
    header["ORIGIN"] = ("Platecut", "software")
    header["PCUTVER"] = (__version__, "Platecut version")


def open_engine(settings: Settings, store: ObjectStore | None = None) -> CutoutEngine:
    """A cutout engine over the configured archive, store, replica and limits."""
    store = store or open_store(settings)
    c = settings.cutout
    limits = CutoutLimits(
        c.max_output_pixels, c.max_source_pixels, c.mapping_step, c.mapping_tolerance_px
    )
    return CutoutEngine(
        ArchiveReader(store, settings.cache.stat_ttl_s), open_reader(settings, store), limits
    )
