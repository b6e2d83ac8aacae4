"""A stack's products, made from its stored frames and the records it was planned with
(never a catalog read): the index (one row per exposure, failed ones included), a
multi-extension FITS file, a FITS cube with a time table, a zip of per-exposure FITS
files, a contact sheet (PNG or PDF) and an animated blink (APNG or WebP). The index and
the product RESPONSEFORMAT asks for are made by the job as it ends
(:func:`write_products`); every other product on first request, by whichever worker
gets it. All are kept with the job's results.

Depends on the job model, plan and result store, and the preview renderer."""

from __future__ import annotations

import dataclasses
import functools
import io
import json
import math
import zipfile
from collections.abc import Callable
from typing import Any

import numpy as np
from astropy.io import fits
from PIL import Image, ImageDraw

from service.catalog.records import ExposureRecord
from service.cutout.preview import picture
from service.faults import NotFoundFault
from service.jobs import fitsbytes
from service.jobs.formats import PRODUCTS, stack_format
from service.jobs.model import STACK, Job
from service.jobs.plan import Plan
from service.jobs.results import ResultStore
from service.sky import angle, unit

SHEET_COLUMNS = 6
_CELESTIAL = (
    "CTYPE",
    "CRVAL",
    "CRPIX",
    "CDELT",
    "CUNIT",
    "CD1_",
    "CD2_",
    "PC1_",
    "PC2_",
    "RADESYS",
)
LABEL = (255, 200, 0)


@dataclasses.dataclass(frozen=True)
class IndexRow:
    """One exposure of a stack, as the index table lists it."""

    frame: int
    obs_id: str
    publisher_did: str
    date_obs: str
    mjd: float
    exptime_s: float
    series: str
    telescope: str
    solnum: int
    centre_distance_deg: float
    edge_distance_deg: float
    nan_fraction: float
    status: str
    message: str
    fits: str
    png: str


def _edge_distance(record: ExposureRecord, ra: float, dec: float) -> float:
    """Distance (deg) from the position to the footprint's edge, positive inside."""
    p = unit(ra, dec)
    v = record.footprint_vectors()
    w = np.roll(v, -1, axis=0)
    n = np.cross(v, w)
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    inside = bool((n @ p >= 0).all())
    offset = float(np.degrees(np.min(np.abs(np.arcsin(np.clip(n @ p, -1, 1))))))
    return offset if inside else -offset


def index_rows(job: Job, plan: Plan) -> list[IndexRow]:
    """The index of a stack, in frame (date) order."""
    ra, dec = job.position or (0.0, 0.0)
    rows = []
    for i, frame in enumerate(job.frames):
        record = plan.record(frame.obs_id)
        outcome = job.outcomes.get(i)
        status = outcome.status if outcome else "pending"
        names = outcome.results if outcome else ()
        if record is None:
            nan = math.nan
            rows.append(IndexRow(i + 1, frame.obs_id, "", "", nan, nan, "", "", -1, nan, nan,
                                 1.0, "error", "not in the catalog", "", ""))  # fmt: skip
            continue
        centre = float(np.degrees(angle(unit(record.ra, record.dec), unit(ra, dec))))
        rows.append(
            IndexRow(
                i + 1,
                record.obs_id,
                record.publisher_did,
                record.date_obs,
                record.t_min,
                record.exptime_s,
                record.series,
                record.telescope,
                record.solnum,
                centre,
                _edge_distance(record, ra, dec),
                outcome.nan_fraction if outcome else 1.0,
                status,
                outcome.message if outcome else "",
                next((n for n in names if n.endswith(".fits")), ""),
                next((n for n in names if n.endswith(".png")), ""),
            )
        )
    return rows


def write_index(results: ResultStore, job: Job, plan: Plan) -> None:
    """index.json: the frames and the products, for the web page's blink view."""
    _put_index(Stack(results, job, plan))


def _put_index(stack: Stack) -> None:
    spec = stack.job.specs[0]
    body = {
        "job": stack.job.job_id,
        "position": stack.job.position,
        "grid": {"width": spec.width, "height": spec.height, "scale_arcsec": spec.scale_arcsec},
        "frames": [_json_row(r) for r in stack.rows],
        "products": dict(PRODUCTS),
    }
    text = json.dumps(body, allow_nan=False, indent=1)
    stack.results.put(stack.job.job_id, "index.json", text.encode(), "application/json")


def write_products(results: ResultStore, job: Job, plan: Plan) -> None:
    """The index and the product the job's RESPONSEFORMAT asks for, from one reading
    of its frames' rows: run by the job before it is COMPLETED, so that a client that
    sees it COMPLETED finds them made."""
    stack = Stack(results, job, plan)
    _put_index(stack)
    name = main_product(job)
    if name in MAKERS:
        results.put(job.job_id, name, MAKERS[name](stack), PRODUCTS[name])


def _json_row(row: IndexRow) -> dict[str, Any]:
    """A row for JSON: NaN (unknown) as null."""
    values = dataclasses.asdict(row)
    return {k: None if isinstance(v, float) and math.isnan(v) else v for k, v in values.items()}


