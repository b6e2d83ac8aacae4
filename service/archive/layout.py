"""The archive layout: the contract between an archive operator and Platecut.

An archive is a directory (or an S3 prefix) holding, for every plate::

    plates/<series>/<plate_id>.json             sidecar metadata (this module)
    mosaics/<series>/<plate_id>_<mosnum:02d>.fits.fz   tile-compressed mosaic, image in HDU 1
    headers/<series>/<plate_id>_<mosnum:02d>.wcs.gz    gzipped 80-character header cards

Object keys inside a sidecar are relative to the archive root, so an operator may
place files elsewhere as long as the sidecar names them. This module only
describes and (de)serialises sidecars; it depends on nothing else in the package.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path

PLATE_ID = re.compile(r"^(?P<series>[a-z]{1,4})(?P<number>\d{5})$")
ROTATIONS = (0, 90, 180, 270)
SIDECAR_VERSION = 1


class LayoutError(ValueError):
    """A sidecar does not follow the documented layout."""


@dataclasses.dataclass(frozen=True)
class MosaicMeta:
    """One scanned mosaic of a plate.

    ``width`` and ``height`` are the stored image's NAXIS1 and NAXIS2.
    ``rotation_delta`` (0, 90, 180, 270) says how the stored pixels are rotated
    relative to the pixel frame of the WCS solutions: the stored array is
    ``numpy.rot90(solution_frame_array, rotation_delta // 90)``.
    """

    mosnum: int
    scan_id: str
    object_key: str
    header_key: str
    width: int
    height: int
    rotation_delta: int
    compression: str
    tile: tuple[int, int]  # (ZTILE1, ZTILE2)


@dataclasses.dataclass(frozen=True)
class ExposureMeta:
    """One exposure of a plate and the WCS solution that describes it.

    ``solnum`` is 0-based; in the header file it is alternate key ``A`` + solnum
    when the mosaic has several solutions, the primary key when it has one.
    """

    exposure: int
    mosnum: int
    solnum: int
    date_obs: str  # ISO 8601 UTC, start of exposure
    mjd_start: float
    mjd_end: float
    exptime_s: float


@dataclasses.dataclass(frozen=True)
class PlateMeta:
    """A plate with its mosaics and exposures."""

    plate_id: str
    series: str
    number: int
    telescope: str
    plate_class: str
    pixel_scale_arcsec: float
    mosaics: tuple[MosaicMeta, ...]
    exposures: tuple[ExposureMeta, ...]

    @property
    def sidecar_key(self) -> str:
        """Key of this plate's sidecar relative to the archive root."""
        return sidecar_key(self.plate_id)

    def mosaic(self, mosnum: int) -> MosaicMeta:
        """Return the mosaic numbered ``mosnum``.

        Raises
        ------
        KeyError
            If the plate has no such mosaic.
        """
        for mosaic in self.mosaics:
            if mosaic.mosnum == mosnum:
                return mosaic
        raise KeyError(f"plate {self.plate_id} has no mosaic {mosnum}")

    def to_json(self) -> str:
        """Serialise as the sidecar's JSON text."""
        body = dataclasses.asdict(self)
        body = {"sidecar_version": SIDECAR_VERSION, **body}
        return json.dumps(body, indent=1, sort_keys=False) + "\n"


def split_plate_id(plate_id: str) -> tuple[str, int]:
    """Split a DASCH-style identifier such as ``a03393`` into series and number.

    Raises
    ------
    LayoutError
        If the identifier is not a series (1-4 lowercase letters) and 5 digits.
    """
    match = PLATE_ID.match(plate_id)
    if not match:
        raise LayoutError(f"plate id {plate_id!r} is not <series><5 digits>")
    return match["series"], int(match["number"])


def sidecar_key(plate_id: str) -> str:
    """Key of the sidecar of ``plate_id`` relative to the archive root."""
    series, _ = split_plate_id(plate_id)
    return f"plates/{series}/{plate_id}.json"


def mosaic_key(plate_id: str, mosnum: int) -> str:
    """Default key of a mosaic relative to the archive root."""
    series, _ = split_plate_id(plate_id)
    return f"mosaics/{series}/{plate_id}_{mosnum:02d}.fits.fz"


def header_key(plate_id: str, mosnum: int) -> str:
    """Default key of a mosaic's WCS header file relative to the archive root."""
    series, _ = split_plate_id(plate_id)
    return f"headers/{series}/{plate_id}_{mosnum:02d}.wcs.gz"


def plate_from_json(text: str) -> PlateMeta:
    """Parse a sidecar.

    Raises
    ------
    LayoutError
        If the text is not a valid sidecar.
    """
    try:
        body = json.loads(text)
        version = body.pop("sidecar_version")
        if version != SIDECAR_VERSION:
            raise LayoutError(f"unsupported sidecar_version {version}")
        mosaics = tuple(MosaicMeta(**{**m, "tile": tuple(m["tile"])}) for m in body.pop("mosaics"))
        exposures = tuple(ExposureMeta(**e) for e in body.pop("exposures"))
        plate = PlateMeta(**body, mosaics=mosaics, exposures=exposures)
    except LayoutError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise LayoutError(f"invalid sidecar: {exc}") from exc
    _validate(plate)
    return plate


def _validate(plate: PlateMeta) -> None:
    series, number = split_plate_id(plate.plate_id)
    if (series, number) != (plate.series, plate.number):
        raise LayoutError(f"{plate.plate_id}: series/number disagree with the identifier")
    mosnums = {m.mosnum for m in plate.mosaics}
    for mosaic in plate.mosaics:
        if mosaic.rotation_delta not in ROTATIONS:
            raise LayoutError(f"{plate.plate_id}: rotation_delta must be one of {ROTATIONS}")
    for exposure in plate.exposures:
        if exposure.mosnum not in mosnums:
            raise LayoutError(f"{plate.plate_id}: exposure {exposure.exposure} names no mosaic")


def iter_local_plates(root: Path) -> Iterator[PlateMeta]:
    """Yield the plates of a local archive in identifier order.

    Parameters
    ----------
    root
        The archive directory.

    Raises
    ------
    LayoutError
        If a sidecar is invalid.
    """
    for path in sorted((root / "plates").glob("*/*.json")):
        yield plate_from_json(path.read_text())
