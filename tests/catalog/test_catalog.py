"""The same tests on SQLite and on DynamoDB (moto): search against brute force, filters."""

from __future__ import annotations

import math

import numpy as np
import pytest

from service.catalog.query import ExposureQuery
from service.sky import Circle, Polygon, Range, intersects
from tests.catalog.conftest import make_catalog, synthetic_footprint, synthetic_plates

PLATES = synthetic_plates(160, seed=3)
#: moto's DynamoDB takes ~50 ms a request: that backend gets the first 50 plates
DYNAMO_PLATES = 50


def size(catalog) -> int:
    return DYNAMO_PLATES if type(catalog).__name__ == "DynamoCatalog" else len(PLATES)


def fill(catalog):
    for plate, exposures in PLATES[: size(catalog)]:
        catalog.put_plate(plate, exposures)


def exposures_of(catalog):
    exposures = [e for _, found in PLATES[: size(catalog)] for e in found]
    return exposures, np.stack([e.footprint_vectors() for e in exposures])


def random_regions(n: int, seed: int):
    rng = np.random.default_rng(seed)
    regions = []
    for i in range(n):
        near_zero = rng.uniform(-3, 3) % 360
        ra = near_zero if i % 5 == 0 else float(rng.uniform(0, 360))
        dec = (
            float(rng.uniform(84, 90) * rng.choice([-1, 1]))
            if i % 7 == 0
            else float(math.degrees(math.asin(rng.uniform(-1, 1))))
        )
        kind = i % 3
        if kind == 0:
            regions.append(
                Circle(ra, dec, float(np.exp(rng.uniform(math.log(1 / 60), math.log(10)))))
            )
        elif kind == 1:
            fp = synthetic_footprint(rng, ra, min(dec, 89.0), float(rng.uniform(0.2, 15)))
            regions.append(Polygon(fp[::4]))
        else:
            width = float(rng.uniform(0.2, 20))
            low = max(-90.0, min(dec, 89.0) - rng.uniform(0.1, 8))
            regions.append(
                Range(
                    (ra - width / 2) % 360,
                    (ra + width / 2) % 360,
                    low,
                    min(90.0, low + rng.uniform(0.2, 10)),
                )
            )
    return regions


def brute_force(catalog, region) -> set[str]:
    exposures, polys = exposures_of(catalog)
    hits = intersects(polys, region)
    return {e.obs_id for e, hit in zip(exposures, hits, strict=True) if hit}


def test_search_equals_brute_force(catalog):
    fill(catalog)
    n = 150 if type(catalog).__name__ == "DynamoCatalog" else 400
    nonempty = 0
    for region in random_regions(n, seed=11):
        result = catalog.search(ExposureQuery(regions=(region,)))
        got = [r.obs_id for r in result.rows]
        assert set(got) == brute_force(catalog, region), region
        assert len(got) == len(set(got))
        nonempty += bool(got)
    assert nonempty > n / 4


def test_filters_order_and_maxrec(catalog):
    fill(catalog)
    region = Circle(0.0, 0.0, 90.0)
    everything = catalog.search(ExposureQuery(regions=(region,)))
    expected = brute_force(catalog, region)
    assert {r.obs_id for r in everything.rows} == expected and not everything.overflow
    keys = [(r.t_min, r.obs_id) for r in everything.rows]
    assert keys == sorted(keys)
    limited = catalog.search(ExposureQuery(regions=(region,), maxrec=5))
    assert limited.overflow and limited.rows == everything.rows[:5]
    exact = catalog.search(ExposureQuery(regions=(region,), maxrec=len(expected)))
    assert not exact.overflow
    times = ((20000.0, 30000.0), (40000.0, 41000.0))
    by_time = catalog.search(ExposureQuery(regions=(region,), times=times))
    assert {r.obs_id for r in by_time.rows} == {
        r.obs_id for r in everything.rows if any(a <= r.t_max and r.t_min <= b for a, b in times)
    }
    combined = catalog.search(
        ExposureQuery(
            regions=(region,),
            collections=("a", "b"),
            exptimes=((0, 1800),),
            fovs=((2, 10),),
            spatres=((0, 0.01),),
        )
    )
    assert {r.obs_id for r in combined.rows} == {
        r.obs_id
        for r in everything.rows
        if r.series in "ab"
        and r.exptime_s <= 1800
        and 2 <= r.fov_deg <= 10
        and r.pixel_scale_arcsec / 3600 <= 0.01
    }
    facility = catalog.search(ExposureQuery(facilities=("telescope c",)))
    assert {r.series for r in facility.rows} == {"c"}
    assert len(facility.rows) == sum(e.series == "c" for e in exposures_of(catalog)[0])