@dataclasses.dataclass(frozen=True)
class Stack:
    """A completed stack as its products are made from it: its stored frames, the job
    and the records it was planned with."""

    results: ResultStore
    job: Job
    plan: Plan

    @functools.cached_property
    def rows(self) -> list[IndexRow]:
        """The index rows, in frame order."""
        return index_rows(self.job, self.plan)

    def frame(self, name: str) -> bytes:
        """A stored frame file."""
        return self.results.get(self.job.job_id, name)

    def frames(self) -> list[tuple[IndexRow, fits.HDUList | None]]:
        """Every index row with its frame's FITS (None for a frame that failed)."""
        out = []
        for row in self.rows:
            hdul = None
            if row.status == "ok" and row.fits:
                hdul = fits.open(io.BytesIO(self.frame(row.fits)))
            out.append((row, hdul))
        return out


def _index_hdu(rows: list[IndexRow], name: str = "INDEX") -> fits.BinTableHDU:
    columns = []
    for field in dataclasses.fields(IndexRow):
        values = [getattr(r, field.name) for r in rows]
        if field.type in ("int",):
            columns.append(fits.Column(field.name.upper(), "J", array=np.array(values, np.int32)))
        elif field.type in ("float",):
            columns.append(fits.Column(field.name.upper(), "D", array=np.array(values, float)))
        else:
            width = max([len(str(v)) for v in values] + [1])
            columns.append(fits.Column(field.name.upper(), f"{width}A", array=np.array(values)))
    return fits.BinTableHDU.from_columns(columns, name=name)


def _primary(job: Job, count: int) -> fits.PrimaryHDU:
    header = fits.Header()
    ra, dec = job.position or (math.nan, math.nan)
    header["ORIGIN"] = ("Platecut", "software")
    header["STACKJOB"] = (job.job_id, "UWS job")
    header["STACKRA"] = (ra, "[deg] position of the stack")
    header["STACKDEC"] = (dec, "[deg] position of the stack")
    header["NFRAMES"] = (count, "exposures in the stack")
    return fits.PrimaryHDU(header=header)


def multi_extension(stack: Stack) -> bytes:
    """One image HDU per exposure (EXTNAME its obs_id), then the INDEX table: the
    frames' stored bytes joined (:mod:`service.jobs.fitsbytes`), not parsed."""
    rows = stack.rows
    images = [
        fitsbytes.as_extension(stack.frame(row.fits), row.obs_id[:68])
        for row in rows
        if row.status == "ok" and row.fits
    ]
    primary = _primary(stack.job, len(rows))
    primary.header["EXTEND"] = (True, "extensions follow")
    return b"".join(
        [fitsbytes.primary_bytes(primary), *images, fitsbytes.hdu_bytes(_index_hdu(rows))]
    )


def cube(stack: Stack) -> bytes:
    """A 3-D image (frame, y, x) on the common grid (NaN planes for failed frames),
    with the TIMES table of the frames."""
    frames = stack.frames()
    spec = stack.job.specs[0]
    planes = np.full((len(frames), spec.height, spec.width), np.nan, np.float32)
    header = fits.Header()
    header["WCSAXES"] = 3  # before every other WCS card (fitsverify)
    for k, (_, hdul) in enumerate(frames):
        if hdul is not None:
            data = hdul[0].data
            if data.shape == planes.shape[1:]:
                planes[k] = data
                if "CTYPE1" not in header:
                    for card in hdul[0].header.cards:
                        if card.keyword.startswith(_CELESTIAL) and card.keyword != "WCSAXES":
                            header[card.keyword] = (card.value, card.comment)
    primary = fits.PrimaryHDU(planes, header)
    primary.header["CTYPE3"] = ("FRAME", "frame number (date order): see TIMES")
    primary.header["CRPIX3"], primary.header["CRVAL3"] = 1.0, 1.0
    step = "CD3_3" if any(k.startswith("CD1_") for k in header) else "CDELT3"
    primary.header[step] = 1.0
    primary.header["STACKJOB"] = (stack.job.job_id, "UWS job")
    buffer = io.BytesIO()
    fits.HDUList([primary, _index_hdu([r for r, _ in frames], "TIMES")]).writeto(
        buffer, output_verify="fix"
    )
    return buffer.getvalue()


