"""Library messages go to the log, never to standard output.

astropy prints its INFO and WARNING messages on stdout/stderr through a handler of its
own; here that handler is removed and its logger propagates to Python's logging, where
gunicorn, the command line and the tests decide what to show.
"""

from __future__ import annotations

import logging


def route_library_messages() -> None:
    """Send astropy's messages to Python's logging (idempotent)."""
    from astropy import log

    for handler in list(log.handlers):
        log.removeHandler(handler)
    log.propagate = True
    logging.getLogger("astropy").setLevel(logging.INFO)
