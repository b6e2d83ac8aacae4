"""Bad requests, by GET and by POST: the documented status, a message that starts
with the protocol's fault word and names the problem, never a traceback, and no
change to the catalog."""

import pytest

DID = "ivo://platecut.example.org/platecut?a03393m0s1"
VOTABLE, TEXT = "application/x-votable+xml", "text/plain"

CASES = [
    # SIA 2.0: DALI VOTable error documents
    (
        "/sia/v2/query",
        {"POS": "CIRCLE 12 13"},
        400,
        VOTABLE,
        "UsageFault: Field POS: Invalid CIRCLE: 'CIRCLE 12 13' (need exactly three numbers)",
    ),
    (
        "/sia/v2/query",
        {"POS": "circle 12 95 1"},
        400,
        VOTABLE,
        "UsageFault: Field POS: Invalid CIRCLE: 'circle 12 95 1' (Dec 95 not in [-90, 90])",
    ),
    (
        "/sia/v2/query",
        {"POS": "BOX 1 2 3 4"},
        400,
        VOTABLE,
        "UsageFault: Field POS: Invalid shape in 'BOX 1 2 3 4'",
    ),
    (
        "/sia/v2/query",
        {"TIME": "50000"},
        400,
        VOTABLE,
        "UsageFault: Field TIME: Invalid interval: '50000' (need two numbers)",
    ),
    (
        "/sia/v2/query",
        {"EXPTIME": "60 10"},
        400,
        VOTABLE,
        "UsageFault: Field EXPTIME: Invalid interval: '60 10' (lower limit above upper)",
    ),
    (
        "/sia/v2/query",
        {"CALIB": "7"},
        400,
        VOTABLE,
        "UsageFault: Field CALIB: value 7 not in [0, 4]",
    ),
    ("/sia/v2/query", {"MAXREC": "-3"}, 400, VOTABLE, "UsageFault: Field MAXREC: value -3 not in"),
    (
        "/sia/v2/query",
        {"MAXREC": ["1", "2"]},
        400,
        VOTABLE,
        "MultiValuedParamNotSupported: Field MAXREC: given 2 times",
    ),
    (
        "/sia/v2/query",
        {"RESPONSEFORMAT": "text/csv"},
        400,
        VOTABLE,
        "UsageFault: Field RESPONSEFORMAT: Invalid value 'text/csv'",
    ),
    # SIA 1.0
    ("/sia/v1/query", {"SIZE": "0.1"}, 400, VOTABLE, "UsageFault: Field POS: missing"),
    (
        "/sia/v1/query",
        {"POS": "10", "SIZE": "0.1"},
        400,
        VOTABLE,
        "UsageFault: Field POS: Invalid value '10'",
    ),
    (
        "/sia/v1/query",
        {"POS": "10,20", "SIZE": "-1"},
        400,
        VOTABLE,
        "UsageFault: Field SIZE: value -1 not in",
    ),
    (
        "/sia/v1/query",
        {"POS": "10,20", "SIZE": "30"},
        400,
        VOTABLE,
        "UsageFault: cutout of 75000 x 75000 px exceeds the limit",
    ),
    (
        "/sia/v1/query",
        {"POS": "10,20", "SIZE": "0.1", "INTERSECT": "TOUCHES"},
        400,
        VOTABLE,
        "UsageFault: Field INTERSECT: Invalid value 'TOUCHES'",
    ),
    # SODA: text/plain with the SODA words
    ("/soda/sync", {}, 400, TEXT, "UsageError: Field ID: missing"),
    (
        "/soda/sync",
        {"ID": [DID, DID]},
        400,
        TEXT,
        "MultiValuedParamNotSupported: Field ID: given 2 times; several cutouts need the async endpoint",
    ),
    (
        "/soda/sync",
        {"ID": DID, "CIRCLE": ["0.2 12 0.1", "0.3 12 0.1"]},
        400,
        TEXT,
        "MultiValuedParamNotSupported: POS, CIRCLE, POLYGON: 2 regions given",
    ),
    (
        "/soda/sync",
        {"ID": DID, "CIRCLE": "0.2 12"},
        400,
        TEXT,
        "UsageError: Field CIRCLE: Invalid CIRCLE: '0.2 12' (need exactly three numbers)",
    ),
    (
        "/soda/sync",
        {"ID": DID, "CIRCLE": "0.2 12 10"},
        400,
        TEXT,
        "UsageError: cutout of 50000 x 50000 px exceeds the limit",
    ),
    (
        "/soda/sync",
        {"ID": DID, "WIDTH": "100000"},
        400,
        TEXT,
        "UsageError: Field WIDTH: value 100000 not in",
    ),
    (
        "/soda/sync",
        {"ID": DID, "INTERPOLATION": "lanczos"},
        400,
        TEXT,
        "UsageError: Field INTERPOLATION: Invalid value 'lanczos'",
    ),
    (
        "/soda/sync",
        {"ID": DID, "RESPONSEFORMAT": "image/gif"},
        400,
        TEXT,
        "UsageError: Field RESPONSEFORMAT: Invalid value 'image/gif'",
    ),
    (
        "/soda/sync",
        {"ID": "ivo://platecut.example.org/platecut?zz9m0s0"},
        404,
        TEXT,
        "NotFound: no exposure solution 'zz9m0s0' in the catalog",
    ),
    (
        "/soda/sync",
        {"ID": "ivo://elsewhere.org/x?a03393m0s1"},
        404,
        TEXT,
        "NotFound: ivo://elsewhere.org/x?a03393m0s1 is not an identifier of this service",
    ),
    # DataLink
    ("/datalink/links", {}, 400, VOTABLE, "UsageFault: Field ID: missing"),
    (
        "/datalink/links",
        {"ID": [f"{DID}{i}" for i in range(101)]},
        400,
        VOTABLE,
        "UsageFault: Field ID: 101 given, at most 100 allowed",
    ),
    # routing
    ("/sia/v2/nothing", {}, 404, VOTABLE, "NotFoundFault: Not Found"),
    (
        "/files/plates/a/a03393.json",
        {},
        404,
        TEXT,
        "NotFound: /files/plates/a/a03393.json: only mosaics/ and headers/ objects are served",
    ),
]


def _message(response):
    text = response.get_data(as_text=True)
    if response.mimetype == VOTABLE:
        return text.split('value="ERROR">', 1)[1].split("</INFO>", 1)[0].replace("&#39;", "'")
    return text


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("path", "params", "status", "mimetype", "message"), CASES)
def test_bad_request(client, vo_settings, method, path, params, status, mimetype, message):
    if method == "GET":
        response = client.get(path, query_string=params)
    else:
        response = client.post(path, data=params)
    if path.startswith("/files/") and method == "POST":
        assert response.status_code == 405
        return
    assert response.status_code == status
    assert response.mimetype == mimetype
    assert _message(response).startswith(message)
    assert "Traceback" not in response.get_data(as_text=True)


def test_bad_requests_change_nothing(client, vo_settings):
    before = vo_settings.catalog.sqlite_file().read_bytes()
    for path, params, *_ in CASES:
        client.get(path, query_string=params)
        client.post(path, data=params)
    assert vo_settings.catalog.sqlite_file().read_bytes() == before
