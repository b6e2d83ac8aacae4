"""Jobs from typed requests: the frames of SODA async cutouts (one per ID x region,
SODA 1.0 section 4.4) and of stacks (every exposure solution the query finds, one grid
for all, in date order).

The catalog is read here, once per job, when it is created: the search of a stack and
one lookup of every frame's pixel source. What it gave is the job's :class:`Plan`,
kept beside its results, so that a stack larger than ``stacks.max_frames`` is refused
before any work starts, the frames never change under a running job, and neither the
frames, nor the index, nor the products read the catalog again.
"""

from __future__ import annotations

import dataclasses
import datetime
import gzip
import json

from service.catalog.base import Catalog
from service.catalog.records import CutoutSource, ExposureRecord
from service.faults import NotFoundFault, UsageFault
from service.jobs.model import CUTOUTS, PENDING, STACK, Frame, Job, new_job_id, now
from service.jobs.requests import CutoutsRequest, JobRequest, StackRequest, Submission
from service.jobs.results import ResultStore
from service.settings import StackSettings

PLAN_FILE = "plan.json.gz"


@dataclasses.dataclass(frozen=True)
class Plan:
    """The sources of a job's frames, by obs_id, as the catalog gave them when the job
    was planned (an identifier the catalog did not know has none)."""

    sources: dict[str, CutoutSource]

    def record(self, obs_id: str) -> ExposureRecord | None:
        """The exposure record a frame was planned with, or None."""
        source = self.sources.get(obs_id)
        return None if source is None else source.exposure

    def save(self, results: ResultStore, job_id: str) -> None:
        """Keep the plan with the job's results (written once)."""
        body = {obs_id: source.to_dict() for obs_id, source in self.sources.items()}
        data = gzip.compress(json.dumps(body, separators=(",", ":")).encode(), 5)
        results.put(job_id, PLAN_FILE, data, "application/gzip")

    @classmethod
    def load(cls, results: ResultStore, job_id: str) -> Plan:
        """The plan :meth:`save` kept.

        Raises
        ------
        NotFoundFault
            If the job has no plan (destroyed).
        """
        body = json.loads(gzip.decompress(results.get(job_id, PLAN_FILE)))
        return cls({obs_id: CutoutSource.from_dict(s) for obs_id, s in body.items()})


def _job(
    kind: str,
    submission: Submission,
    specs: list,
    frames: list[Frame],
    response_format: str,
    limits: StackSettings,
    position: tuple[float, float] | None = None,
    more: bool = False,
) -> Job:
    if len(frames) > limits.max_frames:
        count = f"{'at least ' if more else ''}{len(frames)}"
        raise UsageFault(
            f"the job has {count} cutouts, more than the limit of {limits.max_frames} "
            "(stacks.max_frames): narrow it (TIME, COLLECTION, ...)"
        )
    created = now()
    return Job(
        job_id=new_job_id(),
        kind=kind,
        phase=PENDING,
        created=created,
        destruction=created + datetime.timedelta(seconds=limits.default_destruction_s),
        execution_duration=limits.max_execution_s,
        parameters=list(submission.parameters),
        specs=specs,
        frames=frames,
        response_format=response_format,
        run_id=submission.run_id[:64],
        position=position,
    )


def plan_cutouts(
    request: CutoutsRequest, catalog: Catalog, limits: StackSettings
) -> tuple[Job, Plan]:
    """One frame per ID x specification, their sources read in one lookup.

    Raises
    ------
    UsageFault
        Past ``stacks.max_frames``.
    """
    if not request.obs_ids:
        raise UsageFault("Field ID: missing (or use a position alone for a stack)")
    frames = [Frame(obs_id, i) for obs_id in request.obs_ids for i in range(len(request.specs))]
    if len(frames) > limits.max_frames:  # before reading the catalog
        _job(CUTOUTS, request.submission, [], frames, request.response_format, limits)
    plan = Plan(catalog.sources(request.obs_ids))
    job = _job(
        CUTOUTS, request.submission, list(request.specs), frames, request.response_format, limits
    )
    return job, plan


def plan_stack(request: StackRequest, catalog: Catalog, limits: StackSettings) -> tuple[Job, Plan]:
    """Every exposure solution the request's query finds, in date order, on one grid.

    Raises
    ------
    UsageFault
        Past ``stacks.max_frames``.
    """
    query = dataclasses.replace(request.query, maxrec=limits.max_frames + 1)
    found = catalog.search(query)
    rows = found.rows
    frames = [Frame(r.obs_id, 0) for r in rows]
    job = _job(STACK, request.submission, [request.spec], frames, request.format.mime, limits,
               request.position, more=found.overflow)  # fmt: skip
    sources = catalog.sources([r.obs_id for r in rows]) if rows else {}
    missing = [r.obs_id for r in rows if r.obs_id not in sources]
    if missing:  # re-ingested between the two reads
        raise NotFoundFault(f"{missing[0]} left the catalog while the stack was planned")
    return job, Plan(sources)


def plan(request: JobRequest, catalog: Catalog, limits: StackSettings) -> tuple[Job, Plan]:
    """The job a typed request asks for, and its plan."""
    if isinstance(request, StackRequest):
        return plan_stack(request, catalog, limits)
    return plan_cutouts(request, catalog, limits)
