"""What the service offers, for VOSI capabilities and the VOResource record."""

from __future__ import annotations

import dataclasses

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


#: services by their VOSI prefix ("" is the root, which lists everything)
SERVICES: dict[str, tuple[Capability, ...]] = {
    "/sia/v2": (
        Capability(
            "ivo://ivoa.net/std/SIA#query-2.0",
            "/sia/v2/query",
            "SIA 2.0 discovery of exposure solutions",
            version="2.0",
        ),
        Capability(
            "ivo://ivoa.net/std/SIA#query-aux-2.0",
            "/sia/v2/query",
            "SIA 2.0 with DataLink and SODA cutouts",
            version="2.0",
        ),
    ),
    "/sia/v1": (
        Capability(
            "ivo://ivoa.net/std/SIA",
            "/sia/v1/query",
            "SIA 1.0 image generation: cutouts on a common grid",
            version="1.0",
        ),
    ),
    "/soda": (
        Capability(
            "ivo://ivoa.net/std/SODA#sync-1.0", "/soda/sync", "SODA sync cutouts", version="1.0"
        ),
    ),
    "/datalink": (
        Capability(
            "ivo://ivoa.net/std/DataLink#links-1.1",
            "/datalink/links",
            "DataLink links of exposure solutions",
            version="1.1",
        ),
    ),
}
VOSI_PREFIXES = ("/sia/v2", "/soda", "/datalink", "")


def capabilities(prefix: str) -> list[Capability]:
    """Capabilities listed at ``<prefix>/capabilities``, VOSI ones included."""
    chosen = [c for p, caps in SERVICES.items() if prefix in ("", p) for c in caps]
    return [
        *chosen,
        Capability(VOSI_CAPABILITIES, f"{prefix}/capabilities", "VOSI capabilities", use="full"),
        Capability(VOSI_AVAILABILITY, f"{prefix}/availability", "VOSI availability", use="full"),
    ]
