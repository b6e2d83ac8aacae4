"""Identifiers as clients give them: an exposure solution's publisher DID (an IVOID,
``ivo://authority/path?obs_id``) or its bare obs_id. The one function that turns
either into the catalog's obs_id, for SIA 2.0, SODA, DataLink and the jobs.

Depends on the settings' service identity, the faults and how values are echoed.
"""

from __future__ import annotations

from service.faults import NotFoundFault
from service.settings import ServiceSettings
from service.vo.values import shown


def obs_id_of(identifier: str, service: ServiceSettings) -> str:
    """The obs_id of a publisher DID of this service (or of a bare obs_id). IVOIDs are
    compared case-insensitively (IVOA Identifiers 2.0, SIA 2.0 section 2.6: the whole
    identifier); obs_ids are lower case (plate identifiers are), so an identifier in any
    case names the same exposure.

    Raises
    ------
    NotFoundFault
        For an identifier of another service.
    """
    identifier = identifier.strip()
    if "?" not in identifier and "/" not in identifier:
        return identifier.lower()
    prefix = service.publisher_did("")
    head, _, local = identifier.partition("?")
    if head.lower() != prefix.rstrip("?").lower() or not local:
        raise NotFoundFault(
            f"{shown(identifier, 120)} is not an identifier of this service ({prefix}...)"
        )
    return local.lower()
