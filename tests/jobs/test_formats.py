"""The one table of stack formats: every name a client or the command line may use
finds its format, and every format its product."""

from __future__ import annotations

from service.jobs.formats import (
    PRODUCTS,
    STACK_ALIASES,
    STACK_FORMATS,
    file_mime,
    format_of_file,
    stack_format,
)
from service.jobs.outputs import MAKERS


def test_media_types_and_aliases_find_their_format():
    for fmt in STACK_FORMATS:
        assert stack_format(fmt.mime) is fmt
        assert stack_format(fmt.mime.upper()) is fmt
        for alias in fmt.aliases:
            assert stack_format(alias) is fmt and STACK_ALIASES[alias] == fmt.mime
    assert stack_format("text/csv") is None


def test_file_suffixes_find_their_format():
    assert format_of_file("out/stack.FITS").product == "stack.fits"
    assert format_of_file("blink.apng").mime == "image/apng"
    assert format_of_file("sheet.pdf").product == "sheet.pdf"
    assert format_of_file("noext") is None


def test_every_product_is_made_and_typed():
    assert set(PRODUCTS) == set(MAKERS) | {"index.json"}
    assert PRODUCTS["blink.png"] == "image/apng" and PRODUCTS["stack.fits"] == "application/fits"
    assert file_mime("frame-0001.png") == "image/png" and file_mime("x.bin").endswith("stream")
