"""Times as clients write them: ISO 8601 instants (UWS DESTRUCTION and AFTER, job
documents) and dates of observation (the web form, the command line, DASCH's API).

The one parser of each; depends on nothing else in the package.
"""

from __future__ import annotations

import datetime
import math
import re

MJD_EPOCH = datetime.datetime(1858, 11, 17, tzinfo=datetime.UTC)
_YEAR = re.compile(r"^\d{4}$")


def instant(text: str) -> datetime.datetime:
    """An ISO 8601 date or time as an aware UTC datetime (no zone: UTC; 'Z' allowed).

    Raises
    ------
    ValueError
        If the text is no ISO 8601 date or time.
    """
    moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.astimezone(datetime.UTC)


def iso(moment: datetime.datetime | None) -> str:
    """xs:dateTime form, UTC, to the second ('Z'); '' for None."""
    return "" if moment is None else moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def mjd(text: str) -> float:
    """The MJD of a date as people write it: a year (``1925``: its first day), an ISO
    date or time (``1925-03-01``, ``1925-03-01T04:05:06``), or an MJD (``24226.5``).

    UTC before 1960 is taken as the ISO calendar says (the plates' logbooks did the
    same); no leap seconds are applied.

    Raises
    ------
    ValueError
        If the text is none of these.
    """
    text = text.strip()
    if _YEAR.match(text):
        text = f"{text}-01-01"
    else:
        try:
            value = float(text)
        except ValueError:
            pass
        else:
            if not math.isfinite(value):
                raise ValueError(f"{text!r} is not a finite MJD")
            return value
    return mjd_of_instant(instant(text))


def mjd_of_instant(moment: datetime.datetime) -> float:
    """The MJD of an aware datetime."""
    return (moment - MJD_EPOCH).total_seconds() / 86400.0


def mjd_to_iso(value: float) -> str:
    """An MJD as an ISO 8601 UTC time to the second (``1925-03-01T04:05:06``)."""
    moment = MJD_EPOCH + datetime.timedelta(days=value)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")
