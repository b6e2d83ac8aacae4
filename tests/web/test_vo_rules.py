"""The rules VO clients rely on, each through real HTTP, each with the words of the
standard it comes from (``../shared/reference/ivoa/``)."""

from __future__ import annotations

import io

import requests
from astropy.io import fits
from astropy.io.votable import parse_single_table
from lxml import etree

from tests.stilts import stilts

DID = "ivo://platecut.example.org/platecut?a03393m0s1"
DATALINK = "application/x-votable+xml;content=datalink"
NS = {"v": "http://www.ivoa.net/xml/VOTable/v1.3"}


def status_infos(body: bytes) -> list[str]:
    root = etree.fromstring(body)
    return [i.get("value") for i in root.iterfind(".//v:INFO[@name='QUERY_STATUS']", NS)]


def test_1_datalink_content_type_and_responseformat(live):
    """DataLink 1.1, 3.3: "The content-type of the response ... is
    application/x-votable+xml;content=datalink". DALI 1.1, 3.4.1 (RESPONSEFORMAT): "If a
    client requests a format by specifying the media type ..., the response that delivers
    that content must set that media type in the Content-Type header"; a format not
    supported should fail."""
    links = requests.get(f"{live}/datalink/links", params={"ID": DID}, timeout=30)
    assert links.status_code == 200
    assert links.headers["Content-Type"].replace(" ", "") == DATALINK
    plain = requests.get(
        f"{live}/datalink/links",
        params={"ID": DID, "RESPONSEFORMAT": "application/x-votable+xml"},
        timeout=30,
    )
    assert plain.headers["Content-Type"] == "application/x-votable+xml"
    tabledata = "application/x-votable+xml;serialization=tabledata"
    sia = requests.get(
        f"{live}/sia/v2/query",
        params={"POS": "CIRCLE 0.2 12 0.1", "RESPONSEFORMAT": tabledata},
        timeout=30,
    )
    assert sia.headers["Content-Type"].replace(" ", "") == tabledata
    csv = requests.get(
        f"{live}/datalink/links", params={"ID": DID, "RESPONSEFORMAT": "text/csv"}, timeout=30
    )
    assert csv.status_code == 400 and "ERROR" in status_infos(csv.content)
    out = stilts("datalinklint", f"votable={live}/datalink/links?ID={DID}")
    assert "Totals: Errors: 0; Warnings: 0;" in out, out


def test_2_datalink_without_an_id_is_an_empty_links_document(live):
    """DataLink 1.1, 3.2.1: "If no ID values are specified the response is a normal,
    empty links document."""
    reply = requests.get(f"{live}/datalink/links", timeout=30)
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].replace(" ", "") == DATALINK
    table = parse_single_table(io.BytesIO(reply.content))
    assert len(table.array) == 0 and "ID" in table.array.dtype.names
    out = stilts("datalinklint", f"votable={live}/datalink/links")
    assert "Totals: Errors: 0;" in out, out


def test_3_datalink_processes_up_to_its_limit_and_flags_the_overflow(live, vo_settings):
    """DataLink 1.1, 3.2.1: "If the service ... imposes a limit on the number of ID
    values ... the service must process up to the limit and ... include an overflow
    indicator" (DALI 1.1, 4.4.1)."""
    limit = vo_settings.vo.max_ids
    ids = [f"{DID}"] * (limit + 5)
    reply = requests.post(f"{live}/datalink/links", data={"ID": ids}, timeout=60)
    assert reply.status_code == 200
    table = parse_single_table(io.BytesIO(reply.content))
    assert set(table.array["ID"]) == {DID} and len(table.array) == 4 * limit
    assert status_infos(reply.content) == ["OK", "OVERFLOW"]


def test_4_ivoids_are_compared_case_insensitively_everywhere(live):
    """SIA 2.0, 2.6 (ID): "IVOIDs MUST be compared case-insensitively" (IVOA Identifiers
    2.0): an identifier in upper case finds the same rows in SIA 2.0, the same cutout in
    SODA and the same links in DataLink as in lower case."""
    lower, upper = DID, DID.upper()
    assert upper != lower

    def sia(identifier: str) -> list[str]:
        reply = requests.get(f"{live}/sia/v2/query", params={"ID": identifier}, timeout=30)
        return [str(o) for o in parse_single_table(io.BytesIO(reply.content)).array["obs_id"]]

    assert sia(upper) == sia(lower) == ["a03393m0s1"]
    cuts = [
        requests.get(f"{live}/soda/sync", params={"ID": i, "CIRCLE": "0.2 12 0.01"}, timeout=30)
        for i in (lower, upper, "A03393M0S1")
    ]
    assert [c.status_code for c in cuts] == [200, 200, 200]
    assert cuts[0].content == cuts[1].content == cuts[2].content
    links = [
        parse_single_table(
            io.BytesIO(requests.get(f"{live}/datalink/links", params={"ID": i}, timeout=30).content)
        ).array
        for i in (lower, upper)
    ]
    assert not any(links[1]["error_message"])
    assert list(links[0]["access_url"]) == list(links[1]["access_url"])
    other = requests.get(f"{live}/soda/sync", params={"ID": "ivo://other.org/x?a03393m0s1"},
                         timeout=30)  # fmt: skip
    assert other.status_code == 404


