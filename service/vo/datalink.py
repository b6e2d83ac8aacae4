"""DataLink 1.1 {links}: the rows for one exposure solution, and an error row for an
identifier that cannot be resolved (the document as a whole still succeeds)."""

from __future__ import annotations

import dataclasses
from urllib.parse import quote

from service.catalog.records import ExposureRecord
from service.faults import Fault, NotFoundFault
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
            Param("RESPONSEFORMAT", "keyword", "Format of the links document (answered with "
                  "the media type asked for)", default=DATALINK_MIME,
                  options=(DATALINK_MIME, VOTABLE_MIME, "text/xml"),
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


@dataclasses.dataclass(frozen=True)
class LinkRow:
    """One row of a links document (attributes named as :data:`FIELDS`)."""

    ID: str  # noqa: N815 - DataLink's column name
    access_url: str | None = None
    service_def: str | None = None
    error_message: str | None = None
    semantics: str | None = None
    description: str | None = None
    content_type: str | None = None
    content_length: int = -1
    content_qualifier: str | None = None
    local_semantics: str | None = None


def file_url(base: str, key: str) -> str:
    """Where the service serves an archive object."""
    return f"{base}/files/{quote(key)}"


def rows(identifier: str, exposure: ExposureRecord, base: str, preview_url: str) -> list[LinkRow]:
    """The rows of one exposure (sizes as the catalog recorded them at ingest: no
    request to the store): #this (the mosaic), and for a solved exposure #cutout
    (SODA), #auxiliary (its WCS header file, if the archive has one) and #preview (the
    default cutout as PNG); a whole-plate #preview when the archive has a binned
    mosaic. An exposure never scanned has no file: its row says so."""
    out = []
    if exposure.object_key:
        out.append(
            LinkRow(
                identifier,
                access_url=file_url(base, exposure.object_key),
                semantics="#this",
                description=f"Full mosaic of plate {exposure.plate_id} (fpack tile-compressed "
                "FITS)",
                content_type="application/fits",
                content_length=exposure.object_size or -1,
                content_qualifier="#image",
            )
        )
    else:
        fault = NotFoundFault(f"plate {exposure.plate_id} was never scanned: it has no mosaic")
        out.append(error_row(identifier, fault))
    if exposure.solved:
        out.append(
            LinkRow(
                identifier,
                service_def="soda-sync",
                semantics="#cutout",
                description=f"Cutout on a common sky grid with solution {exposure.solnum} (SODA)",
                content_type="application/fits",
                content_qualifier="#image",
            )
        )
        if exposure.header_key:
            out.append(
                LinkRow(
                    identifier,
                    access_url=file_url(base, exposure.header_key),
                    semantics="#auxiliary",
                    description="WCS header file with every exposure solution of the mosaic "
                    "(gzip FITS header)",
                    content_type="application/gzip",
                    content_length=exposure.header_size,
                    content_qualifier="",
                )
            )
        out.append(
            LinkRow(
                identifier,
                access_url=preview_url,
                semantics="#preview",
                description="PNG preview of the centre of the exposure (SODA, zscale)",
                content_type="image/png",
            )
        )
    if exposure.preview_key:
        out.append(
            LinkRow(
                identifier,
                access_url=plate_preview_url(base, exposure),
                semantics="#preview",
                description="PNG preview of the whole plate, from its 16x binned mosaic",
                content_type="image/png",
            )
        )
    return out


def plate_preview_url(base: str, exposure: ExposureRecord) -> str:
    """The whole-plate preview of an exposure's mosaic (from its binned copy)."""
    return f"{base}/preview/{quote(exposure.obs_id)}.png"


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


def error_row(identifier: str, fault: Fault) -> LinkRow:
    """The row for an identifier that could not be resolved (semantics #this: it
    stands for the dataset that was asked for)."""
    return LinkRow(identifier, error_message=f"{fault.dali_label}: {fault}", semantics="#this")
