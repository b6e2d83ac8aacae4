"""A cutout written as FITS: the cards that describe where its pixels come from, and
its bytes.

Depends on astropy.io.fits and the catalog's record types (data only).
"""

from __future__ import annotations

import io

import numpy as np
from astropy.io import fits

from service import __version__
from service.catalog.records import CutoutSource
from service.storage.base import ObjectInfo


def fits_bytes(data: np.ndarray, header: fits.Header) -> bytes:
    """``data`` and ``header`` as FITS bytes (one primary HDU). A float32 image is
    written directly (the bytes astropy writes, without its verification pass: the
    header is ours and valid); other types through astropy (scaling keywords)."""
    if data.dtype != np.float32 or data.ndim != 2:
        buffer = io.BytesIO()
        fits.PrimaryHDU(data, header).writeto(buffer, output_verify="exception")
        return buffer.getvalue()
    ny, nx = data.shape
    full = fits.Header(
        [("SIMPLE", True, "conforms to FITS standard"), ("BITPIX", -32, "array data type"),
         ("NAXIS", 2, "number of array dimensions"), ("NAXIS1", nx), ("NAXIS2", ny)]
    )  # fmt: skip
    full.extend(header.cards)
    raw = data.astype(">f4").tobytes()
    return full.tostring().encode("ascii") + raw + bytes(-len(raw) % 2880)


def describe(header: fits.Header, source: CutoutSource, version: ObjectInfo, how: str) -> None:
    """Add to ``header`` the cutout's plate, exposure, solution, source mosaic version
    ``version`` and resampling ``how``."""
    e = source.exposure
    header["PLATE_ID"] = (e.plate_id, "plate identifier")
    header["SERIES"] = (e.series, "plate series")
    header["MOSNUM"] = (e.mosnum, "mosaic number")
    header["SOLNUM"] = (e.solnum, "WCS solution used (0-based)")
    header["SOLKEY"] = (source.pixels.solution_key or " ", "WCS key of the solution in its file")
    header["EXPNUM"] = (e.exposure, "exposure number (0-based; -1: none logged)")
    header["TELESCOP"] = e.telescope[:68]
    times = (("DATE-OBS", e.date_obs, "start of exposure (UTC)"),
             ("MJD-OBS", e.t_min, "[d] start of exposure"),
             ("MJD-END", e.t_max, "[d] end of exposure"),
             ("EXPTIME", e.exptime_s, "[s] exposure time"))  # fmt: skip
    for name, value, comment in times:  # an exposure nobody logged has none
        if value == value and value != "":
            header[name] = (value, comment)
    header["SRCOBJ"] = (e.object_key[-68:], "source mosaic object")
    header["SRCETAG"] = (version.etag[:68], "ETag of the source mosaic")
    header["INTERP"] = (how, "resampling")
    header["ORIGIN"] = ("Platecut", "software")
    header["PCUTVER"] = (__version__, "Platecut version")
