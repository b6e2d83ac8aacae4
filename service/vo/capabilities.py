"""What the service offers, for VOSI capabilities and the VOResource record: each
capability with the input parameters of its protocol's table."""

from __future__ import annotations

import dataclasses

from service.settings import Settings
from service.vo import datalink, sia1, sia2, soda
from service.vo.parameters import ParamTable, capability_params

VOSI_CAPABILITIES = "ivo://ivoa.net/std/VOSI#capabilities"
VOSI_AVAILABILITY = "ivo://ivoa.net/std/VOSI#availability"


@dataclasses.dataclass(frozen=True)
class Capability:
    """One capability: a standard, and where and how it answers."""

    standard_id: str
    path: str
    description: str
    use: str = "base"  # accessURL use: base (parameters appended) or full
    version: str = ""
    role: str = "std"
    table: str = ""  # the protocol whose parameters the interface lists
    result: str = ""  # the MIME type of its answers
    params: tuple[dict[str, str], ...] = ()


#: services by their VOSI prefix ("" is the root, which lists everything)
SERVICES: dict[str, tuple[Capability, ...]] = {
    "/sia/v2": (
        Capability(
            "ivo://ivoa.net/std/SIA#query-2.0",
            "/sia/v2/query",
            "SIA 2.0 discovery of exposure solutions",
            version="2.0",
            table="sia2",
            result="application/x-votable+xml",
        ),
        Capability(
            "ivo://ivoa.net/std/SIA#query-aux-2.0",
            "/sia/v2/query",
            "SIA 2.0 with DataLink and SODA cutouts",
            version="2.0",
            table="sia2",
            result="application/x-votable+xml",
        ),
    ),
    "/sia/v1": (
        Capability(
            "ivo://ivoa.net/std/SIA",
            "/sia/v1/query",
            "SIA 1.0 image generation: cutouts on a common grid",
            version="1.0",
            table="sia1",
            result="application/x-votable+xml",
        ),
    ),
    "/soda": (
        Capability(
            "ivo://ivoa.net/std/SODA#sync-1.0",
            "/soda/sync",
            "SODA sync cutouts",
            version="1.0",
            table="soda-sync",
            result="application/fits",
        ),
        Capability(
            "ivo://ivoa.net/std/SODA#async-1.0",
            "/soda/async",
            "SODA async cutouts (UWS 1.1): any number of IDs and regions, or a stack of every "
            "exposure of a position",
            version="1.0",
            table="soda-async",
            result="application/xml",
        ),
    ),
    "/datalink": (
        Capability(
            "ivo://ivoa.net/std/DataLink#links-1.1",
            "/datalink/links",
            "DataLink links of exposure solutions",
            version="1.1",
            table="datalink",
            result="application/x-votable+xml;content=datalink",
        ),
    ),
}
VOSI_PREFIXES = ("/sia/v2", "/soda", "/datalink", "")


def tables(settings: Settings) -> dict[str, ParamTable]:
    """Every protocol's parameter table, by name."""
    c, vo = settings.cutout, settings.vo
    made = (
        sia2.table(vo.default_maxrec, vo.max_maxrec),
        sia1.table(c.default_scale_arcsec, c.default_size),
        soda.table(settings),
        soda.table(settings, several=True),
        datalink.table(vo.max_ids),
    )
    return {t.protocol: t for t in made}


def capabilities(prefix: str, settings: Settings) -> list[Capability]:
    """Capabilities listed at ``<prefix>/capabilities``, VOSI ones included. At the root
    (and in the registry record) each interface lists its protocol's input parameters;
    the capabilities beside each service, which pyvo reads when a service is opened,
    do not: pyvo 1.9 does not implement ``<param>`` in a ParamHTTP interface and warns
    about every one."""
    known = tables(settings)
    chosen = [
        dataclasses.replace(c, params=tuple(capability_params(known[c.table])))
        if c.table and prefix == ""
        else c
        for p, caps in SERVICES.items()
        if prefix in ("", p)
        for c in caps
    ]
    return [
        *chosen,
        Capability(VOSI_CAPABILITIES, f"{prefix}/capabilities", "VOSI capabilities", use="full"),
        Capability(VOSI_AVAILABILITY, f"{prefix}/availability", "VOSI availability", use="full"),
    ]
