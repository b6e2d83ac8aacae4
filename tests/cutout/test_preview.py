"""Previews: limits on a synthetic image with known percentiles, stretches, NaN
colour, orientation, and PNG/JPEG that Pillow decodes at the right size."""

import io

import numpy as np
import pytest
from astropy.wcs import WCS
from PIL import Image

from service.cutout.grid import TargetGrid
from service.cutout.preview import OFF_PLATE, PreviewOptions, limits, render, stretch


def test_percentile_limits_on_known_values():
    data = np.arange(10001, dtype=float).reshape(1, -1)  # percentile p is 100 p
    assert limits(data, PreviewOptions("percentile", 1.0, 99.0)) == pytest.approx((100.0, 9900.0))
    data[0, :5000] = np.nan  # NaNs ignored: 5000..10000
    assert limits(data, PreviewOptions("percentile", 0.0, 50.0)) == pytest.approx((5000.0, 7500.0))


def test_zscale_ignores_a_few_saturated_stars():
    rng = np.random.default_rng(0)
    sky = rng.normal(1000.0, 10.0, (200, 200))
    sky[::20, ::20] = 65535.0
    vmin, vmax = limits(sky, PreviewOptions())
    assert 900 < vmin < 1000 < vmax < 1100  # within ~10 sigma of the sky, not at 65535


@pytest.mark.parametrize("kind", ["linear", "asinh", "log"])
def test_stretches_map_limits_to_0_and_1_monotonically(kind):
    values = stretch(np.linspace(-10, 110, 121), 0.0, 100.0, kind)
    assert values[0] == 0.0 and values[-1] == 1.0
    assert np.all(np.diff(values) >= 0)
    if kind != "linear":
        assert values[20] > 0.1  # faint end lifted


def test_png_and_jpeg_decode_at_the_cutout_size_north_up_with_off_plate_colour():
    data = np.tile(np.linspace(0, 100, 120), (80, 1)).astype(np.float32)  # brighter to the right
    data[:10, :] = np.nan  # bottom rows (FITS y = 0..9) off the plate
    data[-1, 0] = 100.0
    wcs = TargetGrid(10.0, 20.0, 120, 80, 2.0).wcs()
    png = Image.open(
        io.BytesIO(
            render(data, wcs, PreviewOptions("percentile", 0, 100, annotate=False), "image/png")
        )
    )
    assert png.format == "PNG" and png.size == (120, 80)
    pixels = np.asarray(png)
    assert tuple(pixels[-1, 60]) == OFF_PLATE  # FITS row 0 is the image's last row
    assert pixels[0, 0, 0] == 255  # FITS top-left bright pixel, image top-left
    assert pixels[40, 100, 0] > pixels[40, 10, 0]
    inverted = np.asarray(
        Image.open(
            io.BytesIO(
                render(
                    data,
                    wcs,
                    PreviewOptions("percentile", 0, 100, invert=True, annotate=False),
                    "image/png",
                )
            )
        )
    )
    assert inverted[40, 100, 0] < inverted[40, 10, 0]
    jpeg = Image.open(
        io.BytesIO(render(data, WCS(wcs.to_header()), PreviewOptions(), "image/jpeg"))
    )
    assert jpeg.format == "JPEG" and jpeg.size == (120, 80)


def test_annotation_draws_only_where_there_is_room():
    data = np.full((200, 200), 5.0, np.float32)
    data[0, 0] = 0.0
    wcs = TargetGrid(10.0, 20.0, 200, 200, 2.0).wcs()
    plain = np.asarray(
        Image.open(io.BytesIO(render(data, wcs, PreviewOptions(annotate=False), "image/png")))
    )
    marked = np.asarray(Image.open(io.BytesIO(render(data, wcs, PreviewOptions(), "image/png"))))
    assert (plain != marked).any(axis=-1).sum() > 50
    small = np.full((40, 40), 5.0, np.float32)
    a = render(small, TargetGrid(10.0, 20.0, 40, 40, 2.0).wcs(), PreviewOptions(), "image/png")
    b = render(small, None, PreviewOptions(), "image/png")
    assert np.array_equal(
        np.asarray(Image.open(io.BytesIO(a))), np.asarray(Image.open(io.BytesIO(b)))
    )