def test_4b_datalink_answers_text_xml_when_asked(live):
    """DALI 1.1, 3.4.1: the response "must set that media type in the Content-Type
    header"; DataLink 1.1, 3.3 names text/xml among a links document's types."""
    reply = requests.get(
        f"{live}/datalink/links", params={"ID": DID, "RESPONSEFORMAT": "text/xml"}, timeout=30
    )
    assert reply.status_code == 200
    assert reply.headers["Content-Type"].split(";")[0] == "text/xml"
    table = parse_single_table(io.BytesIO(reply.content))
    assert "#this" in set(table.array["semantics"])


def test_5_sia2_single_values_are_intervals_of_zero_width(live, client):
    """SIA 2.0, 2.2.2 (TIME): "TIME=55123.456 ... the service would find data that
    includes the specified time"; 2.2.4 (BAND) likewise for one wavelength."""
    sia = client.get("/sia/v2/query?POS=CIRCLE 0.2 12 3&MAXREC=200").get_data(as_text=True)
    every = parse_single_table(io.BytesIO(sia.encode())).array
    row = every[0]
    instant = (float(row["t_min"]) + float(row["t_max"])) / 2
    reply = requests.get(
        f"{live}/sia/v2/query",
        params={"POS": "CIRCLE 0.2 12 3", "TIME": repr(instant), "BAND": "550e-9"},
        timeout=30,
    )
    assert reply.status_code == 200
    found = parse_single_table(io.BytesIO(reply.content)).array
    assert row["obs_id"] in set(found["obs_id"])
    assert all(float(r["t_min"]) <= instant <= float(r["t_max"]) for r in found)
    none = requests.get(
        f"{live}/sia/v2/query", params={"POS": "CIRCLE 0.2 12 3", "BAND": "1e-3"}, timeout=30
    )
    assert len(parse_single_table(io.BytesIO(none.content)).array) == 0


def test_6_soda_unknown_id_uses_sodas_words(live):
    """SODA 1.0, 5.2: error messages start with Error, UsageError,
    MultiValuedParamNotSupported, ServiceUnavailable, AuthenticationError or
    AuthorizationError (the status of an unknown ID stays 404)."""
    reply = requests.get(
        f"{live}/soda/sync", params={"ID": "ivo://platecut.example.org/platecut?zz1m0s0"},
        timeout=30,
    )  # fmt: skip
    assert reply.status_code == 404 and reply.headers["Content-Type"].startswith("text/plain")
    assert reply.text.startswith("Error: ")


def descriptor_params(body: bytes) -> dict:
    root = etree.fromstring(body)
    resource = root.find(".//v:RESOURCE[@ID='soda-sync']", NS)
    group = resource.find("v:GROUP[@name='inputParams']", NS)
    return {p.get("name"): p for p in group.iterfind("v:PARAM", NS)}


def test_7_soda_descriptor_ucds_and_no_fixed_parameters(live):
    """SODA 1.0, 3.2.1 and 3.3: ID is described by meta.ref.url;meta.curation, POS,
    CIRCLE and POLYGON by pos.outline;obs. DataLink 1.1, 4.1: a PARAM of the input group
    with a value is one the client cannot change; user parameters have an empty value."""
    for url in (f"{live}/datalink/links?ID={DID}", f"{live}/sia/v2/query?MAXREC=0"):
        params = descriptor_params(requests.get(url, timeout=30).content)
        assert params["ID"].get("ucd") == "meta.ref.url;meta.curation"
        for name in ("POS", "CIRCLE", "POLYGON"):
            assert params[name].get("ucd") == "pos.outline;obs"
        assert params["CIRCLE"].get("unit") == params["POLYGON"].get("unit") == "deg"
        assert all(p.get("value") == "" for p in params.values())
        scale = params["SCALE"]
        assert "default: 1.44" in scale.find("v:DESCRIPTION", NS).text
        assert scale.find("v:VALUES/v:MIN", NS).get("value") == "0.001"
    out = stilts("datalinklint", f"votable={live}/datalink/links?ID={DID}")
    assert "FIXED parameter count 0" in out and "Errors: 0; Warnings: 0;" in out, out


def test_8_soda_short_and_image_fits_formats(live):
    """DALI 1.1, 3.4.1: the short form "fits" is accepted; a media type asked for is the
    Content-Type of the answer."""
    short = requests.get(
        f"{live}/soda/sync",
        params={"ID": DID, "CIRCLE": "0.2 12 0.01", "RESPONSEFORMAT": "fits"},
        timeout=30,
    )
    assert short.status_code == 200 and short.headers["Content-Type"] == "application/fits"
    image = requests.get(
        f"{live}/soda/sync",
        params={"ID": DID, "CIRCLE": "0.2 12 0.01", "RESPONSEFORMAT": "image/fits"},
        timeout=30,
    )
    assert image.headers["Content-Type"] == "image/fits"
    assert fits.getdata(io.BytesIO(image.content)).shape == (50, 50)


