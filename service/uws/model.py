"""A UWS job: its phase and times, the frames it computes, and what became of each.

A job is a list of frames (an exposure solution and the cutout asked of it): SODA async
with IDs and regions makes one frame per ID x region; a stack makes one per exposure
covering a position, all on one grid, in date order. What each frame became (its
:class:`Outcome`) is recorded as it finishes, so that a job can be resumed and its
progress shown.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import secrets
from typing import Any

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


def iso(moment: datetime.datetime | None) -> str:
    """UWS's xs:dateTime form (UTC, 'Z')."""
    return "" if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str | None) -> datetime.datetime | None:
    if not text:
        return None
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclasses.dataclass
class Frame:
    """One cutout of a job: which exposure solution, with which specification (index
    into the job's specifications)."""

    obs_id: str
    spec: int


@dataclasses.dataclass
class Outcome:
    """What became of a frame: ``ok`` (with its result files), ``no-overlap`` or
    ``error`` (with the message)."""

    status: str
    message: str = ""
    nan_fraction: float = 1.0
    results: tuple[str, ...] = ()

    def to_list(self) -> list[Any]:
        return [self.status, self.message, self.nan_fraction, list(self.results)]

    @classmethod
    def from_list(cls, values: list[Any]) -> Outcome:
        status, message, nan_fraction, results = values
        return cls(status, message, nan_fraction, tuple(results))


@dataclasses.dataclass
class Job:
    """A UWS job.

    Attributes
    ----------
    parameters
        The parameters as the client gave them (UWS /parameters).
    specs
        The cutout specifications, as JSON-ready dicts (``service.cutouts.CutoutSpec``).
    frames
        What to compute, in order.
    outcomes
        Frame index -> what became of it.
    heartbeat
        When the worker running the job last reported (epoch seconds).
    """

    job_id: str
    kind: str
    phase: str
    created: datetime.datetime
    destruction: datetime.datetime
    execution_duration: int
    parameters: list[tuple[str, str]]
    specs: list[dict[str, Any]]
    frames: list[Frame]
    response_format: str
    run_id: str = ""
    started: datetime.datetime | None = None
    ended: datetime.datetime | None = None
    error: str = ""
    error_type: str = "fatal"
    outcomes: dict[int, Outcome] = dataclasses.field(default_factory=dict)
    heartbeat: float = 0.0
    position: tuple[float, float] | None = None  # a stack's position

    @property
    def done(self) -> int:
        """Frames finished (whatever their outcome)."""
        return len(self.outcomes)

    @property
    def total(self) -> int:
        return len(self.frames)

    def to_json(self) -> str:
        body = dataclasses.asdict(self)
        body["created"], body["destruction"] = iso(self.created), iso(self.destruction)
        body["started"], body["ended"] = iso(self.started), iso(self.ended)
        body["frames"] = [[f.obs_id, f.spec] for f in self.frames]
        body["outcomes"] = {str(i): o.to_list() for i, o in self.outcomes.items()}
        return json.dumps(body, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Job:
        body = json.loads(text)
        for name in ("created", "destruction", "started", "ended"):
            body[name] = parse_time(body[name])
        body["parameters"] = [tuple(p) for p in body["parameters"]]
        body["frames"] = [Frame(o, s) for o, s in body["frames"]]
        body["outcomes"] = {int(i): Outcome.from_list(v) for i, v in body["outcomes"].items()}
        body["position"] = tuple(body["position"]) if body["position"] else None
        return cls(**body)


def new_job_id() -> str:
    """An unguessable job identifier (also its URL)."""
    return secrets.token_hex(10)
