"""Sidecar metadata: round trip, defaults of the layout, and refusals."""

import json

import pytest

from service.archive.layout import (
    LayoutError,
    header_key,
    iter_local_plates,
    mosaic_key,
    plate_from_json,
    sidecar_key,
    split_plate_id,
)


def test_identifiers_and_keys():
    assert split_plate_id("mc12668") == ("mc", 12668)
    assert sidecar_key("a03393") == "plates/a/a03393.json"
    assert mosaic_key("a03393", 0) == "mosaics/a/a03393_00.fits.fz"
    assert header_key("a03393", 1) == "headers/a/a03393_01.wcs.gz"
    with pytest.raises(LayoutError, match="'A3393' is not <series><5 digits>"):
        split_plate_id("A3393")


def test_demo_sidecars_round_trip(demo_archive):
    plates = list(iter_local_plates(demo_archive))
    assert len(plates) == 12
    for plate in plates:
        assert plate_from_json(plate.to_json()) == plate
        assert (demo_archive / plate.sidecar_key).is_file()
        assert (demo_archive / plate.mosaic(0).object_key).is_file()
        with pytest.raises(KeyError):
            plate.mosaic(7)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.update(sidecar_version=9), "unsupported sidecar_version 9"),
        (lambda b: b.update(number=1), "series/number disagree"),
        (lambda b: b["mosaics"][0].update(rotation_delta=45), "rotation_delta must be one of"),
        (lambda b: b["exposures"][0].update(mosnum=3), "names no mosaic"),
        (lambda b: b.pop("telescope"), "invalid sidecar"),
    ],
)
def test_bad_sidecars_are_refused(demo_archive, change, message):
    body = json.loads((demo_archive / "plates/a/a03393.json").read_text())
    change(body)
    with pytest.raises(LayoutError, match=message):
        plate_from_json(json.dumps(body))
