"""One declarative table of parameters per protocol, and everything made from it.

A :class:`Param` says what a parameter is (name, kind, unit, UCD, default, range or
options, multiplicity, description); a :class:`ParamTable` lists a protocol's. From
the tables come the parsers (:meth:`ParamTable.parse`), the service descriptors'
input parameters, the VOSI capabilities' parameter lists, the README's parameter
tables (:func:`markdown`) and the bad-request test cases (:meth:`Param.bad_values`):
each rule is said once, here. The protocol modules (sia2, soda, sia1, datalink) hold
their tables and the rules that tie several parameters together.

Depends on :mod:`service.vo.values` (the pure value parsers) and :mod:`service.vo.votable`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from typing import Any

from service.faults import MultiValuedParamNotSupported, UsageFault
from service.vo.values import Params, boolean, choice, circle, interval, number, polygon, pos, shown
from service.vo.votable import Field

#: how each kind appears in VOTable PARAMs: (datatype, arraysize, xtype). Reals are
#: declared as arrays (of which a client gives one value): astropy reads an empty
#: scalar double as None, on which pyvo's ``processed()`` fails, and VOTable 1.3
#: deprecates arraysize="1"; an empty array is skipped by pyvo.
_VOTABLE = {
    "real": ("double", "*", ""),
    "integer": ("int", "", ""),
    "text": ("char", "*", ""),
    "keyword": ("char", "*", ""),
    "boolean": ("char", "*", ""),
    "interval": ("double", "2", "interval"),
    "circle": ("double", "3", "circle"),
    "polygon": ("double", "*", "polygon"),
    "shape": ("char", "*", ""),
    "pair": ("char", "*", ""),
}
#: the type names of VODataService's InputParam dataType
_VODS = {"double": "real", "int": "integer", "char": "char"}


@dataclasses.dataclass(frozen=True)
class Param:
    """One parameter of a protocol.

    Attributes
    ----------
    name
        As in requests (matched case-insensitively).
    kind
        real, integer, text, keyword, boolean, interval, circle, polygon, shape
        (POS: CIRCLE, RANGE or POLYGON) or pair (SIA 1.0's "a,b").
    default
        Used when the parameter is absent; stated in the description, never given
        as a descriptor value (a PARAM with a value is a fixed one).
    low, high
        Inclusive bounds of numbers (of both ends of intervals).
    options
        Accepted keywords (case-insensitive); ``aliases`` maps other spellings
        (DALI short forms) to one of them.
    multiple
        Several values are accepted (and OR); otherwise a second value is
        MultiValuedParamNotSupported.
    std
        Defined by the protocol's standard (else a custom parameter of Platecut).
    ref
        The descriptor PARAM's ``ref`` (the column a client takes the value from).
    """

    name: str
    kind: str
    description: str
    ucd: str = ""
    unit: str = ""
    default: Any = None
    low: float | None = None
    high: float | None = None
    options: tuple[str, ...] = ()
    aliases: Mapping[str, str] = dataclasses.field(default_factory=dict)
    multiple: bool = False
    required: bool = False
    std: bool = True
    ref: str = ""
    max_length: int = 1000  # characters of one value of a text, keyword or pair

    @property
    def field(self) -> Field:
        """The VOTable PARAM (or FIELD) describing it."""
        datatype, arraysize, xtype = _VOTABLE[self.kind]
        return Field(
            self.name,
            datatype,
            self.explained,
            self.ucd,
            unit=self.unit,
            arraysize=arraysize,
            xtype=xtype,
        )

    @property
    def explained(self) -> str:
        """The description with the default and the multiplicity."""
        text = self.description
        if self.default is not None and self.default != "":
            text += f" (default: {_show_default(self.default)})"
        if self.multiple:
            text += "; may be repeated"
        return text

    @property
    def bounds(self) -> tuple[str, str] | None:
        """(min, max) for a descriptor's VALUES, or None."""
        if self.low is None and self.high is None:
            return None
        return (_format(self.low), _format(self.high))

    def parse_one(self, text: str) -> Any:  # noqa: ANN401
        """One value of this parameter.

        Raises
        ------
        UsageFault
            Naming the parameter and echoing (shortened) the value.
        """
        low = -math.inf if self.low is None else self.low
        high = math.inf if self.high is None else self.high
        name = self.name
        if self.kind in ("text", "keyword", "pair") and len(text) > self.max_length:
            raise UsageFault(
                f"Field {name}: Invalid value {shown(text)} (longer than {self.max_length} "
                "characters)"
            )
        if self.kind == "real":
            return number(name, text, low, high)
        if self.kind == "integer":
            return int(number(name, text, low, high, int))
        if self.kind == "keyword":
            lowered = {k.lower(): v for k, v in self.aliases.items()}
            canonical = lowered.get(text.strip().lower())
            return canonical or choice(name, text, self.options)
        if self.kind == "boolean":
            return boolean(name, text)
        if self.kind == "interval":
            return interval(name, text, low, high)
        if self.kind == "circle":
            return circle(name, text)
        if self.kind == "polygon":
            return polygon(name, text)
        if self.kind == "shape":
            return pos(name, text)
        return text.strip()  # text and pair: the protocol module reads them

    def values(self, params: Params) -> list[Any]:
        """Every value given (parsed), or [default] / [] when none is."""
        texts = params.all(self.name)
        if len(texts) > 1 and not self.multiple:
            raise MultiValuedParamNotSupported(
                f"Field {self.name}: given {len(texts)} times, one value is supported"
            )
        if not texts:
            if self.required:
                raise UsageFault(f"Field {self.name}: missing ({self.description})")
            return [] if self.default is None else [self.default]
        return [self.parse_one(t) for t in texts]

    def bad_values(self) -> list[str]:
        """Values this parameter must refuse (for the generated bad-request tests)."""
        out: list[str] = []
        if self.kind in ("real", "integer"):
            out.append("one")
            if self.low is not None and math.isfinite(self.low):
                out.append(_format(self.low - 1))
            if self.high is not None and math.isfinite(self.high):
                out.append(_format(self.high * 2 + 1))
        elif self.kind == "keyword" and self.options:
            out.append("no-such-" + self.name.lower())
        if self.kind in ("text", "keyword", "pair"):
            out.append("x" * (self.max_length + 1))
        elif self.kind == "boolean":
            out.append("perhaps")
        elif self.kind == "interval":
            out += ["1 2 3", "5 1", "x y"]
            if self.low is not None and math.isfinite(self.low):
                out.append(f"{_format(self.low - 10)} {_format(self.low - 5)}")
        elif self.kind == "circle":
            out += ["12 13", "400 0 1", "10 95 1", "10 20 -1"]
        elif self.kind == "polygon":
            out += ["1 2 3 4", "0 0 1 1 2 2", "0 0 1 0 1 1 0 1 0.9 0.1"]
        elif self.kind == "shape":
            out += ["BOX 1 2 3 4", "CIRCLE 12 13", "RANGE 400 410 0 1", "RANGE 1 2 -91 0"]
        return out


def _format(value: float | None) -> str:
    if value is None or math.isinf(value):
        return ""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _show_default(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _format(value)
    return str(value)


@dataclasses.dataclass(frozen=True)
class ParamTable:
    """A protocol's parameters, in the order they are documented."""

    protocol: str
    params: tuple[Param, ...]

    def __getitem__(self, name: str) -> Param:
        for param in self.params:
            if param.name == name.upper():
                return param
        raise KeyError(name)

    def parse(self, params: Params, names: Iterable[str] | None = None) -> dict[str, list[Any]]:
        """Every value of every parameter (or of ``names``), parsed; unknown
        parameters are ignored (DALI)."""
        chosen = self.params if names is None else [self[n] for n in names]
        return {p.name: p.values(params) for p in chosen}

    def one(self, params: Params, name: str) -> Any:  # noqa: ANN401
        """The single value (or default, or None) of a parameter."""
        values = self[name].values(params)
        return values[0] if values else None


@dataclasses.dataclass(frozen=True)
class Descriptor:
    """A service descriptor (DataLink 1.1 section 4): a RESOURCE of type meta whose
    input parameters come from a :class:`ParamTable`. Every user parameter has an
    empty value (a PARAM with a value is fixed); defaults are in descriptions, bounds
    and options in VALUES.

    Attributes
    ----------
    id
        XML ID, referenced from DataLink ``service_def``.
    standard_id, access_url
        What the service is and where it answers.
    refs
        Parameter -> the column its value comes from (``ref``), in this document.
    limits
        Parameter -> (min, max) overriding the table's bounds (e.g. one exposure's
        extent in a DataLink document).
    """

    id: str
    standard_id: str
    access_url: str
    description: str
    table: ParamTable
    refs: Mapping[str, str] = dataclasses.field(default_factory=dict)
    limits: Mapping[str, tuple[str, str]] = dataclasses.field(default_factory=dict)

    def inputs(self) -> list[tuple[Param, str, tuple[str, str] | None]]:
        """(parameter, ref, VALUES bounds) of each input parameter, in order."""
        return [
            (p, self.refs.get(p.name, p.ref), self.limits.get(p.name, p.bounds))
            for p in self.table.params
        ]


def capability_params(table: ParamTable) -> list[dict[str, str]]:
    """The table as VODataService ``InputParam`` values (for VOSI capabilities)."""
    out = []
    for p in table.params:
        datatype, arraysize, _ = _VOTABLE[p.kind]
        out.append(
            {
                "name": p.name,
                "description": p.explained,
                "unit": p.unit,
                "ucd": p.ucd,
                "datatype": _VODS[datatype],
                "arraysize": arraysize,
                "use": "required" if p.required else "optional",
                "std": "true" if p.std else "false",
            }
        )
    return out


def markdown(table: ParamTable) -> str:
    """The table as Markdown, for the README (a test keeps the README equal to it)."""
    lines = [
        f"<!-- parameters: {table.protocol} (generated from service/vo; keep in sync) -->",
        "| Parameter | Type | Unit | UCD | Default | Values | Repeat | Meaning |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for p in table.params:
        if p.options:
            values = ", ".join(f"`{o}`" for o in p.options)
            if p.aliases:
                values += " (also " + ", ".join(f"`{a}`" for a in p.aliases) + ")"
        elif p.bounds:
            low, high = p.bounds
            values = f"[{low or '-inf'}, {high or '+inf'}]"
        else:
            values = ""
        default = "required" if p.required else _show_default(p.default or "")
        lines.append(
            f"| `{p.name}`{'' if p.std else ' (custom)'} | {p.kind} | {p.unit} | "
            f"{p.ucd} | {default} | {values} | {'yes' if p.multiple else 'no'} | "
            f"{p.description} |"
        )
    return "\n".join(lines)


__all__ = ["Descriptor", "Param", "ParamTable", "capability_params", "markdown", "shown"]
