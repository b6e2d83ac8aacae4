"""The landing page through Flask's test client."""

from service import create_app
from service.archive.layout import iter_local_plates
from service.settings import load_settings


def test_landing_lists_endpoints_and_plates(settings, demo_archive):
    client = create_app(settings).test_client()
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert settings.service.title in html
    assert "/health" in html
    for plate in iter_local_plates(demo_archive):
        assert f"<td>{plate.plate_id}</td>" in html
    assert html.count('class="plate"') == 12


def test_absent_archive_says_so(tmp_path):
    settings = load_settings(env={}, overrides={"archive": {"root": str(tmp_path / "none")}})
    html = create_app(settings).test_client().get("/").get_data(as_text=True)
    assert "No plates" in html


def test_health_and_unknown_paths(settings):
    client = create_app(settings).test_client()
    assert client.get("/health").get_json() == {"status": "ok"}
    missing = client.get("/no/such/page")
    assert missing.status_code == 404
    assert missing.mimetype == "text/plain"
    assert "Traceback" not in missing.get_data(as_text=True)
