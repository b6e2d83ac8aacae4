"""DataLink 1.1 {links}: the rows for one exposure solution, and an error row for an
identifier that cannot be resolved (the document as a whole still succeeds)."""

from __future__ import annotations

from urllib.parse import quote

from service.catalog.records import ExposureRecord
from service.faults import Fault
from service.vo import soda
from service.vo.obscore import DATALINK_MIME
from service.vo.parameters import Param, ParamTable
from service.vo.votable import VOTABLE_MIME, Field, text

DATALINK_LINKS = "ivo://ivoa.net/std/DataLink#links-1.1"


def table(max_ids: int) -> ParamTable:
    """DataLink {links} parameters (DataLink 1.1 section 3.2)."""
    return ParamTable(
        "datalink",
        (
            Param("ID", "text", f"Identifier of a dataset (publisher DID or obs_id); up to "
                  f"{max_ids} are answered, the rest flagged as an overflow",
                  "meta.id;meta.main", multiple=True),
            Param("RESPONSEFORMAT", "keyword", "Format of the links document",
                  default=DATALINK_MIME, options=(DATALINK_MIME, VOTABLE_MIME),
                  aliases={"votable": DATALINK_MIME}),
        ),
    )  # fmt: skip


FIELDS = (
    text("ID", "Identifier of the dataset", "meta.id;meta.main"),
    text("access_url", "Link", "meta.ref.url"),
    text("service_def", "Service descriptor to call", "meta.ref"),
    text("error_message", "Why the link could not be made", "meta.code.error"),
    text("semantics", "What the link is, from the DataLink vocabulary", "meta.code"),
    text("description", "What the link is, for people", "meta.note"),
    text("content_type", "MIME type of the linked content", "meta.code.mime"),
    Field(
        "content_length",
        "long",
        "Size of the linked content",
        "phys.size;meta.file",
        unit="byte",
        null="-1",
    ),
    text("content_qualifier", "Product type of the linked content", "meta.code.class"),
    text("local_semantics", "Finer link type of this service", "meta.code"),
)


def file_url(base: str, key: str) -> str:
    """Where the service serves an archive object."""
    return f"{base}/files/{quote(key)}"


def rows(identifier: str, exposure: ExposureRecord, base: str, preview_url: str) -> list[tuple]:
    """#this, #cutout, #auxiliary and #preview rows of one exposure solution (sizes
    as the catalog recorded them at ingest: no request to the store)."""

    def link(key: str, size: int, semantics: str, text: str, mime: str, kind: str) -> tuple:
        return (
            identifier,
            file_url(base, key),
            None,
            None,
            semantics,
            text,
            mime,
            size,
            kind,
            None,
        )

    return [
        link(
            exposure.object_key,
            exposure.object_size,
            "#this",
            f"Full mosaic of plate {exposure.plate_id} (fpack tile-compressed FITS)",
            "application/fits",
            "#image",
        ),
        (
            identifier,
            None,
            "soda-sync",
            None,
            "#cutout",
            f"Cutout on a common sky grid with solution {exposure.solnum} (SODA)",
            "application/fits",
            -1,
            "#image",
            None,
        ),
        link(
            exposure.header_key,
            exposure.header_size,
            "#auxiliary",
            "WCS header file with every exposure solution of the mosaic (gzip FITS header)",
            "application/gzip",
            "",
        ),
        (
            identifier,
            preview_url,
            None,
            None,
            "#preview",
            "PNG preview of the centre of the exposure (SODA, zscale)",
            "image/png",
            -1,
            None,
            None,
        ),
    ]


def preview_url(base: str, exposure: ExposureRecord, size: int, field_arcsec: float) -> str:
    """A SODA call rendering ``field_arcsec`` around the exposure centre as a PNG of
    ``size`` pixels."""
    query = {
        "ID": exposure.publisher_did,
        "WIDTH": size,
        "SCALE": repr(field_arcsec / size),
        "RESPONSEFORMAT": "image/png",
    }
    return soda.sync_url(base, query)


def error_row(identifier: str, fault: Fault) -> tuple:
    """The row for an identifier that could not be resolved (semantics #this: it
    stands for the dataset that was asked for)."""
    return (
        identifier,
        None,
        None,
        f"{fault.dali_label}: {fault}",
        "#this",
        None,
        None,
        -1,
        None,
        None,
    )
