"""SODA sync: the FITS response, no overlap, and multi-valued requests."""

import io

from astropy.io import fits
from PIL import Image

DID = "ivo://platecut.example.org/platecut?mc12668m0s1"


def test_cutout_headers_and_content(client):
    response = client.get(
        "/soda/sync", query_string={"ID": DID, "CIRCLE": "0.2 12 0.02", "SCALE": "3"}
    )
    assert response.status_code == 200
    assert response.mimetype == "application/fits"
    assert int(response.headers["Content-Length"]) == len(response.data)
    assert 'filename="mc12668m0s1_' in response.headers["Content-Disposition"]
    header = fits.getheader(io.BytesIO(response.data))
    assert header["NAXIS1"] == header["NAXIS2"] == 48  # 0.04 deg at 3"/px


def test_pos_polygon_and_range_set_the_grid(client):
    for key, value in (
        ("POS", "RANGE 0.15 0.25 11.95 12.05"),
        ("POLYGON", "0.15 11.95 0.25 11.95 0.25 12.05 0.15 12.05"),
    ):
        response = client.get("/soda/sync", query_string={"ID": DID, key: value})
        assert response.status_code == 200, response.data
        header = fits.getheader(io.BytesIO(response.data))
        assert abs(header["CRVAL1"] - 0.2) < 1e-3 and abs(header["CRVAL2"] - 12.0) < 1e-3


def test_no_overlap_is_204_with_no_body(client):
    response = client.get("/soda/sync", query_string={"ID": DID, "CIRCLE": "180 -60 0.1"})
    assert response.status_code == 204
    assert response.data == b"" and "Content-Type" not in response.headers  # no body type


def test_bare_obs_id_and_native_mode(client):
    response = client.post(
        "/soda/sync", data={"id": "mc12668m0s1", "circle": "0.2 12 0.02", "native": "true"}
    )
    assert response.status_code == 200
    data = fits.getdata(io.BytesIO(response.data))
    assert data.dtype.kind in "iu"  # original 16-bit pixels, not resampled floats


def test_png_and_jpeg_previews(client):
    for mime, kind in (("image/png", "PNG"), ("image/jpeg", "JPEG")):
        response = client.get(
            "/soda/sync",
            query_string={
                "ID": DID,
                "CIRCLE": "0.2 12 0.02",
                "SCALE": "3",
                "RESPONSEFORMAT": mime,
                "STRETCH": "asinh",
            },
        )
        assert response.status_code == 200 and response.mimetype == mime
        image = Image.open(io.BytesIO(response.data))
        assert image.format == kind and image.size == (48, 48)


def test_datalink_preview_link_gives_a_small_png(client):
    text = client.get("/datalink/links", query_string={"ID": DID}).get_data(as_text=True)
    row = next(r for r in text.split("<TR>") if "#preview" in r)
    url = (
        row.split("<TD>")[2].split("</TD>")[0].replace("&amp;", "&").replace("http://localhost", "")
    )
    response = client.get(url)
    assert response.mimetype == "image/png"
    assert Image.open(io.BytesIO(response.data)).size == (256, 256)


def test_a_region_larger_than_the_limit_is_trimmed_before_the_limit_applies(client):
    """A 10 degree circle would be 50,000 px a side at the default scale: trimmed to the
    plate it is a few thousand, and answered (SODA 1.0, 3.3)."""
    r = client.get("/soda/sync", query_string={"ID": DID, "CIRCLE": "0.2 12 10"})
    assert r.status_code == 200, r.data[:300]
    with fits.open(io.BytesIO(r.data)) as hdus:
        ny, nx = hdus[0].data.shape
    assert 500 < nx < 4000 and 500 < ny < 4000
