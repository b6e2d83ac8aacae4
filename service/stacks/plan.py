"""Jobs from requests: the frames of SODA async cutouts (one per ID x region, SODA 1.0
section 4.4) and of stacks (every exposure solution covering a position, with the SIA
2.0 filters, one grid for all, in date order).

The stack is planned when the job is created: the catalog search happens then, so a
stack larger than ``stacks.max_frames`` is refused before any work starts, and the
frames a job computes never change under it.
"""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

from service.catalog.base import Catalog
from service.catalog.geometry import Circle
from service.cutouts import CutoutSpec
from service.faults import UsageFault
from service.settings import Settings
from service.uws.model import CUTOUTS, PENDING, STACK, Frame, Job, new_job_id, now
from service.vo import sia2, soda
from service.vo.params import Params

STACK_FORMATS = {
    "application/fits": "stack.fits",  # one image extension per exposure, and the index
    "image/fits": "stack.fits",
    "application/x-fits-cube": "cube.fits",
    "application/zip": "frames.zip",
    "image/png": "sheet.png",
    "application/pdf": "sheet.pdf",
    "image/apng": "blink.png",
    "image/webp": "blink.webp",
    "application/json": "index.json",
}


def spec_to_dict(spec: CutoutSpec) -> dict[str, Any]:
    return dataclasses.asdict(spec)


def spec_from_dict(body: dict[str, Any]) -> CutoutSpec:
    from service.cutout.preview import PreviewOptions

    body = dict(body)
    body["preview"] = PreviewOptions(**body["preview"])
    body["circle"] = tuple(body["circle"]) if body["circle"] else None
    return CutoutSpec(**body)


def _job(
    kind: str,
    params: Params,
    specs: list[CutoutSpec],
    frames: list[Frame],
    response_format: str,
    settings: Settings,
    position: tuple[float, float] | None = None,
) -> Job:
    s = settings.stacks
    if len(frames) > s.max_frames:
        raise UsageFault(
            f"the job has {len(frames)} cutouts, more than the limit of {s.max_frames} "
            "(stacks.max_frames): narrow it (TIME, COLLECTION, ...)"
        )
    created = now()
    return Job(
        job_id=new_job_id(),
        kind=kind,
        phase=PENDING,
        created=created,
        destruction=created + datetime.timedelta(seconds=s.default_destruction_s),
        execution_duration=s.max_execution_s,
        parameters=[(n, v) for n, v in params.pairs() if n not in ("PHASE", "RUNID")],
        specs=[spec_to_dict(sp) for sp in specs],
        frames=frames,
        response_format=response_format,
        run_id=(params.all("RUNID") or [""])[0][:64],
        position=position,
    )


def cutouts_job(params: Params, settings: Settings) -> Job:
    """SODA async with IDs: one frame per ID x region (each rendered as SODA sync would).

    Raises
    ------
    UsageFault, NotFoundFault
    """
    parsed = soda.parse(params, settings, several=True)
    if parsed.spec.response_format not in soda.MEDIA:
        raise UsageFault(
            f"Field RESPONSEFORMAT: {parsed.spec.response_format} is a stack format (cutouts "
            f"with ID are one of {', '.join(soda.MEDIA)})"
        )
    frames = [Frame(obs_id, i) for obs_id in parsed.obs_ids for i in range(len(parsed.specs))]
    if not frames:
        raise UsageFault("Field ID: missing (or use a position alone for a stack)")
    return _job(CUTOUTS, params, list(parsed.specs), frames, parsed.spec.response_format, settings)


def stack_job(params: Params, settings: Settings, catalog: Catalog) -> Job:
    """A stack: every exposure solution covering the region's centre (with the SIA 2.0
    filters given), each cut on the same grid (the region's extent unless WIDTH/HEIGHT
    say otherwise), in date order.

    Raises
    ------
    UsageFault
        Without exactly one region, with a bad filter, or past ``stacks.max_frames``.
    """
    parsed = soda.parse(params, settings, several=True)
    fmt = parsed.spec.response_format
    if fmt not in STACK_FORMATS:
        raise UsageFault(
            f"Field RESPONSEFORMAT: {fmt} is no stack format (a stack is one of "
            f"{', '.join(STACK_FORMATS)})"
        )
    if len(parsed.specs) != 1 or parsed.spec.circle is None:
        raise UsageFault("Fields POS, CIRCLE, POLYGON: a stack needs exactly one region")
    ra, dec, _ = parsed.spec.circle
    spec = dataclasses.replace(parsed.spec.pinned(), response_format="application/fits")
    filters = Params([(n, v) for n, v in params.pairs() if n.upper() in soda.STACK_FILTERS])
    query = sia2.parse(filters, settings.stacks.max_frames + 1, settings.stacks.max_frames + 1)
    point = Circle(ra % 360.0, dec, 1e-7)  # exposures covering the position itself
    found = catalog.search(dataclasses.replace(query.catalog, regions=(point,), maxrec=None))
    rows = [r for r in found.rows if sia2.passes_timeres(r.exptime_s, query.timeres)]
    if not query.constant_match:
        rows = []
    frames = [Frame(r.obs_id, 0) for r in rows]
    return _job(STACK, params, [spec], frames, fmt, settings, (ra % 360.0, dec))
