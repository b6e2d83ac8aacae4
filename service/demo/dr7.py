"""A demo archive shaped as DASCH DR7 stores it: mosaics in a bucket under a key
template, one item per plate in a DynamoDB plates table (see
:mod:`service.archive.dr7` for the layout).

The plates are the demo generator's (stars rendered through a known true WCS), laid
out DASCH's way: every rotationDelta value (0, +-90, +-180, +-270, the bitmap stored
rotated as DASCH says), plates of 1, 2 and 3 solutions, logged exposures without a
solution, a NULL exposure entry, a placeholder centre, a plate never scanned and a
plate scanned but not solved. Everything follows from (plates, seed, size, series,
fields): :func:`plan_dr7` gives the truth again to whoever knows them.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime
import gzip
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from decimal import Decimal
from typing import Any

import fitsio
import numpy as np
from astropy.io import fits

from service.archive.dr7 import BINNED, ROTATIONS, mosaic_key
from service.demo.generate import _mosaic_header
from service.demo.plan import CLUSTERS, PlatePlan, plan_archive
from service.demo.render import render_solution_frame
from service.times import MJD_EPOCH

#: the item's rotationDelta of plate i is DASCH_ROTATIONS[i % 7]
DASCH_ROTATIONS = (0, 90, -90, 180, -180, 270, -270)
KEY_TEMPLATE = "mosaics/{series}/{plate_id}_{mos:02d}_{{bin}}{{tnx}}.fits.fz"
MOS_NUM, SCAN_NUM = 1, 1


@dataclasses.dataclass(frozen=True)
class Logged:
    """An entry of the item's exposure list."""

    number: int
    ra: float
    dec: float
    dur_min: float
    midpoint_mjd: float
    center_source: str


@dataclasses.dataclass(frozen=True)
class Dr7Plan:
    """One plate of the DR7 demo: the demo plate (its solved exposures first) and how
    DASCH's item describes it.

    Attributes
    ----------
    plan
        The rendered plate; ``plan.exposures[:n_solutions]`` are its solutions.
    rotation
        The item's rotationDelta (DASCH's value).
    logged
        The item's exposure list: one entry per solution (None: a NULL entry), then the
        exposures with no solution.
    scanned
        Whether the plate has a mosaic.
    """

    plan: PlatePlan
    rotation: int
    n_solutions: int
    logged: tuple[Logged | None, ...]
    scanned: bool = True

    @property
    def plate_id(self) -> str:
        return self.plan.plate_id

    def key_template(self) -> str:
        """The item's s3KeyTemplate."""
        return KEY_TEMPLATE.format(
            series=self.plan.series.code, plate_id=self.plate_id, mos=MOS_NUM
        )


def _near(plan: PlatePlan, fx: float, fy: float) -> tuple[float, float]:
    """Sky position of the fraction (fx, fy) of the plate's first solution frame."""
    ny, nx = plan.shape
    ra, dec = plan.exposures[0].solution.pixel_to_world(np.array([fx * nx]), np.array([fy * ny]))
    return float(ra[0]) % 360.0, float(dec[0])


