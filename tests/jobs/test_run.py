"""Frames batched by mosaic before they go to the workers."""

from __future__ import annotations

import dataclasses

from service.catalog.sqlite import SqliteCatalog
from service.cutout.service import CutoutSpec
from service.jobs.model import STACK
from service.jobs.run import BATCH, SPREAD, FrameTask, by_mosaic, pack


def test_frames_of_one_mosaic_are_one_batch_in_frame_order(vo_settings):
    catalog = SqliteCatalog(vo_settings.catalog.sqlite_file())
    ids = ["a03393m0s0", None, "a03393m0s1", None]
    plates = [p.plate_id for p in catalog.plates(limit=3) if p.plate_id != "a03393"]
    ids[1], ids[3] = f"{plates[0]}m0s0", "nowhere"
    tasks = [
        FrameTask(
            "j",
            STACK,
            i,
            obs_id,
            catalog.source(obs_id) if i != 3 else None,
            CutoutSpec(None, 1.44, 8, 8),
            "application/fits",
        )  # fmt: skip
        for i, obs_id in enumerate(ids)
    ]
    catalog.close()
    assert tasks[0].source.exposure.object_key == tasks[2].source.exposure.object_key
    batches = by_mosaic(tasks)
    assert [[t.index for t in b] for b in batches] == [[0, 2], [1], [3]]
    many = [dataclasses.replace(tasks[0], index=i) for i in range(2 * BATCH + 1)]
    assert [len(b) for b in by_mosaic(many)] == [BATCH, BATCH, 1]


def test_a_large_job_is_packed_into_fuller_tasks_a_small_one_is_spread(vo_settings):
    catalog = SqliteCatalog(vo_settings.catalog.sqlite_file())
    plates = [p.plate_id for p in catalog.plates(limit=40)]
    sources = {p: catalog.source(f"{p}m0s0") for p in plates}
    catalog.close()
    spec = CutoutSpec(None, 1.44, 8, 8)
    ids = [plates[0]] * 3 + plates[1:]  # three frames of the first plate, one of the others
    tasks = [
        FrameTask("j", STACK, i, f"{p}m0s0", sources[p], spec, "application/fits")
        for i, p in enumerate(ids)
    ]
    batches = by_mosaic(tasks)
    assert [len(b) for b in batches] == [3] + [1] * (len(plates) - 1)
    packed = pack(batches, slots=1)  # one thread: tasks of up to BATCH frames
    size = min(BATCH, len(tasks) // SPREAD)
    assert size > 1 and max(len(t) for t in packed) == size
    assert SPREAD <= len(packed) < len(batches)
    assert [t.index for task in packed for t in task] == [t.index for t in tasks]
    task_of = {t.index: n for n, task in enumerate(packed) for t in task}
    assert all(len({task_of[t.index] for t in b}) == 1 for b in batches)  # batches whole
    assert pack(batches, slots=len(tasks)) == batches  # a thread a frame: nothing joined


def test_the_last_round_of_a_packed_job_stays_in_batches(vo_settings):
    """No thread is left cutting a full task once the others have run out of frames."""
    catalog = SqliteCatalog(vo_settings.catalog.sqlite_file())
    plate = catalog.plates(limit=1)[0].plate_id
    source = catalog.source(f"{plate}m0s0")
    catalog.close()
    spec = CutoutSpec(None, 1.44, 8, 8)

    def frame(i: int) -> FrameTask:  # of a plate of its own
        exposure = dataclasses.replace(source.exposure, object_key=f"mosaics/p{i}.fits.fz")
        plate = dataclasses.replace(source, exposure=exposure)
        return FrameTask("j", STACK, i, f"p{i}m0s0", plate, spec, "application/fits")

    tasks = [frame(i) for i in range(64)]
    batches = by_mosaic(tasks)
    assert len(batches) == 64
    for slots in (1, 2, 4):
        packed = pack(batches, slots)
        size = max(len(t) for t in packed)
        assert size == min(BATCH, 64 // (SPREAD * slots)) > 1
        tail = slots * size
        assert [len(t) for t in packed[-tail:]] == [1] * tail  # one plate, one task
        assert all(len(t) == size for t in packed[: -tail - 1])
        assert [t.index for task in packed for t in task] == [t.index for t in tasks]
