"""SIA 2.0 query (``/sia/v2/query``): parse, search the catalog, render ObsCore rows
with the SODA descriptor and the query's own self-description."""

from __future__ import annotations

import dataclasses

from flask import Blueprint, Response

from service.vo import obscore, sia2, soda
from service.vo.params import choice
from service.vo.votable import Descriptor, Field, table_response, text
from service.web.context import base_url, request_params, services

blueprint = Blueprint("sia2", __name__, url_prefix="/sia/v2")
SIA2_QUERY = "ivo://ivoa.net/std/SIA#query-2.0"


def self_description(base: str) -> Descriptor:
    """The SIA 2.0 query's input parameters, as a service descriptor."""
    interval = "Interval 'low high' (-Inf/+Inf for open ends)"
    params = [
        (
            text("POS", "CIRCLE ra dec r, RANGE ra1 ra2 dec1 dec2 or POLYGON ra dec ... (deg)"),
            "",
            "",
            None,
            (),
        ),
        (
            Field(
                "BAND",
                "double",
                f"Wavelength. {interval}",
                "em.wl",
                unit="m",
                arraysize="2",
                xtype="interval",
            ),
            "",
            "",
            None,
            (),
        ),
        (
            Field(
                "TIME",
                "double",
                f"Observation time, MJD. {interval}",
                "time.epoch",
                unit="d",
                arraysize="2",
                xtype="interval",
            ),
            "",
            "",
            None,
            (),
        ),
        (text("POL", "Polarisation state (plates have none)"), "", "", None, ()),
        (
            Field(
                "FOV",
                "double",
                f"Field of view. {interval}",
                "phys.angSize;instr.fov",
                unit="deg",
                arraysize="2",
                xtype="interval",
            ),
            "",
            "",
            None,
            (),
        ),
        (
            Field(
                "SPATRES",
                "double",
                f"Spatial resolution. {interval}",
                "pos.angResolution",
                unit="arcsec",
                arraysize="2",
                xtype="interval",
            ),
            "",
            "",
            None,
            (),
        ),
        (
            Field(
                "EXPTIME",
                "double",
                f"Exposure time. {interval}",
                "time.duration;obs.exposure",
                unit="s",
                arraysize="2",
                xtype="interval",
            ),
            "",
            "",
            None,
            (),
        ),
        (text("ID", "obs_publisher_did"), "", "", None, ()),
        (text("COLLECTION", "Plate series"), "", "", None, ()),
        (text("FACILITY", "Telescope"), "", "", None, ()),
        (text("INSTRUMENT", "Instrument"), "", "", None, ()),
        (text("DPTYPE", "Data product type"), "", "", None, ("image", "cube")),
        (Field("CALIB", "int", "Calibration level"), "", "", ("0", "4"), ()),
        (text("TARGET", "Target name"), "", "", None, ()),
        (
            Field(
                "TIMERES",
                "double",
                f"Time resolution. {interval}",
                "time.resolution",
                unit="s",
                arraysize="2",
                xtype="interval",
            ),
            "",
            "",
            None,
            (),
        ),
        (
            Field(
                "SPECRP",
                "double",
                f"Spectral resolving power. {interval}",
                "spect.resolution",
                arraysize="2",
                xtype="interval",
            ),
            "",
            "",
            None,
            (),
        ),
        (
            text("FORMAT", "Format of the data products"),
            "",
            "",
            None,
            ("image/fits", obscore.DATALINK_MIME),
        ),
        (
            Field("MAXREC", "int", "Most rows returned"),
            "",
            "",
            ("0", str(services().settings.vo.max_maxrec)),
            (),
        ),
    ]
    return Descriptor(
        "sia2-query", SIA2_QUERY, f"{base}/sia/v2/query", "This SIA 2.0 query", params
    )


@blueprint.route("/query", methods=["GET", "POST"])
def query() -> Response:
    """Exposure solutions matching the constraints, one ObsCore row each."""
    params = request_params()
    svc = services()
    vo = svc.settings.vo
    choice("RESPONSEFORMAT", params.one("RESPONSEFORMAT"), sia2.RESPONSE_FORMATS)
    parsed = sia2.parse(params, vo.default_maxrec, vo.max_maxrec)
    base = base_url()
    rows, overflow = [], False
    if parsed.maxrec > 0 and parsed.constant_match:
        limit = None if parsed.timeres else parsed.maxrec
        result = svc.catalog.search(dataclasses.replace(parsed.catalog, maxrec=limit))
        rows = [r for r in result.rows if sia2.passes_timeres(r.exptime_s, parsed.timeres)]
        overflow = result.overflow or len(rows) > parsed.maxrec
        rows = rows[: parsed.maxrec]
    descriptors = [
        soda.descriptor(f"{base}/soda/sync", "obs_publisher_did", svc.settings),
        self_description(base),
    ]
    return table_response(
        obscore.FIELDS,
        (obscore.row(r, base) for r in rows),
        overflow=overflow,
        infos=[("standardID", SIA2_QUERY)],
        descriptors=descriptors,
    )