def plan_dr7(
    plates: int = 12,
    seed: int = 1,
    size: int | None = None,
    series: list[str] | None = None,
    fields: tuple[tuple[float, float], ...] = CLUSTERS,
) -> list[Dr7Plan]:
    """The DR7 demo: ``plates`` solved plates, then one scanned but not solved and one
    never scanned (so ``plates + 2`` items)."""
    base = plan_archive(plates + 2, seed, size=size, series=series, fields=fields)
    out = []
    for i, plan in enumerate(base[:plates]):
        rotation = DASCH_ROTATIONS[i % len(DASCH_ROTATIONS)]
        plan = dataclasses.replace(
            plan, rotation_delta=ROTATIONS[rotation], compression="RICE_1", tile=None
        )
        logged: list[Logged | None] = [
            Logged(e.number, *e.solution.crval, e.exptime_s / 60.0, e.mjd_mid, "imwcs")
            for e in plan.exposures
        ]
        if len(logged) >= 3:
            logged[1] = None  # no logged exposure matches solution 1
        extra = len(plan.exposures)
        last = plan.exposures[-1]
        if i % 3 == 0:  # an exposure the astrometry did not solve, near the plate centre
            ra, dec = _near(plan, 0.45, 0.55)
            logged.append(Logged(extra, ra, dec, 30.0, last.mjd_mid + 0.04, "logbook"))
            extra += 1
        if i % 4 == 1:  # a placeholder centre: never listed
            logged.append(Logged(extra, 999.0, 99.0, 20.0, last.mjd_mid + 0.06, "logbook"))
        out.append(Dr7Plan(plan, rotation, len(plan.exposures), tuple(logged)))
    unsolved, never = base[plates], base[plates + 1]
    unsolved = dataclasses.replace(unsolved, compression="RICE_1", tile=None)
    ra, dec = _near(unsolved, 0.5, 0.5)
    first = unsolved.exposures[0]
    out.append(
        Dr7Plan(
            unsolved, 0, 0, (Logged(0, ra, dec, first.exptime_s / 60.0, first.mjd_mid, "logbook"),)
        )
    )
    ra, dec = _near(never, 0.5, 0.5)
    first = never.exposures[0]
    entries = (
        Logged(0, ra, dec, first.exptime_s / 60.0, first.mjd_mid, "logbook"),
        Logged(1, (ra + 0.3) % 360.0, dec, 45.0, first.mjd_mid + 0.1, "gsc"),
    )
    out.append(Dr7Plan(never, 0, 0, entries, scanned=False))
    return out


def dasch_time(mjd: float) -> str:
    """An MJD as DASCH writes times: ISO 8601 with hyphens in the time part."""
    moment = MJD_EPOCH + datetime.timedelta(days=mjd)
    return moment.strftime("%Y-%m-%dT%H-%M-%S")


def b01_header(dr7: Dr7Plan) -> bytes:
    """The item's b01HeaderGz: the solutions' cards (one under the primary key, or
    A, B, ... and a copy of the latest under the primary key), 80-character cards joined
    by newlines, no END, gzipped."""
    solved = dr7.plan.exposures[: dr7.n_solutions]
    keys = [chr(ord("A") + n) for n in range(len(solved))] if len(solved) > 1 else [""]
    if len(solved) > 1:
        keys.append("")
    header = fits.Header()
    header["PLATE_ID"] = dr7.plate_id
    for key in keys:
        exposure = solved[-1] if key == "" else solved[ord(key) - ord("A")]
        for name, value, comment in exposure.solution.header_cards(key):
            header[name] = (value, comment)
    lines = [card.image for card in header.cards]
    return gzip.compress("\n".join(lines).encode("ascii"), mtime=0)


