"""Every value a template renders is fit for XML 1.0: characters XML forbids (C0
controls but tab, newline and carriage return; lone surrogates; U+FFFE, U+FFFF) are
replaced by U+FFFD, whatever their source (a client's ID, a parameter name, an OAI-PMH
identifier, a header card). Installed once as the Jinja environment's ``finalize``, so
no template can forget it; escaping (autoescape) happens after it."""

from __future__ import annotations

import re

from markupsafe import Markup

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean(text: str) -> str:
    """``text`` with the characters XML 1.0 forbids replaced by U+FFFD."""
    return FORBIDDEN.sub("\ufffd", text)


def finalize(value: object) -> object:
    """Jinja ``finalize``: strings (and markup) cleaned, anything else as it is."""
    if isinstance(value, Markup):
        return Markup(clean(str(value)))
    if isinstance(value, str):
        return clean(value)
    return value
