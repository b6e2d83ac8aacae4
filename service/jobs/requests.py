"""What a client asks of a job, parsed at the edge (:func:`service.vo.soda.parse_job`,
the command line) into typed values: cutouts of named exposures, or a stack of every
exposure covering a position. The job service takes these and never a request's raw
parameters.

Depends on the cutout specification, the catalog's query and the stack formats.
"""

from __future__ import annotations

import dataclasses

from service.catalog.query import ExposureQuery
from service.cutout.service import CutoutSpec
from service.jobs.formats import StackFormat


@dataclasses.dataclass(frozen=True)
class Submission:
    """How a job was asked for: the parameters as given (UWS /parameters), the client's
    RUNID, and whether it is to run at once (PHASE=RUN on creation)."""

    parameters: tuple[tuple[str, str], ...] = ()
    run_id: str = ""
    run: bool = False


@dataclasses.dataclass(frozen=True)
class CutoutsRequest:
    """SODA async with IDs: one frame per identifier x specification (region), each
    rendered as SODA sync would render it."""

    obs_ids: tuple[str, ...]
    specs: tuple[CutoutSpec, ...]
    response_format: str
    submission: Submission = Submission()


@dataclasses.dataclass(frozen=True)
class StackRequest:
    """A stack: every exposure solution the query finds (its region is the position
    itself), each cut on the same grid, in date order.

    Attributes
    ----------
    position
        RA, Dec of the stack (deg).
    spec
        The grid and rendering of every frame (its size written out: never trimmed).
    query
        The catalog constraints: the position, and the SIA 2.0 filters given.
    format
        The product the client asked for.
    """

    position: tuple[float, float]
    spec: CutoutSpec
    query: ExposureQuery
    format: StackFormat
    submission: Submission = Submission()


JobRequest = CutoutsRequest | StackRequest