def test_identifiers_and_records_round_trip(catalog):
    fill(catalog)
    plate, exposures = PLATES[4]
    assert catalog.plate(plate.plate_id) == plate
    assert catalog.exposure(exposures[0].obs_id) == exposures[0]
    assert catalog.exposure("zz99999m0s0") is None and catalog.plate("zz99999") is None
    found = catalog.search(ExposureQuery(ids=(exposures[0].publisher_did, "nope")))
    assert [r.obs_id for r in found.rows] == [exposures[0].obs_id]
    assert [p.plate_id for p in catalog.plates()] == sorted(
        p.plate_id for p, _ in PLATES[: size(catalog)]
    )


def test_replacing_a_plate_leaves_no_stale_rows(catalog):
    fill(catalog)
    plate, exposures = PLATES[0]
    region = Circle(exposures[0].ra, exposures[0].dec, 0.01)
    assert exposures[0].obs_id in {
        r.obs_id for r in catalog.search(ExposureQuery(regions=(region,))).rows
    }
    moved = [
        e.__class__(
            **{
                **e.__dict__,
                "footprint": synthetic_footprint(
                    np.random.default_rng(1), (e.ra + 180) % 360, -e.dec, 2.0
                ),
            }
        )
        for e in exposures[:1]
    ]
    catalog.put_plate(plate, moved)
    assert exposures[0].obs_id not in {
        r.obs_id for r in catalog.search(ExposureQuery(regions=(region,))).rows
    }
    assert catalog.exposure(exposures[-1].obs_id) is None or len(exposures) == 1


def test_both_backends_give_identical_results(moto_server, tmp_path):
    sqlite = make_catalog("sqlite", tmp_path)
    dynamo = make_catalog("dynamodb", tmp_path, moto_server.url)
    try:
        for plate, exposures in PLATES[:DYNAMO_PLATES]:
            sqlite.put_plate(plate, exposures)
            dynamo.put_plate(plate, exposures)
        for region in random_regions(30, seed=99):
            query = ExposureQuery(regions=(region,), maxrec=7, times=((0, 40000),))
            a, b = sqlite.search(query), dynamo.search(query)
            assert a.rows == b.rows and a.overflow == b.overflow
    finally:
        sqlite.close()
        dynamo.close()


@pytest.mark.parametrize("bad", [Circle(10, 10, 1)])
def test_empty_catalog_finds_nothing(catalog, bad):
    assert catalog.search(ExposureQuery(regions=(bad,))).rows == []


def test_dynamodb_throttling_is_retried(moto_server, tmp_path):
    from service.catalog.dynamodb import DynamoCatalog
    from service.faults import TransientFault
    from tests.servers import FaultProxy

    proxy = FaultProxy(moto_server.url)
    proxy.posts_too = True
    catalog = DynamoCatalog("platecut-throttled", endpoint_url=proxy.url, max_attempts=6)
    try:
        catalog.create()
        plate, exposures = PLATES[1]
        proxy.faults.extend(["dynamodb-throttle"] * 3)
        catalog.put_plate(plate, exposures)
        assert proxy.seen.count(("POST", "dynamodb-throttle")) == 3
        proxy.faults.extend(["dynamodb-throttle"] * 4)
        region = Circle(exposures[0].ra, exposures[0].dec, 0.1)
        found = catalog.search(ExposureQuery(regions=(region,)))
        assert exposures[0].obs_id in {r.obs_id for r in found.rows}
        proxy.always = "dynamodb-throttle"
        with pytest.raises(TransientFault, match="DynamoDB is throttling"):
            catalog.search(ExposureQuery(regions=(region,)))
    finally:
        proxy.always = None
        catalog.close()
        proxy.stop()
