"""SIA 2.0 through pyvo, as a user writes it, checked against the catalog's footprints
with an independent spherical geometry library (spherely)."""

import io

import numpy as np
import pytest
import spherely
from astropy.io import fits
from astropy.io.votable import parse
from astropy.time import Time
from pyvo.dal import SIA2Service
from pyvo.dal.adhoc import DatalinkResults

from service.catalog.query import ExposureQuery
from service.catalog.sqlite import SqliteCatalog
from service.vo import soda
from service.vo.values import Params
from service.wiring import Services


def _all_exposures(settings):
    catalog = SqliteCatalog(settings.catalog.sqlite_file())
    rows = catalog.search(ExposureQuery()).rows
    catalog.close()
    return rows


def _polygon(footprint):
    return spherely.create_polygon([(ra if ra <= 180 else ra - 360, dec) for ra, dec in footprint])


@pytest.mark.parametrize(
    ("ra", "dec", "radius"),
    [(0.2, 12.0, 0.5), (150.0, 30.0, 2.0), (45.0, 89.4, 1.0), (359.9, 12.0, 1.0)],
)
def test_search_returns_exactly_the_covering_solutions(live, vo_settings, ra, dec, radius):
    results = SIA2Service(f"{live}/sia/v2").search(pos=(ra, dec, radius), maxrec=200)
    got = {str(r.obs_publisher_did) for r in results}
    centre = spherely.create_point(ra if ra <= 180 else ra - 360, dec)
    expected = set()
    for e in _all_exposures(vo_settings):
        distance = np.degrees(spherely.distance(centre, _polygon(e.footprint), radius=1.0))
        if distance <= radius:
            expected.add(e.publisher_did)
    assert got == expected
    assert got, "the demo clusters are chosen so that every position here is covered"
    dates = [float(r["t_min"]) for r in results]
    assert dates == sorted(dates)


def test_time_and_collection_constraints_and(live, vo_settings):
    service = SIA2Service(f"{live}/sia/v2")
    everything = service.search(pos=(0.2, 12.0, 5.0), maxrec=200)
    t = sorted(float(r["t_min"]) for r in everything)
    lo, hi = t[0], t[len(t) // 2]
    timed = service.search(
        pos=(0.2, 12.0, 5.0), time=(Time(lo, format="mjd"), Time(hi, format="mjd")), maxrec=200
    )
    assert 0 < len(timed) < len(everything)
    assert all(float(r["t_max"]) >= lo and float(r["t_min"]) <= hi for r in timed)
    series = str(everything[0]["obs_collection"])
    narrowed = service.search(pos=(0.2, 12.0, 5.0), collection=series, maxrec=200)
    assert {str(r["obs_collection"]) for r in narrowed} == {series}


def test_maxrec_overflow_and_metadata(client):
    full = parse(io.BytesIO(client.get("/sia/v2/query?POS=CIRCLE 0.2 12 5&MAXREC=200").data))
    n = len(full.get_first_table().array)
    assert n > 2
    cut = client.get("/sia/v2/query?POS=CIRCLE 0.2 12 5&MAXREC=2").get_data(as_text=True)
    assert cut.count("<TR>") == 2
    assert '<INFO name="QUERY_STATUS" value="OVERFLOW"/>' in cut
    meta = client.get("/sia/v2/query?MAXREC=0").get_data(as_text=True)
    assert "<TR>" not in meta and 'name="s_region"' in meta
    assert 'utype="adhoc:service"' in meta and "SODA#sync-1.0" in meta


def test_constant_columns_filter_as_documented(client):
    def count(query):
        return (
            client.get(f"/sia/v2/query?POS=CIRCLE 0.2 12 5&MAXREC=200&{query}")
            .get_data(as_text=True)
            .count("<TR>")
        )

    base = count("")
    assert count("FORMAT=image/fits") == base  # TOPCAT sends exactly this
    assert count("DPTYPE=image") == base and count("DPTYPE=cube") == 0
    assert count("BAND=4e-7 5e-7") == base and count("BAND=1e-3 2e-3") == 0
    assert count("CALIB=2") == base and count("CALIB=3") == 0
    assert count("POL=I") == 0
    assert count("DPTYPE=cube&DPTYPE=image") == base  # repeated values OR


def test_datalink_processed_and_getdataset(live, vo_settings, demo_archive):
    results = SIA2Service(f"{live}/sia/v2").search(pos=(0.2, 12.0, 0.2))
    record = results[0]
    links = DatalinkResults.from_result_url(record.access_url)
    semantics = {str(s) for s in links.to_table()["semantics"]}
    assert {"#this", "#cutout", "#auxiliary", "#preview"} <= semantics
    this = next(r for r in links if r.semantics == "#this")  # bysemantics needs the internet
    body = this.getdataset().read()
    mosaic = _exposure(vo_settings, record).object_key
    assert body == (demo_archive / mosaic).read_bytes()
    assert int(this["content_length"]) == len(body)
    stream = record.processed(circle=(0.2, 12.0, 0.05))
    hdu = fits.open(io.BytesIO(stream.read()))[0]
    # reference: the engine itself with the request SODA was sent
    parsed = soda.parse(
        Params([("ID", str(record.obs_publisher_did)), ("CIRCLE", "0.2 12.0 0.05")]), vo_settings
    )
    services = Services(vo_settings)
    source = services.cutouts.resolve(parsed.obs_id)
    reference = services.engine.make(
        source, services.cutouts.request_for(source.exposure, parsed.spec)
    )
    services.close()
    np.testing.assert_array_equal(hdu.data, reference.data)
    assert hdu.data.shape == (250, 250)  # 2 x 0.05 deg at 1.44"/px


def _exposure(settings, record):
    catalog = SqliteCatalog(settings.catalog.sqlite_file())
    exposure = catalog.exposure(str(record.obs_id))
    catalog.close()
    return exposure


def test_post_equals_get(client):
    query = {"POS": "CIRCLE 150 30 1", "MAXREC": "20"}
    assert (
        client.post("/sia/v2/query", data=query).data
        == client.get("/sia/v2/query", query_string=query).data
    )
