"""The discovery service: which exposure solutions a query finds, at most MAXREC of
them, and whether more were found (SIA 2.0, SIA 1.0, the web page). Handlers parse,
call it once, and render.

Depends on the catalog interface and the cutout service (SIA 1.0's grids are
checked against the cutout limits before any search).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from service.catalog.base import Catalog
from service.catalog.query import ExposureQuery
from service.catalog.records import ExposureRecord
from service.cutout.engine import CutoutRequest
from service.cutout.grid import TargetGrid
from service.cutout.service import CutoutService

Keep = Callable[[list[ExposureRecord]], list[ExposureRecord]]


@dataclasses.dataclass(frozen=True)
class Found:
    """Rows in order of observation date, and whether MAXREC cut the list."""

    rows: list[ExposureRecord]
    overflow: bool


class DiscoveryService:
    """Searches of the exposure catalog.

    Parameters
    ----------
    catalog
        What is searched.
    cutouts
        Checks the grids of image queries against the cutout limits.
    """

    def __init__(self, catalog: Catalog, cutouts: CutoutService) -> None:
        self.catalog = catalog
        self.cutouts = cutouts

    def search(self, query: ExposureQuery, maxrec: int, keep: Keep | None = None) -> Found:
        """At most ``maxrec`` rows of the query (MAXREC=0: none, and always OVERFLOW,
        DALI); ``keep`` filters the rows before they are counted.
        """
        if maxrec <= 0:
            return Found([], True)
        if keep is None:
            result = self.catalog.search(dataclasses.replace(query, maxrec=maxrec))
            return Found(result.rows, result.overflow)
        rows = keep(self.catalog.search(dataclasses.replace(query, maxrec=None)).rows)
        return Found(rows[:maxrec], len(rows) > maxrec)

    def images(
        self, query: ExposureQuery, grid: TargetGrid, maxrec: int, keep: Keep | None = None
    ) -> Found:
        """The rows whose cutout on ``grid`` an image query offers; the grid is refused
        beyond the cutout limits before any search.

        Raises
        ------
        UsageFault
        """
        self.cutouts.check(CutoutRequest(grid))
        return self.search(query, maxrec, keep)
