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
        {"TIME": "50000 50001 50002"},
        400,
        VOTABLE,
        "UsageFault: Field TIME: Invalid interval: '50000 50001 50002' (need one or two numbers)",
    ),
    (
        "/sia/v2/query",
        {"POS": "RANGE 400 410 0 1"},
        400,
        VOTABLE,
        "UsageFault: Field POS: Invalid RANGE: 'RANGE 400 410 0 1' (RA not in [0, 360])",
    ),
    (
        "/sia/v2/query",
        {"POS": "RANGE 10 20 80 91"},
        400,
        VOTABLE,
        "UsageFault: Field POS: Invalid RANGE: 'RANGE 10 20 80 91' (Dec not in [-90, 90])",
    ),
    (
        "/sia/v2/query",
        {"POS": "POLYGON 10 10 11 11 12 12"},
        400,
        VOTABLE,
        "UsageFault: Field POS: Invalid POLYGON: 'POLYGON 10 10 11 11 12 12' (its vertices enclose no area)",
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
        "MultiValuedParamNotSupported: Field ID: given 2 times, one value is supported",
    ),
    (
        "/soda/sync",
        {"ID": DID, "CIRCLE": ["0.2 12 0.1", "0.3 12 0.1"]},
        400,
        TEXT,
        "MultiValuedParamNotSupported: Field CIRCLE: given 2 times",
    ),
    (
        "/soda/sync",
        {"ID": DID, "CIRCLE": "0.2 12 0.1", "POS": "CIRCLE 0.3 12 0.1"},
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
        {"ID": DID, "CIRCLE": "0.2 12 10", "SCALE": "0.01"},
        400,
        TEXT,
        "UsageError: cutout of 171582 x 159067 px (the region trimmed to the plate) exceeds "
        "the limit",
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
        "Error: no exposure solution 'zz9m0s0' in the catalog",
    ),
    (
        "/soda/sync",
        {"ID": "ivo://elsewhere.org/x?a03393m0s1"},
        404,
        TEXT,
        "Error: 'ivo://elsewhere.org/x?a03393m0s1' is not an identifier of this service",
    ),
    # DataLink
    (
        "/datalink/links",
        {"ID": DID, "RESPONSEFORMAT": "text/csv"},
        400,
        VOTABLE,
        "UsageFault: Field RESPONSEFORMAT: Invalid value 'text/csv'",
    ),
    # routing
    ("/sia/v2/nothing", {}, 404, VOTABLE, "NotFoundFault: Not Found"),
    (
        "/files/plates/a/a03393.json",
        {},
        404,
        TEXT,
        "Error: /files/plates/a/a03393.json: only mosaics/ and headers/ objects are served",
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


# --- generated from the parameter tables -------------------------------------------------
def generated_cases():
    """Every parameter of every protocol table with each value it must refuse, and a
    second value of each single-valued parameter; sent with what the endpoint needs."""
    from service.settings import load_settings
    from service.vo import datalink, sia1, sia2, soda

    settings = load_settings(env={})
    c, vo = settings.cutout, settings.vo
    endpoints = [
        ("/sia/v2/query", sia2.table(vo.default_maxrec, vo.max_maxrec), {}, VOTABLE),
        ("/sia/v1/query", sia1.table(c.default_scale_arcsec, c.default_size),
         {"POS": "0.2,12", "SIZE": "0.05"}, VOTABLE),
        ("/soda/sync", soda.table(settings), {"ID": DID}, TEXT),
        ("/datalink/links", datalink.table(vo.max_ids), {"ID": DID}, VOTABLE),
    ]  # fmt: skip
    cases = []
    for path, table, base, mimetype in endpoints:
        for param in table.params:
            good = base.get(param.name)
            for bad in param.bad_values():
                cases.append((path, {**base, param.name: bad}, param.name, mimetype))
            if not param.multiple:
                pair = [good or "1", good or "1"]
                cases.append((path, {**base, param.name: pair}, param.name, mimetype))
    return cases


GENERATED = generated_cases()


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("path", "params", "name", "mimetype"), GENERATED)
def test_generated_bad_request(client, method, path, params, name, mimetype):
    """DALI 1.1 section 4.2: a request that fails is answered with an error document;
    SODA 1.0 section 5.2 for SODA's text/plain one. It names the parameter and echoes at
    most 200 characters of the value."""
    if method == "GET":
        response = client.get(path, query_string=params)
    else:
        response = client.post(path, data=params)
    assert 400 <= response.status_code < 500, (path, params, response.data[:300])
    assert response.mimetype == mimetype
    message = _message(response)
    words = ("UsageFault", "MultiValuedParamNotSupported") if mimetype == VOTABLE else (
        "UsageError", "MultiValuedParamNotSupported")  # fmt: skip
    assert message.startswith(words), message
    assert name in message, message
    assert len(message) < 600
    assert "Traceback" not in response.get_data(as_text=True)


def test_generated_table_covers_every_parameter():
    names = {(path, name) for path, _, name, _ in GENERATED}
    assert ("/soda/sync", "SCALE") in names and ("/sia/v2/query", "POS") in names
    assert len(GENERATED) > 100


def test_generated_bad_requests_change_nothing(client, vo_settings):
    before = vo_settings.catalog.sqlite_file().read_bytes()
    for path, params, *_ in GENERATED:
        client.get(path, query_string=params)
        client.post(path, data=params)
    assert vo_settings.catalog.sqlite_file().read_bytes() == before
