"""VOSI availability that really checks its dependencies; the OAI-PMH endpoint; CORS."""

from lxml import etree

from service.app import create_app
from service.settings import load_settings

OAI = "{http://www.openarchives.org/OAI/2.0/}"
AVL = "{http://www.ivoa.net/xml/VOSIAvailability/v1.0}"


def test_available_when_catalog_and_store_answer(client):
    doc = etree.fromstring(client.get("/availability").data)
    assert doc.find(f"{AVL}available").text == "true"


def test_unavailable_when_the_catalog_is_unreachable(vo_settings, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    settings = load_settings(
        env={},
        overrides={
            "archive": {"root": vo_settings.archive.root},
            "catalog": {"sqlite_path": str(blocker / "catalog.sqlite")},
        },
    )
    response = create_app(settings).test_client().get("/sia/v2/availability")
    assert response.status_code == 200
    doc = etree.fromstring(response.data)
    assert doc.find(f"{AVL}available").text == "false"
    assert doc.find(f"{AVL}note").text.startswith("catalog:")


def test_a_missing_archive_and_an_empty_catalog_are_said_at_start_and_in_availability(
    tmp_path, caplog
):
    settings = load_settings(
        env={},
        overrides={
            "archive": {"root": str(tmp_path / "no-archive")},
            "catalog": {"sqlite_path": str(tmp_path / "empty.sqlite")},
        },
    )
    with caplog.at_level("WARNING", logger="service"):
        app = create_app(settings)
    said = [r.getMessage() for r in caplog.records if r.name == "service"]
    assert any("not ready: archive: no directory" in m for m in said), said
    assert any("not ready: catalog: empty" in m for m in said), said
    doc = etree.fromstring(app.test_client().get("/availability").data)
    assert doc.find(f"{AVL}available").text == "false"
    notes = [n.text for n in doc.iter(f"{AVL}note")]
    assert notes[0].startswith("archive: no directory") and "platecut ingest" in notes[1]
    app.extensions["platecut"].close()


def test_capabilities_list_the_standards(client):
    text = client.get("/capabilities").get_data(as_text=True)
    for standard in (
        "SIA#query-2.0",
        "SIA#query-aux-2.0",
        "SODA#sync-1.0",
        "DataLink#links-1.1",
        "VOSI#capabilities",
        "VOSI#availability",
    ):
        assert f'standardID="ivo://ivoa.net/std/{standard}"' in text
    sia = client.get("/sia/v2/capabilities").get_data(as_text=True)
    assert "SODA#sync" not in sia and "/sia/v2/availability" in sia


def _oai(client, **args):
    return etree.fromstring(client.get("/registry/oai", query_string=args).data)


def test_oai_pmh_verbs(client):
    identify = _oai(client, verb="Identify")
    assert identify.find(f"{OAI}Identify/{OAI}protocolVersion").text == "2.0"
    formats = _oai(client, verb="ListMetadataFormats")
    prefixes = {e.text for e in formats.iter(f"{OAI}metadataPrefix")}
    assert prefixes == {"ivo_vor", "oai_dc"}
    records = _oai(client, verb="ListRecords", metadataPrefix="ivo_vor")
    ids = [e.text for e in records.iter(f"{OAI}identifier")]
    assert ids == [
        "ivo://platecut.example.org/platecut",
        "ivo://platecut.example.org/registry",
        "ivo://platecut.example.org",
    ]
    one = _oai(client, verb="GetRecord", metadataPrefix="ivo_vor", identifier=ids[0])
    assert len(list(one.iter(f"{OAI}record"))) == 1
    for args, code in [
        ({"verb": "Nonsense"}, "badVerb"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc"}, "cannotDisseminateFormat"),
        (
            {"verb": "GetRecord", "metadataPrefix": "ivo_vor", "identifier": "ivo://x/y"},
            "idDoesNotExist",
        ),
        (
            {"verb": "ListRecords", "metadataPrefix": "ivo_vor", "from": "2999-01-01"},
            "noRecordsMatch",
        ),
    ]:
        assert _oai(client, **args).find(f"{OAI}error").get("code") == code


def test_cors_for_browser_clients(client):
    response = client.get("/sia/v2/query?MAXREC=0", headers={"Origin": "https://aladin.example"})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    preflight = client.options(
        "/soda/sync", headers={"Origin": "x", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