def _fpack(image: np.ndarray, plan: PlatePlan) -> bytes:
    """The image as an fpack file: Rice, one row per tile, image in HDU 1."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "mosaic.fits.fz")
        with fitsio.FITS(path, "rw") as out:
            out.write(
                image,
                header=_mosaic_header(plan),
                compress="RICE",
                tile_dims=[1, image.shape[1]],
                qlevel=None,
            )
        with open(path, "rb") as done:
            return done.read()


def render_mosaics(dr7: Dr7Plan) -> tuple[bytes, bytes]:
    """(full-resolution, binned) fpack files of a scanned plate, stored as DASCH stores
    them: 16-bit signed (the demo's densities halved), the solution frame rotated by the
    rotation delta."""
    frame = render_solution_frame(dr7.plan) // 2  # int16, as DASCH's mosaics are
    stored = np.ascontiguousarray(np.rot90(frame, dr7.plan.rotation_delta // 90)).astype(np.int16)
    del frame
    ny, nx = stored.shape
    by, bx = ny // BINNED, nx // BINNED
    binned = stored[: by * BINNED, : bx * BINNED].reshape(by, BINNED, bx, BINNED).mean(axis=(1, 3))
    return _fpack(stored, dr7.plan), _fpack(np.rint(binned).astype(np.int16), dr7.plan)


def item(dr7: Dr7Plan) -> dict[str, Any]:
    """The plates-table item of a plate (Python values; floats as Decimal)."""
    plan = dr7.plan
    exposures = [
        None
        if e is None
        else {
            "number": e.number,
            "raDeg": _decimal(e.ra),
            "decDeg": _decimal(e.dec),
            "durMin": _decimal(e.dur_min),
            "midpointDate": dasch_time(e.midpoint_mjd),
            "dateAccDays": _decimal(0.01),
            "centerSource": e.center_source,
            "dateSource": "logbook",
        }
        for e in dr7.logged
    ]
    astrometry: dict[str, Any] = {"exposures": exposures, "nSolutions": dr7.n_solutions}
    if dr7.n_solutions:
        astrometry["b01HeaderGz"] = b01_header(dr7)
        astrometry["rotationDelta"] = dr7.rotation
    values: dict[str, Any] = {
        "plateId": dr7.plate_id,
        "series": plan.series.code,
        "plateNumber": int(dr7.plate_id[len(plan.series.code) :]),
        "astrometry": astrometry,
    }
    if dr7.scanned:
        ny, nx = (plan.shape[1], plan.shape[0]) if plan.rotation_delta in (90, 270) else plan.shape
        values["mosaic"] = {
            "b01Width": nx,
            "b01Height": ny,
            "s3KeyTemplate": dr7.key_template(),
            "scanNum": SCAN_NUM,
            "mosNum": MOS_NUM,
            "creationDate": "2023-06-01T12-00-00",
            "legacyRotation": 0,
            "resultId": f"r{plan.index:06d}",
        }
    return values


def _decimal(value: float) -> Decimal:
    return Decimal(repr(float(value)))


def _rendered(dr7: Dr7Plan) -> tuple[str, dict[str, Any], bytes | None, bytes | None]:
    full, binned = render_mosaics(dr7) if dr7.scanned else (None, None)
    return dr7.plate_id, item(dr7), full, binned


def write_dr7(
    s3: Any,  # noqa: ANN401 - a boto3 S3 client
    bucket: str,
    prefix: str,
    dynamodb: Any,  # noqa: ANN401 - a boto3 DynamoDB client
    table: str,
    plans: list[Dr7Plan],
    workers: int | None = None,
) -> list[str]:
    """Write the plates' mosaics to ``bucket`` (under ``prefix``) and their items to
    ``table`` (both created if absent). Returns the plate identifiers."""
    from boto3.dynamodb.types import TypeSerializer

    with contextlib.suppress(s3.exceptions.BucketAlreadyOwnedByYou):
        s3.create_bucket(Bucket=bucket)
    with contextlib.suppress(dynamodb.exceptions.ResourceInUseException):
        dynamodb.create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "plateId", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "plateId", "KeyType": "HASH"}],
        )
    dynamodb.get_waiter("table_exists").wait(TableName=table)
    serializer = TypeSerializer()
    base = prefix.strip("/")
    done = []
    with ProcessPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        for plate_id, values, full, binned in pool.map(_rendered, plans):
            if full is not None and binned is not None:
                template = values["mosaic"]["s3KeyTemplate"]
                for data, binning in ((full, 1), (binned, BINNED)):
                    key = mosaic_key(template, binning)
                    s3.put_object(Bucket=bucket, Key=f"{base}/{key}" if base else key, Body=data)
            typed = {name: serializer.serialize(value) for name, value in values.items()}
            dynamodb.put_item(TableName=table, Item=typed)
            done.append(plate_id)
    return done