def zip_of_frames(stack: Stack) -> bytes:
    """Every frame's FITS file, named by frame, obs_id and date, and index.csv."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        lines = [",".join(f.name for f in dataclasses.fields(IndexRow))]
        for row in stack.rows:
            values = [str(getattr(row, f.name)).replace(",", ";") for f in dataclasses.fields(row)]
            lines.append(",".join(values))
            if row.status == "ok" and row.fits:
                name = f"{row.frame:04d}_{row.obs_id}_{row.date_obs[:10]}.fits"
                archive.writestr(name, stack.frame(row.fits))
        archive.writestr("index.csv", "\n".join(lines) + "\n")
    return buffer.getvalue()


def _tile(stack: Stack, row: IndexRow, size: tuple[int, int]) -> Image.Image:
    """A frame's preview with its date under it (a grey frame for a failed exposure)."""
    width, height = size
    tile = Image.new("RGB", (width, height + 16), (20, 20, 20))
    if row.status == "ok" and row.png:
        image = Image.open(io.BytesIO(frame_preview(stack.results, stack.job, row.png)))
        tile.paste(image.convert("RGB").resize((width, height)), (0, 0))
    else:
        ImageDraw.Draw(tile).text((4, height // 2), row.status, fill=LABEL)
    ImageDraw.Draw(tile).text((3, height + 2), f"{row.date_obs[:10]} {row.obs_id}", fill=LABEL)
    return tile


def _tile_size(job: Job) -> tuple[int, int]:
    spec = job.specs[0]
    scale = min(1.0, 200.0 / max(spec.width, spec.height))
    return max(16, round(spec.width * scale)), max(16, round(spec.height * scale))


def contact_sheet(stack: Stack, kind: str) -> bytes:
    """Every frame on a grid of SHEET_COLUMNS, dates under them (PNG or PDF)."""
    rows = stack.rows
    size = _tile_size(stack.job)
    columns = max(1, min(SHEET_COLUMNS, len(rows)))
    lines = max(1, math.ceil(len(rows) / columns))
    sheet = Image.new("RGB", (columns * (size[0] + 4), lines * (size[1] + 20)), (0, 0, 0))
    for k, row in enumerate(rows):
        x, y = (k % columns) * (size[0] + 4), (k // columns) * (size[1] + 20)
        sheet.paste(_tile(stack, row, size), (x, y))
    buffer = io.BytesIO()
    sheet.save(buffer, "PDF" if kind == "pdf" else "PNG")
    return buffer.getvalue()


def blink(stack: Stack, kind: str) -> bytes:
    """An animation of the frames in date order (APNG or WebP), half a second each."""
    rows = [r for r in stack.rows if r.status == "ok"] or stack.rows
    size = _tile_size(stack.job)
    tiles = [_tile(stack, row, size) for row in rows]
    buffer = io.BytesIO()
    if not tiles:
        tiles = [Image.new("RGB", size)]
    fmt = "WEBP" if kind == "webp" else "PNG"
    tiles[0].save(buffer, fmt, save_all=True, append_images=tiles[1:], duration=500, loop=0)
    return buffer.getvalue()


MAKERS: dict[str, Callable[[Stack], bytes]] = {
    "stack.fits": multi_extension,
    "cube.fits": cube,
    "frames.zip": zip_of_frames,
    "sheet.png": lambda s: contact_sheet(s, "png"),
    "sheet.pdf": lambda s: contact_sheet(s, "pdf"),
    "blink.png": lambda s: blink(s, "png"),
    "blink.webp": lambda s: blink(s, "webp"),
}


def frame_preview(results: ResultStore, job: Job, name: str) -> bytes:
    """A stack frame's PNG preview (``frame-0001.png``), made from its FITS on first
    request with the job's preview options, and kept.

    Raises
    ------
    NotFoundFault
        If no frame of the job has that preview.
    """
    ensure_frame_preview(results, job, name)
    return results.get(job.job_id, name)


def ensure_frame_preview(results: ResultStore, job: Job, name: str) -> None:
    """Make a stack frame's PNG preview if no worker made it yet.

    Raises
    ------
    NotFoundFault
        If no frame of the job has that preview.
    """
    if results.exists(job.job_id, name):
        return
    fits_name = name.removesuffix(".png") + ".fits"
    if not any(name in o.results and fits_name in o.results for o in job.outcomes.values()):
        raise NotFoundFault(f"job {job.job_id} has no result {name[:60]!r}")
    data = fits.getdata(io.BytesIO(results.get(job.job_id, fits_name)))
    options = dataclasses.replace(job.specs[0].preview, annotate=False)
    buffer = io.BytesIO()
    picture(data, None, options).save(buffer, "PNG", compress_level=1)
    results.put(job.job_id, name, buffer.getvalue(), "image/png")


def ensure_product(results: ResultStore, job: Job, name: str) -> None:
    """Make a stack's product if no worker made it yet (the plan is read only then).

    Raises
    ------
    NotFoundFault
        For a name that is no product of this job.
    """
    if job.kind != STACK or name not in PRODUCTS:
        raise NotFoundFault(f"job {job.job_id} has no result {name[:60]!r}")
    if results.exists(job.job_id, name):
        return
    plan = Plan.load(results, job.job_id)
    if name == "index.json":
        write_index(results, job, plan)
    else:
        results.put(job.job_id, name, MAKERS[name](Stack(results, job, plan)), PRODUCTS[name])


def main_product(job: Job) -> str:
    """The product RESPONSEFORMAT asked for."""
    fmt = stack_format(job.response_format)
    return fmt.product if fmt else "stack.fits"
