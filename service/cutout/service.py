"""The cutout service: from an identifier and what the client asked to a FITS, PNG or
JPEG answer, in one straight line (catalog lookup -> engine -> rendering).

SODA, DataLink previews and the web page (through SODA links) come here; SIA 1.0
checks its grids here. Nothing below this module orchestrates: the catalog gives
the source of the pixels in one lookup, the engine reads only tiles, and a mosaic
the engine found replaced in the store is flagged in the catalog for every worker.

Depends on the catalog interface, the cutout engine and the preview renderer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
from collections.abc import Callable, Container, Iterator
from typing import Any

import numpy as np
from astropy.wcs import WCS

from service.catalog.base import Catalog
from service.catalog.records import CutoutSource, ExposureRecord
from service.cutout.boxes import make_many
from service.cutout.engine import (
    CutoutEngine,
    CutoutRequest,
    CutoutResult,
    NoOverlap,
    version_of,
)
from service.cutout.grid import TargetGrid
from service.cutout.preview import PreviewOptions, render
from service.etags import strong_tag
from service.faults import NotFoundFault
from service.storage.base import FetchStats

log = logging.getLogger(__name__)
FITS = "application/fits"
FITS_TYPES = (FITS, "image/fits")  # a client asking for image/fits gets that type (DALI)
Observer = Callable[[CutoutResult | NoOverlap], None]


@dataclasses.dataclass(frozen=True)
class CutoutSpec:
    """What a client asked of one exposure solution's cutout.

    Attributes
    ----------
    circle
        RA, Dec and radius (deg) bounding the requested region; None: the exposure
        centre and ``default_size`` pixels.
    width, height
        Grid size the client fixed (px); None: from the region.
    """

    circle: tuple[float, float, float] | None
    scale_arcsec: float
    width: int | None = None
    height: int | None = None
    rotation_deg: float = 0.0
    projection: str = "TAN"
    interpolation: str = "bilinear"
    native: bool = False
    response_format: str = FITS
    preview: PreviewOptions = PreviewOptions()

    def to_dict(self) -> dict[str, Any]:
        """The specification as JSON-ready values (its one serialisation)."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> CutoutSpec:
        """The specification :meth:`to_dict` gave."""
        values = dict(body)
        values["preview"] = PreviewOptions(**values["preview"])
        values["circle"] = tuple(values["circle"]) if values["circle"] else None
        return cls(**values)

    def pinned(self) -> CutoutSpec:
        """This specification with the size its region gives written out, so that its
        grid is the same on every plate (a fixed size is never trimmed). Needs a region."""
        assert self.circle is not None
        side = max(1, math.ceil(2 * self.circle[2] * 3600.0 / self.scale_arcsec))
        return dataclasses.replace(
            self, width=self.width or self.height or side, height=self.height or self.width or side
        )


@dataclasses.dataclass(frozen=True)
class Rendered:
    """A cutout as the client gets it, and its strong ETag (unquoted; empty: none)."""

    body: bytes
    mime: str
    filename: str
    tag: str = ""


@dataclasses.dataclass(frozen=True)
class NotModified:
    """The client already holds the answer: its ETag is still the answer's."""

    tag: str


