"""The fault mapping: every fault class, on a VOTable endpoint and on SODA."""

import pytest

from service.app import create_app
from service.faults import (
    CorruptDataFault,
    MultiValuedParamNotSupported,
    NotFoundFault,
    TransientFault,
    UsageFault,
)

CASES = [
    (UsageFault("bad"), 400, "UsageError: bad", "UsageFault: bad"),
    (
        MultiValuedParamNotSupported("two"),
        400,
        "MultiValuedParamNotSupported: two",
        "MultiValuedParamNotSupported: two",
    ),
    (NotFoundFault("gone"), 404, "Error: gone", "NotFoundFault: gone"),  # SODA has no NotFound
    (TransientFault("busy"), 503, "ServiceUnavailable: busy", "TransientFault: busy"),
    (CorruptDataFault("tile 7"), 500, "Error: tile 7", "FatalFault: tile 7"),
    (
        ZeroDivisionError("secret detail"),
        500,
        "Error: internal server error",
        "FatalFault: internal server error",
    ),
]


@pytest.mark.parametrize(("fault", "status", "soda_text", "dali_text"), CASES)
def test_fault_mapping(settings, fault, status, soda_text, dali_text):
    app = create_app(settings)

    def fail():
        raise fault

    app.add_url_rule("/soda/fail", "soda.fail", fail)  # endpoint name puts it in "soda"
    app.add_url_rule("/sia/v2/fail", "sia2.fail", fail)
    client = app.test_client()
    soda = client.get("/soda/fail")
    assert soda.status_code == status and soda.mimetype == "text/plain"
    assert soda.get_data(as_text=True).startswith(soda_text)
    sia = client.get("/sia/v2/fail")
    assert sia.status_code == status and sia.mimetype == "application/x-votable+xml"
    assert f'value="ERROR">{dali_text}' in sia.get_data(as_text=True)
    for response in (soda, sia):
        assert "secret detail" not in response.get_data(as_text=True)
        assert "Traceback" not in response.get_data(as_text=True)
        assert (response.headers.get("Retry-After") is not None) == (status == 503)
