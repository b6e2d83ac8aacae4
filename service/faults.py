"""The one hierarchy of faults. :mod:`service.errors` maps them to HTTP responses.

Depends on nothing else in the package.
"""

from __future__ import annotations


class Fault(Exception):
    """Base of every fault a request can end in; ``str(fault)`` is safe to show a user."""

    label = "Error"


class UsageFault(Fault):
    """The request is wrong (bad parameter, limit exceeded): HTTP 400."""

    label = "UsageError"


class MultiValuedParamNotSupported(UsageFault):
    """A parameter was given several values where one is supported: HTTP 400."""

    label = "MultiValuedParamNotSupported"


class NotFoundFault(Fault):
    """A named thing (plate, object, identifier) does not exist: HTTP 404."""

    label = "NotFound"


class TransientFault(Fault):
    """A dependency failed in a way that may pass (throttling, 5xx, timeout): HTTP 503."""

    label = "TransientFault"


class FatalFault(Fault):
    """The service cannot answer (corrupt data, broken configuration): HTTP 500."""

    label = "Error"


class CorruptDataFault(FatalFault):
    """Stored data could not be decoded (corrupt tile, bad header)."""
