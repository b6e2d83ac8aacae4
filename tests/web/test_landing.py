"""The landing page through Flask's test client."""

from service.app import create_app
from service.archive.layout import iter_local_plates


def test_landing_lists_endpoints_and_the_catalogued_plates(client, vo_settings, demo_archive):
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert vo_settings.service.title in html
    assert "/health" in html
    for plate in iter_local_plates(demo_archive):
        assert f"<td>{plate.plate_id}</td>" in html
    assert html.count('class="plate"') == 12
    assert "12 plates in the catalog" in html


def test_empty_catalog_says_so(settings):
    html = create_app(settings).test_client().get("/").get_data(as_text=True)
    assert "No plates: the catalog is empty" in html


def test_health_and_unknown_paths(settings):
    client = create_app(settings).test_client()
    assert client.get("/health").get_json() == {"status": "ok"}
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert missing.mimetype == "text/plain"
    assert "Traceback" not in missing.get_data(as_text=True)


def test_search_rows_match_sia2_and_dates_narrow(client):
    page = client.get("/?pos=00:00:48 +12:00:00&radius=30").get_data(as_text=True)
    sia = client.get("/sia/v2/query?POS=CIRCLE 0.2 12 0.5&MAXREC=50").get_data(as_text=True)
    assert page.count('class="hit"') == sia.count("<TR>") > 0
    narrowed = client.get("/?pos=0.2 12&radius=30&from=1900&to=1930").get_data(as_text=True)
    assert 0 < narrowed.count('class="hit"') < page.count('class="hit"')
    assert "SIA2Service" in page and "/sia/v2/query?POS=CIRCLE" in page


def test_search_mistakes_are_explained(client):
    for query, words in [
        ("pos=1 2 3 4", "not understood"),
        ("pos=0.2 12&radius=-1", "Radius"),
        ("pos=0.2 12&from=last year", "not a date"),
    ]:
        response = client.get(f"/?{query}")
        assert response.status_code == 400
        assert words in response.get_data(as_text=True)