def test_9_maxrec_0_carries_the_overflow_indicator(live):
    """DALI 1.1, 4.4.1 (MAXREC): "MAXREC=0 ... a valid response be returned containing
    metadata, no results, and an overflow indicator"."""
    reply = requests.get(f"{live}/sia/v2/query", params={"MAXREC": "0"}, timeout=30)
    assert status_infos(reply.content) == ["OK", "OVERFLOW"]
    assert len(parse_single_table(io.BytesIO(reply.content)).array) == 0


def test_10_sia1_size_0_finds_the_images_containing_the_position(live, client):
    """SIA 1.0, 4.1.1 (SIZE): "A special case is SIZE=0 ... the service should return
    images containing the position"."""
    reply = requests.get(f"{live}/sia/v1/query", params={"POS": "0.2,12", "SIZE": "0"}, timeout=30)
    assert reply.status_code == 200
    rows = parse_single_table(io.BytesIO(reply.content)).array
    sia2 = client.get("/sia/v2/query?POS=CIRCLE 0.2 12 0.0000001&MAXREC=200")
    expected = set(parse_single_table(io.BytesIO(sia2.data)).array["obs_publisher_did"])
    assert set(rows["obs_publisher_did"]) == expected and expected
    out = stilts("cone", f"serviceurl={live}/sia/v1/query", "servicetype=sia1", "lon=0.2",
                 "lat=12", "radius=0", "ofmt=csv")  # fmt: skip
    assert "platecut.example.org" in out, out


def test_11_echoes_are_short_and_ranges_refused_like_circles(live):
    """DALI 1.1, 4.2: errors say what is wrong; an echoed value is shortened. SIA 2.0,
    2.2.1: RANGE values are longitudes and latitudes like CIRCLE's."""
    huge = "ivo://platecut.example.org/platecut?" + "x" * 500_000
    reply = requests.post(f"{live}/soda/sync", data={"ID": huge}, timeout=30)
    assert reply.status_code == 400 and len(reply.content) < 1000
    links = requests.post(f"{live}/datalink/links", data={"ID": huge}, timeout=30)
    assert links.status_code == 400 and len(links.content) < 2000
    for pos in ("RANGE 400 410 0 1", "RANGE 10 20 80 91", "POLYGON 10 10 11 11 12 12"):
        bad = requests.get(f"{live}/sia/v2/query", params={"POS": pos}, timeout=30)
        assert bad.status_code == 400 and "Field POS" in bad.text, pos


def test_11_long_request_lines_get_the_protocols_answer(served):
    """DALI 1.1, 4.2: errors are the protocol's documents, whatever the request. Under
    gunicorn, a request line over 4 KB is answered by the service; one over
    vo.max_request_bytes gets a DALI error document (414), never an HTML page."""
    ids = [DID] * 100  # a 6 KB request line
    reply = requests.get(f"{served}/sia/v2/query", params={"ID": ids}, timeout=60)
    assert reply.status_code == 200 and len(reply.url) > 4096
    assert status_infos(reply.content)[0] == "OK"
    too_long = requests.get(f"{served}/sia/v2/query", params={"ID": "y" * 1_100_000}, timeout=60)
    assert too_long.status_code == 414 and "ERROR" in status_infos(too_long.content)
    soda = requests.get(f"{served}/soda/sync", params={"ID": "y" * 1_100_000}, timeout=60)
    assert soda.status_code == 414 and soda.text.startswith("UsageError: ")


def test_12_a_time_that_looks_like_a_year_gets_a_hint(live):
    """TIME is MJD (SIA 2.0, 2.2.2): TIME=1926 is accepted (MJD 1926, in 1864) and finds
    nothing in this archive, and the answer's INFO says how to ask for the year."""
    reply = requests.get(
        f"{live}/sia/v2/query", params={"POS": "CIRCLE 0.2 12 1", "TIME": "1926"}, timeout=30
    )
    assert reply.status_code == 200
    root = etree.fromstring(reply.content)
    hints = [i.get("value") for i in root.iterfind(".//v:INFO[@name='HINT']", NS)]
    assert hints == ["TIME is MJD: 1926 is MJD 1926 (1864-02-25); for the year 1926 ask "
                     "TIME=24516 24881"]  # fmt: skip
    asked = requests.get(
        f"{live}/sia/v2/query", params={"POS": "CIRCLE 0.2 12 1", "TIME": "24516 24881"},
        timeout=30,
    )  # fmt: skip
    assert b"a03393" in asked.content  # the demo's plate of 1926
    plain = requests.get(f"{live}/sia/v2/query", params={"TIME": "24516 24881"}, timeout=30)
    assert b'name="HINT"' not in plain.content
