"""A UWS job: its phase and times, the frames it computes, and what became of each.

A job is a list of frames (an exposure solution and the cutout asked of it): SODA async
with IDs and regions makes one frame per ID x region; a stack makes one per exposure
covering a position, all on one grid, in date order. What each frame became (its
:class:`Outcome`) is recorded as it finishes, so that a job can be resumed and its
progress shown. The sources of the frames' pixels, read from the catalog once when
the job is planned, are kept beside the job (:class:`service.jobs.plan.Plan`).

Depends on the cutout specification and :mod:`service.times` only.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import secrets
from typing import Any

from service.cutout.service import CutoutSpec
from service.times import instant, iso

PENDING, QUEUED, EXECUTING = "PENDING", "QUEUED", "EXECUTING"
COMPLETED, ERROR, ABORTED = "COMPLETED", "ERROR", "ABORTED"
PHASES = (PENDING, QUEUED, EXECUTING, COMPLETED, ERROR, ABORTED, "UNKNOWN", "HELD",
          "SUSPENDED", "ARCHIVED")  # fmt: skip
ACTIVE = (QUEUED, EXECUTING)
FINAL = (COMPLETED, ERROR, ABORTED)
CUTOUTS, STACK = "cutouts", "stack"


def now() -> datetime.datetime:
    """The current time, UTC, to the second."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


@dataclasses.dataclass(frozen=True)
class Frame:
    """One cutout of a job: which exposure solution, with which specification (index
    into the job's specifications)."""

    obs_id: str
    spec: int


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What became of a frame: ``ok`` (with its result files), ``no-overlap`` or
    ``error`` (with the message)."""

    status: str
    message: str = ""
    nan_fraction: float = 1.0
    results: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Outcome:
        """The outcome ``dataclasses.asdict`` gave."""
        return cls(**{**body, "results": tuple(body["results"])})


@dataclasses.dataclass
class Job:
    """A UWS job.

    Attributes
    ----------
    parameters
        The parameters as the client gave them (UWS /parameters).
    specs
        The cutout specifications the frames refer to.
    frames
        What to compute, in order.
    outcomes
        Frame index -> what became of it.
    heartbeat
        When the worker running the job last reported (epoch seconds).
    position
        A stack's position (RA, Dec).
    """

    job_id: str
    kind: str
    phase: str
    created: datetime.datetime
    destruction: datetime.datetime
    execution_duration: int
    parameters: list[tuple[str, str]]
    specs: list[CutoutSpec]
    frames: list[Frame]
    response_format: str
    run_id: str = ""
    started: datetime.datetime | None = None
    ended: datetime.datetime | None = None
    error: str = ""
    error_type: str = "fatal"
    outcomes: dict[int, Outcome] = dataclasses.field(default_factory=dict)
    heartbeat: float = 0.0
    position: tuple[float, float] | None = None

    @property
    def done(self) -> int:
        """Frames finished (whatever their outcome)."""
        return len(self.outcomes)

    @property
    def total(self) -> int:
        """Frames of the job."""
        return len(self.frames)

    def to_json(self) -> str:
        """The job as stored (its one serialisation)."""
        body = {field.name: getattr(self, field.name) for field in dataclasses.fields(self)}
        for name in ("created", "destruction", "started", "ended"):
            body[name] = iso(getattr(self, name))
        body["specs"] = [spec.to_dict() for spec in self.specs]
        body["frames"] = [vars(frame) for frame in self.frames]  # flat: no deep copy
        body["outcomes"] = {str(i): vars(o) for i, o in self.outcomes.items()}
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Job:
        """The job :meth:`to_json` gave."""
        body = json.loads(text)
        for name in ("created", "destruction", "started", "ended"):
            body[name] = instant(body[name]) if body[name] else None
        body["parameters"] = [tuple(p) for p in body["parameters"]]
        body["specs"] = [CutoutSpec.from_dict(s) for s in body["specs"]]
        body["frames"] = [Frame(**f) for f in body["frames"]]
        body["outcomes"] = {int(i): Outcome.from_dict(o) for i, o in body["outcomes"].items()}
        body["position"] = tuple(body["position"]) if body["position"] else None
        return cls(**body)


def new_job_id() -> str:
    """An unguessable job identifier (also its URL)."""
    return secrets.token_hex(10)
