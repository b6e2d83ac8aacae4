"""VOTable documents from the templates in ``votable_templates/``: fields, cell
formatting, service descriptors and the DALI error document.

Depends on Flask's templating only; the protocol modules describe their columns
with :class:`Field` and hand rows to :func:`table_response` as dataclasses whose
attributes are named as the fields (:func:`row_values` zips the two).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Sequence

from flask import Response, render_template

VOTABLE_MIME = "application/x-votable+xml"


@dataclasses.dataclass(frozen=True)
class Field:
    """A VOTable FIELD (or PARAM): name, type and the metadata clients use."""

    name: str
    datatype: str  # char, int, long, double, boolean
    description: str = ""
    ucd: str = ""
    utype: str = ""
    unit: str = ""
    arraysize: str = ""
    xtype: str = ""
    null: str = ""  # null value of integer columns

    @property
    def is_text(self) -> bool:
        """True for character columns."""
        return self.datatype == "char"


def text(name: str, description: str, ucd: str = "", utype: str = "", **extra: str) -> Field:
    """A variable-length character field."""
    return Field(name, "char", description, ucd, utype, arraysize="*", **extra)


def cell(value: object) -> str:
    """One TABLEDATA cell: empty for None and NaN, full precision for floats."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "T" if value else "F"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, (list, tuple)):
        return " ".join(cell(v) for v in value)
    return str(value)


def row_values(row: object, fields: Sequence[Field]) -> list[object]:
    """The values of a row dataclass, in the order of ``fields`` (by name).

    Raises
    ------
    AttributeError
        If the row has no attribute of a field's name.
    """
    return [getattr(row, f.name) for f in fields]


def table_response(
    fields: Sequence[Field],
    rows: Iterable[object],
    *,
    overflow: bool = False,
    infos: Sequence[tuple[str, str]] = (),
    params: Sequence[tuple[Field, str]] = (),
    descriptors: Sequence[object] = (),  # service.vo.parameters.Descriptor
    field_ids: bool = True,
    status: int = 200,
    mimetype: str = VOTABLE_MIME,
) -> Response:
    """A DALI result document (VOTable 1.4, TABLEDATA) as a response (``mimetype``: the
    media type the client asked for); each row a dataclass named as ``fields``."""
    body = render_template(
        "votable.xml",
        fields=fields,
        rows=([cell(v) for v in row_values(row, fields)] for row in rows),
        overflow=overflow,
        infos=infos,
        params=params,
        descriptors=descriptors,
        field_ids=field_ids,
    )
    return Response(body, status=status, content_type=mimetype)


def error_response(message: str, status: int) -> Response:
    """A DALI error document: ``QUERY_STATUS`` ERROR with the message."""
    body = render_template("error.xml", message=message)
    return Response(body, status=status, mimetype=VOTABLE_MIME)
