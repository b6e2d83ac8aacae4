"""Strong ETags of answers that are functions of their inputs (cutouts, previews,
stack results): a digest of the code that made them and of every input, so that a
cache (a browser, a CDN in front of the Lambda) may keep them and a conditional
request is answered 304 without reading pixels.

The code counts as an input: the digest of the package's own sources, taken once per
process, changes with any deployment of other code, so no answer made by older code
is ever confirmed by newer code. Every process running the same code computes the
same tags (gunicorn workers, Lambda instances).
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


@functools.cache
def code_fingerprint() -> str:
    """Digest of the package's Python sources (read once per process)."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(str(path.relative_to(PACKAGE)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def strong_tag(*inputs: object) -> str:
    """The ETag (unquoted) of an answer made by this code from ``inputs`` (JSON-ready
    values: identifiers, object versions, the request's parameters)."""
    text = json.dumps([code_fingerprint(), *inputs], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:40]
