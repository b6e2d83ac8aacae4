"""The service's VOResource records and a minimal OAI-PMH publishing registry
(Identify, ListMetadataFormats, ListSets, ListIdentifiers, ListRecords, GetRecord;
no resumption tokens: three records fit in one answer)."""

from __future__ import annotations

import dataclasses

from service.settings import ServiceSettings
from service.vo.values import Params

VERBS = (
    "Identify",
    "ListMetadataFormats",
    "ListSets",
    "ListIdentifiers",
    "ListRecords",
    "GetRecord",
)
PREFIXES = ("ivo_vor", "oai_dc")
_ARGUMENTS = {
    "Identify": set(),
    "ListSets": {"resumptionToken"},
    "ListMetadataFormats": {"identifier"},
    "ListIdentifiers": {"metadataPrefix", "from", "until", "set", "resumptionToken"},
    "ListRecords": {"metadataPrefix", "from", "until", "set", "resumptionToken"},
    "GetRecord": {"identifier", "metadataPrefix"},
}


@dataclasses.dataclass(frozen=True)
class Record:
    """One VOResource record."""

    kind: str  # service, registry, authority
    xsi_type: str
    identifier: str
    title: str
    description: str
    subject: str
    created: str
    updated: str


def records(service: ServiceSettings, updated: str) -> list[Record]:
    """The service, its publishing registry and its authority."""
    stamp = f"{updated}T00:00:00Z"
    auth = f"ivo://{service.authority}"
    return [
        Record(
            "service",
            "vs:CatalogService",
            f"{auth}/{service.ivo_path}",
            service.title,
            service.description,
            "photographic plates",
            stamp,
            stamp,
        ),
        Record(
            "registry",
            "vg:Registry",
            f"{auth}/registry",
            f"{service.title} registry",
            f"Publishing registry of {service.title}.",
            "virtual observatory",
            stamp,
            stamp,
        ),
        Record(
            "authority",
            "vg:Authority",
            auth,
            f"{service.publisher} authority",
            f"Naming authority of {service.publisher}.",
            "virtual observatory",
            stamp,
            stamp,
        ),
    ]


@dataclasses.dataclass(frozen=True)
class OaiAnswer:
    """What the OAI-PMH template renders: the verb, an error or the records."""

    verb: str
    error: tuple[str, str] | None = None
    records: tuple[Record, ...] = ()
    prefix: str = "ivo_vor"


def answer(params: Params, all_records: list[Record]) -> OaiAnswer:
    """Evaluate one OAI-PMH request (OAI-PMH 2.0 error codes for bad ones)."""
    verb = params.one("verb") or ""
    if verb not in VERBS:
        return OaiAnswer(verb, ("badVerb", f"verb {verb!r} is not an OAI-PMH verb"))
    given = {n.lower() for n in params.names()} - {"verb"}
    allowed = {a.lower() for a in _ARGUMENTS[verb]}
    if given - allowed:
        return OaiAnswer(
            verb, ("badArgument", f"{verb} takes no {', '.join(sorted(given - allowed))}")
        )
    if "resumptiontoken" in given:
        return OaiAnswer(verb, ("badResumptionToken", "this registry issues no resumption tokens"))
    prefix = params.one("metadataPrefix") or ""
    if verb in ("ListIdentifiers", "ListRecords", "GetRecord"):
        if not prefix:
            return OaiAnswer(verb, ("badArgument", "metadataPrefix is required"))
        if prefix not in PREFIXES:
            return OaiAnswer(verb, ("cannotDisseminateFormat", f"no metadata format {prefix!r}"))
    chosen = all_records
    identifier = params.one("identifier")
    if verb == "GetRecord" and not identifier:
        return OaiAnswer(verb, ("badArgument", "identifier is required"))
    if identifier:
        chosen = [r for r in all_records if r.identifier == identifier]
        if not chosen:
            return OaiAnswer(verb, ("idDoesNotExist", f"no record {identifier!r}"))
    setspec = params.one("set")
    if setspec and setspec != "ivo_managed":
        return OaiAnswer(verb, ("noRecordsMatch", f"no set {setspec!r}"))
    since, until = params.one("from") or "", params.one("until") or "9999"
    chosen = [r for r in chosen if since[:10] <= r.updated[:10] <= until[:10]]
    if not chosen and verb in ("ListIdentifiers", "ListRecords"):
        return OaiAnswer(verb, ("noRecordsMatch", "no record in that interval"))
    return OaiAnswer(verb, None, tuple(chosen), prefix or "ivo_vor")
