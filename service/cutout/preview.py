"""PNG and JPEG renderings of a cutout: a robust stretch for photographic plates,
off-plate pixels in a distinct colour, a scale bar and a north/east indicator.

Depends on numpy, astropy (zscale, WCS) and Pillow only.
"""

from __future__ import annotations

import dataclasses
import io
import math

import numpy as np
from astropy.wcs import WCS
from PIL import Image, ImageDraw

from service.faults import UsageFault

STRETCHES = ("linear", "asinh", "log")
LIMITS = ("zscale", "percentile")
FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG"}
OFF_PLATE = (96, 32, 32)  # dark red: no data
INK = (255, 200, 0)  # annotations


@dataclasses.dataclass(frozen=True)
class PreviewOptions:
    """How to render a cutout.

    Attributes
    ----------
    limits
        ``zscale`` (IRAF's, the default) or ``percentile`` (``low``/``high``).
    low, high
        Percentiles for ``percentile`` limits.
    stretch
        ``linear``, ``asinh`` or ``log``.
    invert
        Dark stars on a light sky (the look of the original negative plate).
    annotate
        Draw the scale bar and the north/east indicator when the image is big enough.
    gamma
        Applied last: grey ** (1 / gamma) (DASCH's displays use 2.2).
    """

    limits: str = "zscale"
    low: float = 0.5
    high: float = 99.5
    stretch: str = "linear"
    invert: bool = False
    annotate: bool = True
    gamma: float = 1.0


#: DASCH's grayscale convention: clip 2 % at the bottom and 1 % at the top, invert, gamma 2.2
DASCH = PreviewOptions(
    limits="percentile", low=2.0, high=99.0, invert=True, gamma=2.2, annotate=False
)
STYLES = ("platecut", "dasch")


def limits(data: np.ndarray, options: PreviewOptions) -> tuple[float, float]:
    """Display limits (vmin, vmax) from the finite pixels."""
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        return 0.0, 1.0
    if options.limits == "percentile":
        vmin, vmax = np.percentile(finite, [options.low, options.high])
    else:  # astropy.visualization loads matplotlib: only when an image is drawn
        from astropy.visualization import ZScaleInterval

        vmin, vmax = ZScaleInterval().get_limits(finite)
    if not vmax > vmin:
        vmax = vmin + 1.0
    return float(vmin), float(vmax)


def stretch(data: np.ndarray, vmin: float, vmax: float, kind: str) -> np.ndarray:
    """Map pixels to [0, 1] between the limits, then apply the stretch."""
    x = np.clip((np.asarray(data, float) - vmin) / (vmax - vmin), 0.0, 1.0)
    if kind == "asinh":
        return np.arcsinh(10.0 * x) / math.asinh(10.0)
    if kind == "log":
        return np.log1p(1000.0 * x) / math.log1p(1000.0)
    return x


def _annotate(image: Image.Image, wcs: WCS | None) -> None:
    """Scale bar (bottom left) and N/E arrows (top right), if there is room."""
    width, height = image.size
    if wcs is None or min(width, height) < 64:
        return
    draw = ImageDraw.Draw(image)
    scale = np.sqrt(np.abs(np.linalg.det(wcs.pixel_scale_matrix))) * 3600.0  # arcsec/px
    for arcsec in (3600, 1800, 600, 300, 120, 60, 30, 10, 5, 1):
        length = arcsec / scale
        if length <= width / 3:
            break
    label = f"{arcsec // 60}'" if arcsec >= 60 else f'{arcsec}"'
    y = height - 10
    draw.line([(8, y), (8 + length, y)], fill=INK, width=2)
    draw.text((8, y - 14), label, fill=INK)
    cx, cy = width / 2 - 0.5, height / 2 - 0.5
    ra, dec = wcs.wcs_pix2world([[cx, cy]], 0)[0]
    step = 20 * scale / 3600.0
    x0, y0 = width - 28, 28
    for name, (dra, ddec) in (
        ("N", (0.0, step)),
        ("E", (step / max(math.cos(math.radians(dec)), 1e-3), 0.0)),
    ):
        px, py = wcs.wcs_world2pix([[ra + dra, min(dec + ddec, 89.999)]], 0)[0]
        dx, dy = px - cx, py - cy
        norm = math.hypot(dx, dy) or 1.0
        ex, ey = x0 + 18 * dx / norm, y0 - 18 * dy / norm  # FITS y up, image rows down
        draw.line([(x0, y0), (ex, ey)], fill=INK, width=2)
        draw.text((ex + 2 * dx / norm - 3, ey - 2 * dy / norm - 5), name, fill=INK)


def picture(data: np.ndarray, wcs: WCS | None, options: PreviewOptions) -> Image.Image:
    """The cutout as an RGB image, north up as stored (FITS row 0 at the bottom)."""
    vmin, vmax = limits(data, options)
    grey = stretch(data, vmin, vmax, options.stretch)
    if options.invert:
        grey = 1.0 - grey
    if options.gamma != 1.0:
        grey = grey ** (1.0 / options.gamma)
    rgb = np.repeat((np.nan_to_num(grey) * 255 + 0.5).astype(np.uint8)[..., None], 3, axis=-1)
    rgb[~np.isfinite(np.asarray(data, float))] = OFF_PLATE
    image = Image.fromarray(np.ascontiguousarray(rgb[::-1]), "RGB")
    if options.annotate:
        _annotate(image, wcs)
    return image


def render(data: np.ndarray, wcs: WCS | None, options: PreviewOptions, mime: str) -> bytes:
    """The cutout as PNG or JPEG bytes, north up as stored (FITS row 0 at the bottom)."""
    if mime not in FORMATS:
        raise UsageFault(f"Field RESPONSEFORMAT: Invalid value {mime!r}")
    image = picture(data, wcs, options)
    buffer = io.BytesIO()
    image.save(buffer, FORMATS[mime], **({"quality": 90} if mime == "image/jpeg" else {}))
    return buffer.getvalue()
