"""VO request parameters (:class:`Params`: collected case-insensitively) and the pure
parsers of their values: positions, regions, intervals, numbers, keywords.

Every parser names the parameter and echoes the (shortened) input when it refuses
it, e.g. ``Field POS: Invalid CIRCLE: 'CIRCLE 12 13' (need exactly three numbers)``;
a position is checked by one rule with one message wherever it appears (SIA 2.0 and
SODA regions, SIA 1.0's POS, the web page's form). Depends only on
:mod:`service.faults` and the sky geometry types.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

from service.faults import MultiValuedParamNotSupported, UsageFault
from service.sky import (
    Circle,
    Polygon,
    Range,
    Region,
    convexity,
    orient,
    unit,
)

Interval = tuple[float, float]
_SHOW = 60  # characters of a bad value echoed in a message
#: most vertices of a POLYGON (a form post can carry ~20,000; checks are linear anyway)
MAX_POLYGON_VERTICES = 1000


def shown(value: str, limit: int = _SHOW) -> str:
    """A value as echoed in a message: quoted, at most ``limit`` characters of it, and
    control characters escaped (the message may go into XML)."""
    cut = value if len(value) <= limit else value[:limit] + "..."
    return repr(cut)


class Params:
    """Parameters of one request (query string and form body together), names folded
    to upper case; values keep their order.

    Parameters
    ----------
    pairs
        (name, value) pairs as received.
    """

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        self._pairs: list[tuple[str, str]] = []
        for name, value in pairs:
            self._values.setdefault(name.upper(), []).append(value)
            self._pairs.append((name.upper(), value))

    def pairs(self) -> list[tuple[str, str]]:
        """Every (NAME, value) as received, names in upper case."""
        return list(self._pairs)

    def __contains__(self, name: str) -> bool:
        return name.upper() in self._values

    def names(self) -> list[str]:
        """Names present (upper case)."""
        return list(self._values)

    def all(self, name: str) -> list[str]:
        """Every value of ``name`` (empty values dropped)."""
        return [v for v in self._values.get(name.upper(), []) if v.strip()]

    def one(self, name: str, default: str | None = None, endpoint: str = "") -> str | None:
        """The single value of ``name``, or ``default``.

        Raises
        ------
        MultiValuedParamNotSupported
            If the parameter was given more than once.
        """
        values = self.all(name)
        if len(values) > 1:
            where = f"; use {endpoint}" if endpoint else ""
            raise MultiValuedParamNotSupported(
                f"Field {name.upper()}: given {len(values)} times, one value is supported{where}"
            )
        return values[0] if values else default


def _numbers(field: str, shape: str, text: str, words: list[str]) -> list[float]:
    try:
        values = [float(w) for w in words]
    except ValueError:
        raise UsageFault(f"Field {field}: Invalid {shape}: {shown(text)} (not a number)") from None
    if not all(math.isfinite(v) for v in values):
        raise UsageFault(f"Field {field}: Invalid {shape}: {shown(text)} (not a finite number)")
    return values


def _invalid(field: str, shape: str, text: str, why: str) -> UsageFault:
    """The refusal of a value: ``Field F: Invalid SHAPE: 'text' (why)``, or ``Invalid
    value 'text' (why)`` for a plain value."""
    what = "value " if shape == "value" else f"{shape}: "
    return UsageFault(f"Field {field}: Invalid {what}{shown(text)} ({why})")


def _check_position(field: str, shape: str, text: str, ra: float, dec: float) -> None:
    if not 0.0 <= ra <= 360.0:
        raise _invalid(field, shape, text, f"RA {ra:g} not in [0, 360]")
    if not -90.0 <= dec <= 90.0:
        raise _invalid(field, shape, text, f"Dec {dec:g} not in [-90, 90]")


#: what a position may look like, for messages
POSITION_FORMS = "RA and Dec in degrees (10.684 41.269) or sexagesimal (00:42:44.3 +41:16:09)"


def position(field: str, text: str) -> tuple[float, float]:
    """Parse a position: ``ra dec`` or ``ra,dec`` in degrees, or sexagesimal hours and
    degrees (``00:42:44.3 +41:16:09``, ``0h42m44.3s +41d16m09s``); ICRS.

    Raises
    ------
    UsageFault
        Naming the field, echoing the text: not understood, or outside the sky.
    """
    words = text.replace(",", " ").split()
    if not words:
        raise UsageFault(f"Field {field}: missing ({POSITION_FORMS})")
    try:
        ra, dec = (float(w) for w in words)
    except ValueError:
        ra, dec = _sexagesimal(field, text, words)
    if not (math.isfinite(ra) and math.isfinite(dec)):
        raise _invalid(field, "value", text, "not a finite number")
    _check_position(field, "value", text, ra, dec)
    return ra, dec


def _sexagesimal(field: str, text: str, words: list[str]) -> tuple[float, float]:
    """RA (hours) and Dec (degrees) written sexagesimally, or the refusal."""
    not_understood = _invalid(field, "value", text, f"not understood: {POSITION_FORMS}")
    if len(words) == 6:  # "00 42 44.3 +41 16 09"
        words = [":".join(words[:3]), ":".join(words[3:])]
    if len(words) != 2 or not any(c in "".join(words) for c in ":hmsd") or text[:1].isalpha():
        raise not_understood
    from astropy import units as u  # only for sexagesimal input
    from astropy.coordinates import Angle

    try:
        ra_unit = u.deg if "d" in words[0] else u.hourangle  # "10.68d": degrees
        ra = Angle(words[0], unit=ra_unit).degree
        dec = Angle(words[1], unit=u.deg).degree
    except (ValueError, u.UnitsError):
        raise not_understood from None
    return float(ra), float(dec)


def circle(field: str, text: str, words: list[str] | None = None) -> Circle:
    """Parse ``ra dec radius`` (degrees) into a :class:`Circle`."""
    words = text.split() if words is None else words
    if len(words) != 3:
        raise UsageFault(
            f"Field {field}: Invalid CIRCLE: {shown(text)} (need exactly three numbers)"
        )
    ra, dec, radius = _numbers(field, "CIRCLE", text, words)
    _check_position(field, "CIRCLE", text, ra, dec)
    if not 0.0 < radius <= 180.0:
        raise UsageFault(
            f"Field {field}: Invalid CIRCLE: {shown(text)} (radius {radius:g} not in (0, 180])"
        )
    return Circle(ra, dec, radius)


def range_(field: str, text: str, words: list[str] | None = None) -> Range:
    """Parse ``ra1 ra2 dec1 dec2`` (degrees, ``-Inf``/``+Inf`` allowed) into a :class:`Range`;
    ``ra1 > ra2`` is a box across RA = 0."""
    words = text.split() if words is None else words
    if len(words) != 4:
        raise UsageFault(f"Field {field}: Invalid RANGE: {shown(text)} (need exactly four numbers)")
    try:
        ra1, ra2, dec1, dec2 = (float(w) for w in words)
    except ValueError:
        raise UsageFault(f"Field {field}: Invalid RANGE: {shown(text)} (not a number)") from None
    if any(math.isnan(v) for v in (ra1, ra2, dec1, dec2)):
        raise UsageFault(f"Field {field}: Invalid RANGE: {shown(text)} (not a number)")
    # -Inf/+Inf are open ends; a finite value must be on the sky, as in CIRCLE
    if any(math.isfinite(v) and not 0.0 <= v <= 360.0 for v in (ra1, ra2)):
        raise UsageFault(f"Field {field}: Invalid RANGE: {shown(text)} (RA not in [0, 360])")
    if any(math.isfinite(v) and not -90.0 <= v <= 90.0 for v in (dec1, dec2)):
        raise UsageFault(f"Field {field}: Invalid RANGE: {shown(text)} (Dec not in [-90, 90])")
    ra1, ra2 = max(ra1, 0.0), min(ra2, 360.0)
    dec1, dec2 = max(dec1, -90.0), min(dec2, 90.0)
    if dec1 > dec2:
        raise UsageFault(f"Field {field}: Invalid RANGE: {shown(text)} (lower Dec above upper)")
    if ra1 == 0.0 and ra2 == 360.0:
        return Range(0.0, 360.0, dec1, dec2)
    return Range(ra1, ra2, dec1, dec2)


def polygon(field: str, text: str, words: list[str] | None = None) -> Polygon:
    """Parse ``ra1 dec1 ra2 dec2 ra3 dec3 ...`` (degrees) into a convex :class:`Polygon`."""
    words = text.split() if words is None else words
    if len(words) < 6 or len(words) % 2:
        raise UsageFault(
            f"Field {field}: Invalid POLYGON: {shown(text)} (need an even number of at least six"
            " numbers)"
        )
    if len(words) > 2 * MAX_POLYGON_VERTICES:
        raise UsageFault(
            f"Field {field}: Invalid POLYGON: {shown(text)} ({len(words) // 2} vertices, at most "
            f"{MAX_POLYGON_VERTICES})"
        )
    values = _numbers(field, "POLYGON", text, words)
    vertices = tuple(zip(values[::2], values[1::2], strict=True))
    for ra, dec in vertices:
        _check_position(field, "POLYGON", text, ra, dec)
    ra, dec = np.array(vertices).T
    problem = convexity(orient(unit(ra, dec)))
    # vertices on one line of RA and Dec (what a client means by collinear) enclose a
    # sliver of a great-circle polygon, not a region: refused as well
    x = (ra - ra[0] + 180.0) % 360.0 - 180.0
    area = 0.5 * abs(float(np.sum(x * np.roll(dec, -1) - np.roll(x, -1) * dec)))
    if problem is None and area <= 1e-9 * float(np.ptp(x) ** 2 + np.ptp(dec) ** 2):
        problem = "its vertices enclose no area"
    if problem:
        raise UsageFault(f"Field {field}: Invalid POLYGON: {shown(text)} ({problem})")
    return Polygon(vertices)


_SHAPES = {"CIRCLE": circle, "RANGE": range_, "POLYGON": polygon}


def pos(field: str, text: str) -> Region:
    """Parse a SIA 2.0 / SODA ``POS``: ``CIRCLE ...``, ``RANGE ...`` or ``POLYGON ...``
    (keyword in any case)."""
    words = text.split()
    shape = words[0].upper() if words else ""
    if shape not in _SHAPES:
        raise UsageFault(
            f"Field {field}: Invalid shape in {shown(text)} (expected CIRCLE, RANGE or POLYGON)"
        )
    return _SHAPES[shape](field, text, words[1:])


def interval(field: str, text: str, low: float = -math.inf, high: float = math.inf) -> Interval:
    """Parse a DALI interval ``lo hi`` (``-Inf``/``+Inf`` for open ends); one number is an
    interval of zero width (SIA 2.0's own examples: ``TIME=55123.456``)."""
    words = text.split()
    if len(words) == 1:
        words = words * 2
    if len(words) != 2:
        raise UsageFault(
            f"Field {field}: Invalid interval: {shown(text)} (need one or two numbers)"
        )
    try:
        lo, hi = float(words[0]), float(words[1])
    except ValueError:
        raise UsageFault(f"Field {field}: Invalid interval: {shown(text)} (not a number)") from None
    if math.isnan(lo) or math.isnan(hi):
        raise UsageFault(f"Field {field}: Invalid interval: {shown(text)} (not a number)")
    if lo > hi:
        raise UsageFault(
            f"Field {field}: Invalid interval: {shown(text)} (lower limit above upper)"
        )
    if hi < low or lo > high:
        raise UsageFault(
            f"Field {field}: Invalid interval: {shown(text)} (outside [{low:g}, {high:g}])"
        )
    return lo, hi


def intervals(params: Params, name: str, **limits: float) -> tuple[Interval, ...]:
    """Every value of an interval parameter."""
    return tuple(interval(name, v, **limits) for v in params.all(name))


def number(
    field: str, text: str, low: float = -math.inf, high: float = math.inf, kind: type = float
) -> float:
    """Parse one number within [low, high]."""
    try:
        value = kind(text.strip())
    except ValueError:
        raise UsageFault(f"Field {field}: Invalid value {shown(text)} (not a number)") from None
    if not (low <= value <= high):
        raise UsageFault(f"Field {field}: value {value:g} not in [{low:g}, {high:g}]")
    return value


def maxrec(params: Params, default: int, limit: int) -> int:
    """The DALI MAXREC: default if absent, lowered to ``limit`` if larger."""
    text = params.one("MAXREC")
    if text is None:
        return min(default, limit)
    value = int(number("MAXREC", text, 0, math.inf, int))
    return min(value, limit)


def boolean(field: str, text: str | None, default: bool = False) -> bool:
    """Parse true/false, yes/no, 1/0."""
    if text is None:
        return default
    lowered = text.strip().lower()
    if lowered in {"true", "yes", "1", "on"}:
        return True
    if lowered in {"false", "no", "0", "off"}:
        return False
    raise UsageFault(f"Field {field}: Invalid value {shown(text)} (expected true or false)")


def choice(field: str, text: str | None, options: Mapping[str, str] | Iterable[str]) -> str | None:
    """Check a keyword against the accepted ones (case-insensitive)."""
    if text is None:
        return None
    allowed = {o.lower(): o for o in options}
    if text.strip().lower() not in allowed:
        raise UsageFault(
            f"Field {field}: Invalid value {shown(text)} (expected one of {', '.join(allowed)})"
        )
    return allowed[text.strip().lower()]
