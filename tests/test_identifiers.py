"""Publisher DIDs and obs_ids to the catalog's obs_id, with the exact refusals."""

from __future__ import annotations

import pytest

from service.faults import NotFoundFault
from service.identifiers import obs_id_of
from service.settings import load_settings

SERVICE = load_settings(env={}).service


@pytest.mark.parametrize(
    "given",
    [
        "a03393m0s1",
        " a03393m0s1 ",
        "ivo://platecut.example.org/platecut?a03393m0s1",
        "IVO://PLATECUT.EXAMPLE.ORG/PLATECUT?a03393m0s1",
        "IVO://PLATECUT.EXAMPLE.ORG/PLATECUT?A03393M0S1",  # IVOIDs: case-insensitive, whole
        "A03393M0S1",
    ],
)
def test_dids_and_bare_obs_ids_name_the_same_exposure(given):
    assert SERVICE.publisher_did("a03393m0s1") == "ivo://platecut.example.org/platecut?a03393m0s1"
    assert obs_id_of(given, SERVICE) == "a03393m0s1"


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (
            "ivo://other.org/plates?a03393m0s1",
            "'ivo://other.org/plates?a03393m0s1' is not an identifier of this service "
            "(ivo://platecut.example.org/platecut?...)",
        ),
        (
            "ivo://platecut.example.org/platecut?",
            "'ivo://platecut.example.org/platecut?' is not an identifier of this service "
            "(ivo://platecut.example.org/platecut?...)",
        ),
    ],
)
def test_identifiers_of_other_services_are_refused(given, message):
    with pytest.raises(NotFoundFault) as caught:
        obs_id_of(given, SERVICE)
    assert str(caught.value) == message