class CutoutService:
    """Cutouts of the catalog's exposure solutions.

    Parameters
    ----------
    catalog
        Where identifiers are resolved.
    engine
        What makes the cutouts.
    default_size
        Grid side (px) when the client gives neither a region nor a size.
    observer
        Told of every cutout made (e.g. to count it).
    """

    def __init__(
        self,
        catalog: Catalog,
        engine: CutoutEngine,
        default_size: int,
        observer: Observer | None = None,
    ) -> None:
        self.catalog = catalog
        self.engine = engine
        self.default_size = default_size
        self.observer = observer

    def resolve(self, obs_id: str) -> CutoutSource:
        """The exposure solution and the source of its pixels.

        Raises
        ------
        NotFoundFault
            If the catalog has no such exposure solution (saying so, with its logbook
            centre, for an exposure it knows that has none).
        """
        source = self.catalog.source(obs_id)
        if source is not None:
            return source
        exposure = self.catalog.exposure(obs_id)
        if exposure is None:
            raise NotFoundFault(f"no exposure solution {obs_id!r} in the catalog")
        raise NotFoundFault(
            f"{obs_id} has no astrometric solution, so no cutout: only its logbook centre "
            f"is known (RA {exposure.ra:.4f}, Dec {exposure.dec:+.4f}, from "
            f"{exposure.wcs_source or 'the logbook'}); its DataLink document links its "
            "mosaic and preview"
        )

    def request_for(self, exposure: ExposureRecord | None, spec: CutoutSpec) -> CutoutRequest:
        """The engine's request: the region sets the centre and, unless the client
        fixed the size, the size (and then the cutout is trimmed to the plate); without
        a region, the ``exposure``'s centre and ``default_size``."""
        if spec.circle is None:
            assert exposure is not None
            ra, dec, side = exposure.ra, exposure.dec, self.default_size
            nx, ny = spec.width or spec.height or side, spec.height or spec.width or side
        else:
            ra, dec, _ = spec.circle
            fixed = spec.pinned()
            nx, ny = fixed.width, fixed.height
        grid = TargetGrid(
            ra % 360.0, dec, int(nx), int(ny), spec.scale_arcsec, spec.rotation_deg, spec.projection
        )
        trim = spec.circle is not None and spec.width is None and spec.height is None
        return CutoutRequest(grid, spec.interpolation, spec.native, trim)

    def check(self, request: CutoutRequest) -> None:
        """Refuse a request beyond the limits, before any search or read."""
        self.engine.check_request(request)

    def computing(self) -> contextlib.AbstractContextManager[None]:
        """Hold one of the process's compute slots for the block (its waits for the store
        lend it to another cutout); without a limit (``cutout.compute_slots`` 0), nothing."""
        return self.engine.reader.slots.computing()

    def cut(
        self, source: CutoutSource, request: CutoutRequest, stats: FetchStats | None = None
    ) -> CutoutResult | NoOverlap:
        """Make a cutout; a mosaic found replaced in the store is flagged in the catalog."""
        return self._made(source, self.engine.make(source, request, stats))

    def cut_many(
        self, items: list[tuple[CutoutSource, CutoutRequest]]
    ) -> Iterator[tuple[int, CutoutResult | NoOverlap | Exception]]:
        """Make several cutouts, those of one mosaic reading shared rows once
        (:func:`service.cutout.boxes.make_many`): the index of each item and its cutout,
        NoOverlap or the exception making it raised, as each is made."""
        for i, result in make_many(self.engine, items):
            if not isinstance(result, Exception):
                try:
                    result = self._made(items[i][0], result)
                except Exception as exc:  # noqa: BLE001 - each cutout's outcome is its own
                    result = exc
            yield i, result
            del result  # the caller holds it now, or is done with it

    def _made(
        self, source: CutoutSource, result: CutoutResult | NoOverlap
    ) -> CutoutResult | NoOverlap:
        if self.observer is not None:
            self.observer(result)
        if isinstance(result, CutoutResult) and result.replaced:
            log.warning(
                "%s: the store holds version %s, the catalog %s; flagged for re-ingest",
                source.exposure.object_key,
                result.replaced,
                source.pixels.object_etag,
            )
            self.catalog.flag_replaced(source, result.replaced)
        return result

    @staticmethod
    def tag(source: CutoutSource, request: CutoutRequest, spec: CutoutSpec, etag: str) -> str:
        """The ETag of a cutout: its solution, the mosaic version ``etag``, the grid and
        resampling, the format and display options (and the code, see service.etags)."""
        p = source.pixels
        return strong_tag(
            "cutout", source.exposure.obs_id, p.wcs_cards, p.solution_key, p.rotation_delta,
            etag, dataclasses.asdict(request), spec.response_format,
            dataclasses.asdict(spec.preview),
        )  # fmt: skip

    def _current(self, source: CutoutSource) -> tuple[CutoutSource, str]:
        """The source with the mosaic version in the store, and that version's ETag. A
        version other than the catalog's is confirmed with the store (this process may
        remember an older one), then flagged in the catalog as a read meeting it would
        flag it, so that the cutout is read from it even out of a replica holding the
        catalog's version."""
        key, reader = source.exposure.object_key, self.engine.reader
        recorded = version_of(source).info.etag
        current = reader.current(key).etag
        if current != recorded:
            current = reader.current(key, refresh=True).etag
        if current == recorded:
            return source, current
        log.warning("%s: the store holds version %s; flagged for re-ingest", key, current)
        self.catalog.flag_replaced(source, current)
        return self.resolve(source.exposure.obs_id), current

    def cutout(
        self, obs_id: str, spec: CutoutSpec, held: Container[str] = ()
    ) -> Rendered | NotModified | None:
        """The cutout the client asked for, rendered; None when the region misses the
        plate; NotModified when its ETag is one of ``held`` (the client's
        If-None-Match): then no pixel is read, only the mosaic's current version.

        Raises
        ------
        NotFoundFault, UsageFault, TransientFault, FatalFault
        """
        source = self.resolve(obs_id)
        request = self.request_for(source.exposure, spec)
        if held:
            source, current = self._current(source)
            if (tag := self.tag(source, request, spec, current)) in held:
                return NotModified(tag)
        result = self.cut(source, request)
        if isinstance(result, NoOverlap):
            return None
        rendered = self.render(result, spec.response_format, spec.preview)
        return dataclasses.replace(
            rendered, tag=self.tag(source, request, spec, result.version.etag)
        )

    def plate_preview(
        self, obs_id: str, preview: PreviewOptions, held: Container[str] = ()
    ) -> Rendered | NotModified:
        """The whole plate of an exposure as PNG, from the archive's binned copy of its
        mosaic (as stored: not resampled, no solution needed), read whole; NotModified
        when its ETag is one of ``held``.

        Raises
        ------
        NotFoundFault
            If the catalog has no such exposure, or its archive no binned mosaic.
        """
        exposure = self.catalog.exposure(obs_id)
        if exposure is None:
            raise NotFoundFault(f"no exposure {obs_id!r} in the catalog")
        if not exposure.preview_key:
            raise NotFoundFault(f"the archive has no binned mosaic of {obs_id}")
        options = dataclasses.replace(preview, annotate=False)

        def tag(etag: str) -> str:
            return strong_tag("preview", exposure.preview_key, etag, dataclasses.asdict(options))

        if held and (known := tag(self.engine.reader.current(exposure.preview_key).etag)) in held:
            return NotModified(known)
        pixels = self.engine.reader.read_image(exposure.preview_key)
        body = render(pixels.data.astype(np.float32), None, options, "image/png")
        return Rendered(body, "image/png", f"{exposure.plate_id}_plate.png", tag(pixels.info.etag))

    @staticmethod
    def render(result: CutoutResult, mime: str, preview: PreviewOptions) -> Rendered:
        """The cutout as FITS, PNG or JPEG."""
        g = result.header
        e = result.source.exposure
        name = f"{e.obs_id}_{g.get('CRVAL1', e.ra):.5f}{g.get('CRVAL2', e.dec):+.5f}"
        if mime in FITS_TYPES:
            return Rendered(result.to_fits(), mime, f"{name}.fits")
        if result.mapping is None:  # native: the solution's scale and orientation there
            ny, nx = result.data.shape
            x0, y0 = result.origin
            wcs = result.solution.local_wcs(x0 + (nx - 1) / 2, y0 + (ny - 1) / 2)
            wcs.wcs.crpix = wcs.wcs.crpix - [x0, y0]
        else:
            wcs = WCS(result.header)
        body = render(result.data, wcs, preview, mime)
        return Rendered(body, mime, f"{name}.{mime.split('/')[1]}")
