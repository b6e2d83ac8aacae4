"""The celestial frame a solution is written in, and its conversion to ICRS.

Plate solutions come in FK4 (B1950, with the E-terms of aberration, at the plate's
epoch), FK5 at any equinox, or ICRS. Platecut works in ICRS everywhere (catalog,
footprints, grids), so a solution's positions pass through :class:`SkyFrame` on the
way out and on the way in. The rules for a header without RADESYS or EQUINOX are the
FITS WCS paper II's (wcslib applies them for the standard solutions).

Depends on astropy only.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
from astropy import units as u
from astropy.io import fits
from astropy.time import Time

from service.faults import CorruptDataFault

SYSTEMS = ("ICRS", "FK5", "FK4", "FK4-NO-E")


@dataclasses.dataclass(frozen=True)
class SkyFrame:
    """A celestial reference frame of a plate solution.

    Attributes
    ----------
    system
        One of :data:`SYSTEMS`.
    equinox
        Besselian for FK4, Julian for FK5 (years); None for ICRS.
    epoch_mjd
        Epoch of observation (FK4 rotates with time): MJD-OBS or DATE-OBS; None:
        the equinox.
    """

    system: str = "ICRS"
    equinox: float | None = None
    epoch_mjd: float | None = None

    @property
    def is_icrs(self) -> bool:
        """True when no conversion is needed."""
        return self.system == "ICRS"

    def to_icrs(self, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """ICRS positions (degrees) of positions in this frame."""
        if self.is_icrs:
            return ra, dec
        from astropy.coordinates import ICRS, SkyCoord  # FK4/FK5 solutions only

        coords = SkyCoord(np.asarray(ra) * u.deg, np.asarray(dec) * u.deg, frame=_astropy(self))
        icrs = coords.transform_to(ICRS())
        return icrs.ra.deg, icrs.dec.deg

    def from_icrs(self, ra: np.ndarray, dec: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in this frame of ICRS positions (degrees)."""
        if self.is_icrs:
            return ra, dec
        from astropy.coordinates import ICRS, SkyCoord  # FK4/FK5 solutions only

        coords = SkyCoord(np.asarray(ra) * u.deg, np.asarray(dec) * u.deg, frame=ICRS())
        native = coords.transform_to(_astropy(self))
        return native.spherical.lon.deg, native.spherical.lat.deg

    def cards(self) -> list[tuple[str, object, str]]:
        """RADESYS, EQUINOX (and MJD-OBS for FK4) as FITS cards."""
        out: list[tuple[str, object, str]] = [("RADESYS", self.system, "celestial frame")]
        if self.equinox is not None:
            out.append(("EQUINOX", float(self.equinox), "[yr] equinox of the frame"))
        if self.system.startswith("FK4") and self.epoch_mjd is not None:
            out.append(("MJD-OBS", float(self.epoch_mjd), "[d] epoch of the FK4 positions"))
        return out


@functools.lru_cache(maxsize=64)
def _astropy(frame: SkyFrame):  # noqa: ANN202
    from astropy.coordinates import FK4, FK5, FK4NoETerms

    if frame.system == "FK5":
        return FK5(equinox=Time(frame.equinox or 2000.0, format="jyear", scale="tt"))
    equinox = Time(frame.equinox or 1950.0, format="byear", scale="tt")
    epoch = equinox if frame.epoch_mjd is None else Time(frame.epoch_mjd, format="mjd", scale="tt")
    kind = FK4 if frame.system == "FK4" else FK4NoETerms
    return kind(equinox=equinox, obstime=epoch)


def _number(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def frame_of(
    system: str, equinox: object = None, epoch_mjd: object = None, where: str = ""
) -> SkyFrame:
    """The frame named by RADESYS (or its old name RADECSYS), EQUINOX (or EPOCH) and the
    epoch, with FITS's defaults: no RADESYS is ICRS without an equinox, FK4 before 1984
    and FK5 from 1984; no equinox is B1950 for FK4 and J2000 for FK5.

    Raises
    ------
    CorruptDataFault
        For a frame that is not ICRS, FK5, FK4 or FK4-NO-E, or an unreadable equinox.
    """
    name = str(system or "").strip().upper()
    year = _number(equinox)
    if equinox not in (None, "") and year is None:
        raise CorruptDataFault(f"{where}EQUINOX {equinox!r} is not a number")
    if not name:
        name = "ICRS" if year is None else ("FK4" if year < 1984.0 else "FK5")
    if name not in SYSTEMS:
        raise CorruptDataFault(f"{where}RADESYS {name!r} is not one of {', '.join(SYSTEMS)}")
    if name == "ICRS":
        return SkyFrame()
    if year is None:
        year = 2000.0 if name == "FK5" else 1950.0
    epoch = _number(epoch_mjd) if name.startswith("FK4") else None
    return SkyFrame(name, year, epoch)


def header_frame(header: fits.Header, key: str = "") -> SkyFrame:
    """The frame of the solution under ``key`` of a header (for solutions wcslib does
    not read, such as ZPX)."""
    system = header.get(f"RADESYS{key}", header.get("RADECSYS", ""))
    equinox = header.get(f"EQUINOX{key}", header.get("EPOCH"))
    epoch = header.get(f"MJD-OBS{key}", header.get("MJD-OBS"))
    if epoch is None and header.get("DATE-OBS"):
        try:
            epoch = Time(str(header["DATE-OBS"]), scale="tt").mjd
        except ValueError:
            epoch = None
    return frame_of(system, equinox, epoch, f"{key or 'primary'} solution: ")
