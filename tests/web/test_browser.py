"""The web page in a real headless Chromium (Debian's chromium and chromedriver,
installed by .ci/install-system-deps): a search returns rows, every thumbnail loads,
sorting works, a cutout link downloads a valid FITS file. The screenshot is saved
under var/test-artifacts/."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from astropy.io import fits
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from service.settings import PROJECT_ROOT

ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts"


@pytest.fixture
def browser(tmp_path):
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "run .ci/install-system-deps (chromium, chromium-driver)"
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,1800",
    ):  # fmt: skip
        options.add_argument(flag)
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(tmp_path / "downloads"),
            "download.prompt_for_download": False,
        },
    )
    chrome = webdriver.Chrome(
        options=options, service=webdriver.ChromeService(executable_path=driver)
    )
    chrome.set_page_load_timeout(120)
    yield chrome
    chrome.quit()


def test_search_thumbnails_sort_and_download(browser, live, tmp_path):
    browser.get(f"{live}/")
    browser.find_element(By.NAME, "pos").send_keys("00:00:48 +12:00:00")
    radius = browser.find_element(By.NAME, "radius")
    radius.clear()
    radius.send_keys("3")
    browser.find_element(By.CSS_SELECTOR, "#search button").click()
    wait = WebDriverWait(browser, 120)
    wait.until(ec.presence_of_element_located((By.ID, "results")))
    rows = browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    assert len(rows) >= 2
    browser.execute_script(
        "document.querySelectorAll('img.thumb').forEach(i => i.loading = 'eager')"
    )
    wait.until(lambda b: b.execute_script(
        "return [...document.querySelectorAll('img.thumb')].every(i => i.complete && i.naturalWidth === 128)"
    ))  # fmt: skip
    assert browser.find_elements(By.CSS_SELECTOR, "#sketch polygon")
    # the page's pyvo script, copied as a user would, saves every row's cutout
    script = browser.find_element(By.ID, "pyvo").text
    saved = tmp_path / "pyvo"
    saved.mkdir()
    ran = subprocess.run(
        [sys.executable, "-c", script], cwd=saved, capture_output=True, text=True, timeout=300
    )
    assert ran.returncode == 0, ran.stderr[-2000:]
    assert ran.stdout.strip() == f"{len(rows)} cutouts saved"
    assert len(list(saved.glob("*.fits"))) == len(rows)
    for path in saved.glob("*.fits"):
        with fits.open(path) as hdus:
            assert hdus[0].header["CTYPE1"] == "RA---TAN" and hdus[0].data.size

    header = browser.find_elements(By.CSS_SELECTOR, "#results th")[6]  # distance from plate centre
    header.click()
    distances = [
        float(r.find_elements(By.TAG_NAME, "td")[6].text)
        for r in browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")
    ]
    assert distances == sorted(distances)

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "web-search.png"))

    browser.find_element(By.CSS_SELECTOR, "#results a.fits").click()
    downloads = tmp_path / "downloads"
    deadline = time.time() + 120
    while time.time() < deadline:
        done = [p for p in downloads.glob("*.fits")] if downloads.exists() else []
        if done and not list(downloads.glob("*.crdownload")):
            break
        time.sleep(0.2)
    assert done, "no FITS file downloaded"
    with fits.open(done[0]) as hdus:
        assert hdus[0].data.shape == (250, 250)  # 2 x 3' at 1.44"/px
        assert hdus[0].header["CTYPE1"] == "RA---TAN"


def test_offline_name_resolution_says_so(browser, live):
    browser.get(f"{live}/?pos=M31")
    assert "needs the internet" in browser.find_element(By.ID, "error").text
    assert Path(ARTIFACTS).parent.exists()


def test_stack_these_progress_blink_and_downloads(browser, served, tmp_path):
    """From a search, "Stack these" runs a stack on gunicorn's Dask cluster, shows its
    progress, then a blink view: frames in date order with keyboard and buttons, each
    with its FITS and DataLink links, and a download link per product."""
    import requests

    browser.get(f"{served}/?pos=0.2+12&radius=1.5")
    wait = WebDriverWait(browser, 120)
    start = wait.until(ec.element_to_be_clickable((By.ID, "stack-start")))
    start.click()
    wait.until(ec.visibility_of_element_located((By.ID, "blink-frame")))
    status = browser.find_element(By.ID, "stack-status").text
    assert status.startswith("COMPLETED: "), status
    bar = browser.find_element(By.ID, "stack-progress")
    assert bar.get_attribute("value") == bar.get_attribute("max") != "0"
    frames = int(status.split()[1])
    wait.until(lambda b: b.execute_script(
        "var i = document.getElementById('blink-frame'); return i.complete && i.naturalWidth > 0"
    ))  # fmt: skip

    def caption() -> tuple[str, str, str]:
        date, obs_id, position = browser.find_element(By.ID, "blink-caption").text.split(None, 2)
        return date, obs_id, position

    seen = [caption()]
    assert seen[0][2] == f"(1 / {frames})"
    body = browser.find_element(By.TAG_NAME, "body")
    for _ in range(frames - 1):
        body.send_keys(Keys.ARROW_RIGHT)
        seen.append(caption())
    assert [s[2] for s in seen] == [f"({k} / {frames})" for k in range(1, frames + 1)]
    assert [s[0] for s in seen] == sorted(s[0] for s in seen)  # date order
    body.send_keys(Keys.ARROW_RIGHT)
    assert caption()[2] == f"(1 / {frames})"  # wraps around
    body.send_keys(Keys.ARROW_LEFT)
    assert caption()[2] == f"({frames} / {frames})"
    browser.find_element(By.ID, "blink-next").click()
    assert caption()[2] == f"(1 / {frames})"

    # play advances by itself, pause stops it
    browser.find_element(By.ID, "blink-play").click()
    wait.until(lambda b: caption()[2] != f"(1 / {frames})")
    browser.find_element(By.ID, "blink-play").click()
    paused = caption()
    time.sleep(1.5)
    assert caption() == paused

    # the frame's links: its FITS (the obs_id's cutout) and its DataLink document
    fits_url = browser.find_element(By.ID, "blink-fits").get_attribute("href")
    with fits.open(io.BytesIO(requests.get(fits_url, timeout=60).content)) as hdus:
        assert hdus[0].header["OBS_ID"] == paused[1]
    links = requests.get(
        browser.find_element(By.ID, "blink-datalink").get_attribute("href"), timeout=60
    )
    assert links.status_code == 200 and paused[1] in links.text
    products = {
        a.text: a.get_attribute("href")
        for a in browser.find_elements(By.CSS_SELECTOR, "#stack-downloads a")
    }
    assert {
        "stack.fits",
        "cube.fits",
        "frames.zip",
        "sheet.png",
        "sheet.pdf",
        "blink.png",
        "blink.webp",
    } <= set(products)
    for name, url in products.items():
        assert requests.get(url, timeout=120).status_code == 200, name
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert browser.save_screenshot(str(ARTIFACTS / "web-stack.png"))


def test_the_landing_page_shows_where_the_plates_are(browser, live):
    """The sky map has the archive's coverage and a dot per plate; a dot, and a plate's
    centre in the table, lead to a search that finds exposures."""
    browser.get(f"{live}/")
    cells = browser.find_elements(By.CSS_SELECTOR, "#skymap polygon")
    dots = browser.find_elements(By.CSS_SELECTOR, "#skymap a.place")
    plates = browser.find_elements(By.CSS_SELECTOR, "#plates tr.plate")
    assert cells and len(dots) == len(plates) == 12
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "landing-skymap.png"))
    hrefs = [
        browser.execute_script("return arguments[0].href.baseVal", dots[0]),  # an SVG link
        browser.find_element(By.CSS_SELECTOR, "#plates a.plate-search").get_attribute("href"),
    ]
    for href in hrefs:
        browser.get(href if href.startswith("http") else f"{live}{href}")
        WebDriverWait(browser, 120).until(
            ec.presence_of_element_located((By.CSS_SELECTOR, "tr.hit"))
        )
        assert browser.find_elements(By.ID, "stack-start")


def test_an_empty_search_says_where_the_plates_are_and_offers_no_stack(browser, live):
    browser.get(f"{live}/?pos=200 -60&radius=5")
    assert "No exposure of this archive covers" in browser.find_element(By.ID, "nothing").text
    assert not browser.find_elements(By.ID, "stack-start")
    assert browser.find_elements(By.CSS_SELECTOR, "#skymap a.place")


def test_every_link_of_a_large_search_answers(live):
    """A 5 degree search: every thumbnail, cutout, mosaic, header and map link of the
    page answers 200 (the cutout links at a scale the output limit allows)."""
    import re
    from html import unescape

    import requests

    page = requests.get(f"{live}/", params={"pos": "0.2 12", "radius": 300}, timeout=120)
    assert page.status_code == 200 and 'class="hit"' in page.text
    links = {unescape(u) for u in re.findall(r'(?:href|src)="([^"#]+)"', page.text)}
    links = {u for u in links if u.startswith(("/", live))}  # every link of the site
    assert any("/soda/sync" in u and "RESPONSEFORMAT" not in u for u in links)
    for url in sorted(links):
        full = url if url.startswith("http") else f"{live}{url}"
        reply = requests.get(full, timeout=300, stream=True)
        assert reply.status_code == 200, (url, reply.text[:200] if reply.status_code != 200 else "")
        # read to the end: a client hanging up mid-body leaves the test server's file open
        assert sum(len(part) for part in reply.iter_content(1 << 20)) > 0, url
        reply.close()
