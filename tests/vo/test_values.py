"""The parameter parsers: typed values, and exact messages for bad input."""

import math

import pytest

from service.faults import MultiValuedParamNotSupported, UsageFault
from service.sky import Circle, Polygon, Range
from service.vo.values import Params, interval, maxrec, pos


def test_names_are_case_insensitive_and_values_ordered():
    params = Params([("pos", "a"), ("POS", "b"), ("Maxrec", "3"), ("empty", " ")])
    assert params.all("Pos") == ["a", "b"]
    assert params.one("MAXREC") == "3"
    assert params.all("EMPTY") == []
    with pytest.raises(MultiValuedParamNotSupported, match="Field POS: given 2 times"):
        params.one("pos")


@pytest.mark.parametrize(
    ("text", "region"),
    [
        ("CIRCLE 12 13 0.5", Circle(12, 13, 0.5)),
        ("circle 12 13 0.5", Circle(12, 13, 0.5)),
        ("RANGE 10 20 -5 5", Range(10, 20, -5, 5)),
        ("RANGE 350 10 -5 5", Range(350, 10, -5, 5)),
        ("RANGE -Inf +Inf 80 +Inf", Range(0, 360, 80, 90)),
        ("POLYGON 10 0 12 0 11 2", Polygon(((10, 0), (12, 0), (11, 2)))),
    ],
)
def test_pos_shapes(text, region):
    assert pos("POS", text) == region


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("CIRCLE 12 13", "Field POS: Invalid CIRCLE: 'CIRCLE 12 13' (need exactly three numbers)"),
        ("CIRCLE 12 x 1", "Field POS: Invalid CIRCLE: 'CIRCLE 12 x 1' (not a number)"),
        ("CIRCLE 12 95 1", "Field POS: Invalid CIRCLE: 'CIRCLE 12 95 1' (Dec 95 not in [-90, 90])"),
        ("CIRCLE 400 5 1", "Field POS: Invalid CIRCLE: 'CIRCLE 400 5 1' (RA 400 not in [0, 360])"),
        ("CIRCLE 1 5 0", "Field POS: Invalid CIRCLE: 'CIRCLE 1 5 0' (radius 0 not in (0, 180])"),
        ("CIRCLE 1 5 nan", "Field POS: Invalid CIRCLE: 'CIRCLE 1 5 nan' (not a finite number)"),
        ("RANGE 1 2 3", "Field POS: Invalid RANGE: 'RANGE 1 2 3' (need exactly four numbers)"),
        ("RANGE 1 2 5 3", "Field POS: Invalid RANGE: 'RANGE 1 2 5 3' (lower Dec above upper)"),
        (
            "POLYGON 1 2 3 4",
            "Field POS: Invalid POLYGON: 'POLYGON 1 2 3 4' (need an even number of at least six numbers)",
        ),
        (
            "POLYGON 0 0 2 0 1 0.2 2 2 0 2",
            "Field POS: Invalid POLYGON: 'POLYGON 0 0 2 0 1 0.2 2 2 0 2' (only convex polygons are supported)",
        ),
        (
            "BOX 1 2 3 4",
            "Field POS: Invalid shape in 'BOX 1 2 3 4' (expected CIRCLE, RANGE or POLYGON)",
        ),
        ("", "Field POS: Invalid shape in '' (expected CIRCLE, RANGE or POLYGON)"),
        (
            "CIRCLE " + "1 " * 100,
            "Field POS: Invalid CIRCLE: 'CIRCLE 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1...' (need exactly three numbers)",
        ),
    ],
)
def test_pos_refusals_name_the_field_and_echo_the_input(text, message):
    with pytest.raises(UsageFault) as caught:
        pos("POS", text)
    assert str(caught.value) == message


def test_intervals():
    assert interval("TIME", "50000 +Inf") == (50000, math.inf)
    assert interval("TIME", "-Inf 3") == (-math.inf, 3)
    assert interval("TIME", "24818.22") == (24818.22, 24818.22)  # one value: zero width
    for text, why in [
        ("5 6 7", "need one or two numbers"),
        ("5 a", "not a number"),
        ("5 3", "lower limit above upper"),
        ("NaN 3", "not a number"),
    ]:
        with pytest.raises(UsageFault, match=f"Field TIME: Invalid interval: .*\\({why}\\)"):
            interval("TIME", text)
    with pytest.raises(UsageFault, match=r"outside \[0, inf\]"):
        interval("EXPTIME", "-5 -1", low=0)


def test_maxrec_default_limit_and_refusals():
    assert maxrec(Params([]), 50, 200) == 50
    assert maxrec(Params([("MAXREC", "0")]), 50, 200) == 0
    assert maxrec(Params([("MAXREC", "10000000")]), 50, 200) == 200
    with pytest.raises(UsageFault, match="Field MAXREC: value -1 not in"):
        maxrec(Params([("MAXREC", "-1")]), 50, 200)
    with pytest.raises(UsageFault, match="Field MAXREC: Invalid value 'ten'"):
        maxrec(Params([("MAXREC", "ten")]), 50, 200)
    with pytest.raises(MultiValuedParamNotSupported):
        maxrec(Params([("MAXREC", "1"), ("maxrec", "2")]), 50, 200)
