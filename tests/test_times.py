"""ISO instants and dates of observation, against astropy's Time (an independent
implementation of the same calendar)."""

from __future__ import annotations

import datetime
import warnings

import pytest
from astropy.time import Time
from erfa import ErfaWarning

from service.times import instant, iso, mjd, mjd_to_iso


@pytest.mark.parametrize(
    "text",
    ["1889-11-30", "1905-03-01T04:05:06", "1925-12-31T23:59:59.5", "1989-06-30", "2024-02-29"],
)
def test_mjd_of_iso_dates_equals_astropy(text):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ErfaWarning)
        expected = Time(text, scale="utc").mjd
    assert mjd(text) == pytest.approx(expected, abs=1e-9)


def test_a_year_is_its_first_day_and_a_number_an_mjd():
    assert mjd("1926") == mjd("1926-01-01")
    assert mjd(" 24210.5 ") == 24210.5
    for bad in ("last year", "1926-13-01", "nan", ""):
        with pytest.raises(ValueError):
            mjd(bad)


def test_instants_are_utc_whatever_they_say():
    assert instant("2026-12-04T10:00:00Z") == datetime.datetime(
        2026, 12, 4, 10, tzinfo=datetime.UTC
    )
    assert instant("2026-12-04T12:00:00+02:00") == instant("2026-12-04T10:00:00")
    assert iso(instant("2026-12-04T12:00:00+02:00")) == "2026-12-04T10:00:00Z"
    assert iso(None) == ""
    with pytest.raises(ValueError):
        instant("yesterday")


def test_mjd_to_iso_round_trips():
    for text in ("1905-03-01T04:05:06", "1950-01-01T00:00:00"):
        assert mjd_to_iso(mjd(text)) == text
