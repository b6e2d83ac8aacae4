"""SIA 1.0 through pyvo: virtual images on the requested grid, INTERSECT, METADATA."""

import io

import numpy as np
import requests
from astropy.io import fits
from astropy.wcs import WCS
from pyvo.dal import SIAService


def test_search_and_fetch_generated_images(live):
    results = SIAService(f"{live}/sia/v1/query").search(pos=(150.0, 30.0), size=0.1)
    assert len(results) >= 1
    record = results[0]
    assert record.format == "image/fits"
    body = requests.get(record.acref, timeout=60).content
    with fits.open(io.BytesIO(body)) as hdus:
        hdu = hdus[0]
        assert hdu.data.shape == (250, 250)  # 0.1 deg at the default 1.44"/px
        wcs = WCS(hdu.header)
        ra, dec = wcs.all_pix2world([[125.5, 125.5]], 1)[0]
        assert abs(ra - 150.0) < 1e-9 and abs(dec - 30.0) < 1e-9
        assert np.isfinite(hdu.data).any()


def test_grid_parameters_are_honoured(client):
    text = client.get(
        "/sia/v1/query?POS=150,30&SIZE=0.1&NAXIS=64,32&CDELT=0.001&ROTANG=30&PROJ=SIN"
    ).get_data(as_text=True)
    assert "WIDTH=64&amp;HEIGHT=32&amp;SCALE=3.6&amp;ROTATION=30.0&amp;PROJECTION=SIN" in text
    url = text.split("<TD>http://localhost")[1].split("</TD>")[0].replace("&amp;", "&")
    body = client.get(url).data
    header = fits.getheader(io.BytesIO(body))
    assert (header["NAXIS1"], header["NAXIS2"]) == (64, 32)
    assert header["CTYPE1"] == "RA---SIN"


def test_intersect_modes_nest(client):
    def count(size, extra=""):
        return (
            client.get(f"/sia/v1/query?POS=150,30&SIZE={size}{extra}")
            .get_data(as_text=True)
            .count("<TR>")
        )

    overlaps, covers, center = (
        count(0.2),
        count(0.2, "&INTERSECT=COVERS"),
        count(0.2, "&INTERSECT=CENTER"),
    )
    assert overlaps >= center >= covers >= 1
    assert count(0.05, "&INTERSECT=ENCLOSED") == 0  # every plate is larger than 0.05 deg
    assert 1 <= count(20, "&CDELT=0.01&INTERSECT=ENCLOSED") <= count(20, "&CDELT=0.01")
    assert client.get("/sia/v1/query?POS=150,30&SIZE=20").status_code == 400  # 50,000 px a side
    assert count(0.2, "&FORMAT=GRAPHIC") == overlaps
    assert count(0.2, "&FORMAT=text/html") == 0
    metadata = client.get("/sia/v1/query?FORMAT=METADATA").get_data(as_text=True)
    assert 'name="INPUT:POS"' in metadata and "<TR>" not in metadata
