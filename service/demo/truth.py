"""Ground truth of a demo archive: where each sky object lands on each exposure."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from service.demo.optics import TrueSolution
from service.demo.plan import PlatePlan, plan_archive
from service.demo.render import exposure_objects
from service.wcs.rotation import solution_to_stored


@dataclasses.dataclass(frozen=True)
class TruePositions:
    """Objects of one exposure and their true pixel positions (0-based, stored frame)."""

    ident: np.ndarray
    ra: np.ndarray
    dec: np.ndarray
    mag: np.ndarray
    kind: np.ndarray
    x: np.ndarray
    y: np.ndarray


def load_plan(root: Path, plate_id: str) -> PlatePlan:
    """Rebuild the plan of a demo plate from the archive's description.

    Raises
    ------
    KeyError
        If the plate is not in this demo archive.
    """
    desc = json.loads((Path(root) / "archive.json").read_text())
    truth = json.loads((Path(root) / "truth" / f"{plate_id}.json").read_text())
    plans = plan_archive(desc["plates"], desc["seed"], desc["size"], desc["series"])
    plan = plans[truth["plan_index"]]
    if plan.plate_id != plate_id:
        raise KeyError(f"{plate_id} is not plate {truth['plan_index']} of this archive")
    for exposure, stored in zip(plan.exposures, truth["exposures"], strict=True):
        solution = TrueSolution(**{k: _tuples(v) for k, v in stored.items()})
        if solution != exposure.solution:
            raise ValueError(f"{plate_id}: the archive was made by another generator version")
    return plan


def _tuples(value: object) -> object:
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


def true_positions(root: Path, plate_id: str, exposure: int) -> TruePositions:
    """Where each object imprinted by one exposure lies in the stored mosaic.

    Parameters
    ----------
    root
        Demo archive directory.
    plate_id
        Plate identifier.
    exposure
        Exposure number (equal to its solution number in the demo).

    Returns
    -------
    TruePositions
    """
    plan = load_plan(root, plate_id)
    objs, x, y, mag = exposure_objects(plan, plan.exposures[exposure])
    sx, sy = solution_to_stored(x, y, plan.shape, plan.rotation_delta)
    return TruePositions(objs.ident, objs.ra, objs.dec, mag, objs.kind, sx, sy)
