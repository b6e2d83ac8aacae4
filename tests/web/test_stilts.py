"""STILTS as the oracle, against the running service (a saved file would hide the
Content-Type): votlint on every kind of VOTable we emit (results, overflow, empty,
errors), datalinklint on {links}, xsdvalidate on VOSI documents and the VOResource
record, and ``stilts cone``."""

from urllib.parse import quote

import pytest

from tests.stilts import stilts, votlint, xsdvalidate

DID = "ivo://platecut.example.org/platecut?a03393m0s1"
VOTABLES = [
    "/sia/v2/query?POS=CIRCLE 0.2 12 1",
    "/sia/v2/query?POS=RANGE 359 1 10 14&MAXREC=3",
    "/sia/v2/query?MAXREC=0",
    "/sia/v2/query?POS=CIRCLE 12 13",
    "/sia/v1/query?POS=0.2,12&SIZE=0.1",
    "/sia/v1/query?FORMAT=METADATA",
    f"/datalink/links?ID={DID}",
    f"/datalink/links?ID={DID}&ID=ivo://platecut.example.org/platecut?nothing",
    "/datalink/links",
    "/sia/v2/query?POS=CIRCLE 0.2 12 5&MAXREC=1",  # overflow
    "/sia/v2/query?TIME=1 2 3",  # errors
    f"/datalink/links?ID={DID}&RESPONSEFORMAT=text/csv",
    "/sia/v1/query?SIZE=0.1",
    "/sia/v2/no-such-endpoint",
]


def url_of(live: str, path: str) -> str:
    return live + quote(path, safe="/?=&:,;+")


@pytest.mark.parametrize("url", VOTABLES)
def test_votlint_finds_nothing(live, url):
    assert votlint(url_of(live, url)) == []


def test_votlint_catches_a_broken_document(client, tmp_path):
    path = tmp_path / "doc.xml"
    path.write_text(
        client.get(VOTABLES[0])
        .get_data(as_text=True)
        .replace('datatype="double"', 'datatype="dbl"', 1)
    )
    assert any("dbl" in line for line in votlint(path))


@pytest.mark.parametrize(
    "query", [f"?ID={DID}", f"?ID={DID}&ID=ivo://platecut.example.org/platecut?nothing", ""]
)
def test_datalinklint_passes(live, query):
    out = stilts("datalinklint", f"votable={url_of(live, '/datalink/links' + query)}")
    assert "Totals: Errors: 0; Warnings: 0;" in out, out


VOSI = "http://www.ivoa.net/xml/"
XSD_CASES = [
    (
        "/capabilities",
        ["VOSICapabilities/v1.0", "VOResource/v1.0", "VODataService/v1.1", "STC/stc-v1.30.xsd"],
    ),
    (
        "/sia/v2/capabilities",
        ["VOSICapabilities/v1.0", "VOResource/v1.0", "VODataService/v1.1", "STC/stc-v1.30.xsd"],
    ),
    (
        "/soda/capabilities",
        ["VOSICapabilities/v1.0", "VOResource/v1.0", "VODataService/v1.1", "STC/stc-v1.30.xsd"],
    ),
    (
        "/datalink/capabilities",
        ["VOSICapabilities/v1.0", "VOResource/v1.0", "VODataService/v1.1", "STC/stc-v1.30.xsd"],
    ),
    ("/availability", ["VOSIAvailability/v1.0"]),
    ("/soda/availability", ["VOSIAvailability/v1.0"]),
    (
        "/registry/record",
        ["RegistryInterface/v1.0", "VOResource/v1.0", "VODataService/v1.1", "STC/stc-v1.30.xsd"],
    ),
]


@pytest.mark.parametrize(("url", "namespaces"), XSD_CASES)
def test_xsdvalidate_passes(live, schemas, url, namespaces):
    out = xsdvalidate(live + url, schemas, [VOSI + n for n in namespaces])
    assert "ERROR" not in out and "Validation failed" not in out, out


def test_xsdvalidate_catches_a_broken_record(client, tmp_path, schemas):
    path = tmp_path / "doc.xml"
    path.write_text(
        client.get("/registry/record")
        .get_data(as_text=True)
        .replace("<title>", "<titel>")
        .replace("</title>", "</titel>")
    )
    namespaces = [VOSI + n for n in XSD_CASES[-1][1]]
    assert "Validation failed" in xsdvalidate(path, schemas, namespaces)


@pytest.mark.parametrize("servicetype", ["sia1", "sia2"])
def test_stilts_cone_returns_rows(live, servicetype):
    url = f"{live}/sia/v1/query" if servicetype == "sia1" else f"{live}/sia/v2/query"
    out = stilts(
        "cone",
        f"serviceurl={url}",
        f"servicetype={servicetype}",
        "lon=0.2",
        "lat=12",
        "radius=0.05",
        "ofmt=csv",
    )
    lines = [line for line in out.splitlines() if "platecut.example.org" in line]
    assert len(lines) >= 2, out
