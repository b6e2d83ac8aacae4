"""Aladin Lite 3 (npm ``aladin-lite``, installed here on first use) in headless Chromium
loads an SIA 2.0 result with ``catalogFromURL``: every row becomes a source with the
footprint of its ``s_region``.

The documented limitation (README, SIA 2.0): Aladin Lite 3.8.2 reads every RESOURCE of
a VOTable as a table and calls the error callback once for each service-descriptor
RESOURCE ("Parsing error of the votable"), which pyvo and TOPCAT need; the rows and
footprints load all the same. The test asserts exactly that.
"""

from __future__ import annotations

import functools
import http.server
import io
import shutil
import subprocess
import threading
from urllib.parse import quote

import pytest
from astropy.io.votable import parse_single_table
from lxml import etree

from service.settings import PROJECT_ROOT
from tests.web.test_browser import ARTIFACTS, browser  # noqa: F401 (the fixture)

VERSION = "3.8.2"
NPM = PROJECT_ROOT / "var" / "npm"


@pytest.fixture(scope="module")
def aladin_js():
    """Aladin Lite's ES module, from the npm registry (once per machine)."""
    module = NPM / "node_modules" / "aladin-lite" / "dist" / "aladin.js"
    if not module.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to install aladin-lite"
        NPM.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [npm, "install", "--prefix", str(NPM), f"aladin-lite@{VERSION}", "--no-audit",
             "--no-fund"],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    return module


PAGE = """<!doctype html><html><body>
<div id="aladin" style="width:700px;height:700px"></div>
<script type="module">
import A from './aladin.js';
window.outcome = {errors: [], sources: -1, footprints: -1, done: false};
A.init.then(() => {
  const aladin = A.aladin('#aladin', {fov: 4, target: '0.2 12', showReticle: false});
  A.catalogFromURL(SIA_QUERY, {name: 'platecut'}, (cat) => {
    aladin.addCatalog(cat);
    window.outcome.sources = cat.sources.length;
    window.outcome.footprints = cat.sources.filter(s => s.footprint).length;
    window.outcome.done = true;
  }, (error) => { window.outcome.errors.push(String(error)); }, false);
}).catch((e) => { window.outcome.errors.push('init: ' + e); window.outcome.done = true; });
</script></body></html>"""


@pytest.fixture
def page_server(tmp_path, aladin_js):
    shutil.copy(aladin_js, tmp_path / "aladin.js")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield tmp_path, f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


def test_aladin_lite_loads_every_row_and_footprint(browser, live, page_server):  # noqa: F811
    root, page_url = page_server
    query = "/sia/v2/query?POS=" + quote("CIRCLE 0.2 12 1") + "&MAXREC=100"
    sia = f"{live}{query}"
    (root / "index.html").write_text(PAGE.replace("SIA_QUERY", repr(sia)))
    browser.get(f"{page_url}/index.html")
    browser.set_script_timeout(120)
    outcome = browser.execute_async_script(
        """const done = arguments[0];
        const wait = () => (window.outcome && window.outcome.done &&
            window.outcome.errors.length >= 2) ? done(window.outcome) : setTimeout(wait, 200);
        wait();"""
    )
    import requests

    body = requests.get(sia, timeout=30).content
    rows = len(parse_single_table(io.BytesIO(body)).array)
    descriptors = len(
        etree.fromstring(body).findall(
            ".//{http://www.ivoa.net/xml/VOTable/v1.3}RESOURCE[@type='meta']"
        )
    )
    assert rows > 3 and outcome["sources"] == rows and outcome["footprints"] == rows, outcome
    # the documented limitation: one error callback per service descriptor, nothing else
    assert len(outcome["errors"]) == descriptors, outcome
    assert all("Parsing error of the votable" in e for e in outcome["errors"]), outcome
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "aladin-lite.png"))
