"""The one hierarchy of faults. :mod:`service.errors` maps them to HTTP responses.

Each fault carries its HTTP status and the word its message starts with: ``label``
in SODA's text/plain errors (SODA 1.0 section 5.2), ``dali_label`` in VOTable
error documents and DataLink rows (DataLink 1.1 section 3.4). Depends on nothing
else in the package.
"""

from __future__ import annotations


class Fault(Exception):
    """Base of every fault a request can end in; ``str(fault)`` is safe to show a user,
    ``detail`` (where the fault happened: buckets, keys, endpoints) goes to the log only."""

    label = "Error"
    dali_label = "DefaultFault"
    status = 500

    def __init__(self, message: str = "", detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail


class UsageFault(Fault):
    """The request is wrong (bad parameter, limit exceeded): HTTP 400."""

    label = "UsageError"
    dali_label = "UsageFault"
    status = 400


class MultiValuedParamNotSupported(UsageFault):
    """A parameter was given several values where one is supported: HTTP 400."""

    label = "MultiValuedParamNotSupported"
    dali_label = "MultiValuedParamNotSupported"


class NotFoundFault(Fault):
    """A named thing (plate, object, identifier) does not exist: HTTP 404 (SODA has no
    word of its own for it: its text starts with ``Error``)."""

    label = "Error"
    dali_label = "NotFoundFault"
    status = 404


class TransientFault(Fault):
    """A dependency failed in a way that may pass (throttling, 5xx, timeout): HTTP 503."""

    label = "ServiceUnavailable"
    dali_label = "TransientFault"
    status = 503


class FatalFault(Fault):
    """The service cannot answer (corrupt data, broken configuration): HTTP 500."""

    label = "Error"
    dali_label = "FatalFault"
    status = 500


class CorruptDataFault(FatalFault):
    """Stored data could not be decoded (corrupt tile, bad header)."""
