"""An archive of plates whose WCS header files were written by other software (IRAF
TNX and ZPX, TPV, SIP, DSS, FK4 and FK5 frames, alternate keys), in the documented
layout, with for every solution a reference to compare positions with (AST, or the
format's formula where AST does not read the header fully)."""

from __future__ import annotations

import dataclasses
import gzip
import json
from collections.abc import Callable
from pathlib import Path

import fitsio
import numpy as np

from service.demo.optics import _deproject
from tests.wcs.headers import (
    CD,
    CRPIX,
    CRVAL,
    ast_sky,
    card,
    dss_cards,
    intermediate,
    linear,
    size_cards,
    surface,
    surface_value,
    text,
    wat_cards,
    wat_value,
)

Sky = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
PV = {(1, 1): 1.0, (1, 4): 2.1e-3, (1, 7): -0.048, (1, 17): -0.021, (2, 1): 1.0,
      (2, 4): 1.5e-3, (2, 8): -0.03, (2, 21): 0.005}  # fmt: skip
OTHER = ((CRVAL[0] + 0.1, CRVAL[1] - 0.05), (CRPIX[0] + 7, CRPIX[1] - 3), CD)


@dataclasses.dataclass
class ForeignPlate:
    """One plate: its header file's text, stored shape and rotation, and per solution
    the reference positions (ICRS) of 0-based solution-frame pixels."""

    plate_id: str
    header: str
    shape: tuple[int, int]  # (ny, nx) of the solution frame
    rotation: int
    references: list[Sky]
    keys: list[str]


def _tnx(kind: int, xterms: int, seed: int) -> tuple[str, Sky]:
    lng, lat = surface(kind, 4, 4, xterms, seed), surface(kind, 4, 4, xterms, seed + 1)
    cards = size_cards() + linear("TNX") + [card("WAT0_001", "system=image")]
    cards += wat_cards(1, wat_value(1, "lngcor", lng), 64)
    cards += wat_cards(2, wat_value(2, "latcor", lat), 64)

    def formula(x, y):  # noqa: ANN001, ANN202
        xi, eta = intermediate(x, y)
        return _deproject(
            CRVAL, xi + surface_value(lng, xi, eta), eta + surface_value(lat, xi, eta)
        )

    return text(cards), formula


def _zpx() -> tuple[str, Sky]:
    """ZPX with no correction surfaces (AST reads the zenithal polynomial exactly)."""
    cards = size_cards() + linear("ZPX")
    cards += [card("PV2_1", 1.0), card("PV2_3", 0.08), card("PV2_5", -0.01)]
    cards += [card("RADECSYS", "FK5"), card("EQUINOX", 2000.0)]
    header = text(cards + [card("WAT1_001", "wtype=zpx axtype=ra")])
    return header, lambda x, y: ast_sky(header, x, y, system="ICRS")


def plates() -> list[ForeignPlate]:
    """The plates of the foreign archive."""
    out = []
    power, power_ref = _tnx(3, 2, 11)
    out.append(ForeignPlate("tnx00001", power, (1800, 2000), 0, [power_ref], [""]))
    legendre, legendre_ref = _tnx(2, 1, 13)
    out.append(ForeignPlate("tnx00002", legendre, (1800, 2000), 90, [legendre_ref], [""]))
    zpx, zpx_ref = _zpx()
    out.append(ForeignPlate("zpx00003", zpx, (1800, 2000), 0, [zpx_ref], [""]))
    pv_a = [card(f"PV{i}_{m}A", v) for (i, m), v in PV.items()]
    cards = size_cards() + linear("TAN", "A") + pv_a
    cards += linear("TAN-SIP", "B", *OTHER) + [card("RADESYSB", "FK5"), card("EQUINOXB", 1975.0)]
    cards += [card("A_ORDER", 2), card("B_ORDER", 2), card("A_2_0", 2e-6), card("B_0_2", -1e-6)]
    cards += linear("TAN-SIP", "", *OTHER) + [card("RADESYS", "FK5"), card("EQUINOX", 1975.0)]
    keyed = text(cards)
    as_tpv = keyed.replace("CTYPE1A = 'RA---TAN'", "CTYPE1A = 'RA---TPV'").replace(
        "CTYPE2A = 'DEC--TAN'", "CTYPE2A = 'DEC--TPV'"
    )
    # SIP has no alternate-key keywords: its coefficients belong to the solution whose
    # CTYPE says -SIP; AST applies them to the primary key only, so B is given to AST
    # as the primary solution of a header of its own
    sip_b = size_cards() + linear("TAN-SIP", "", *OTHER)
    sip_b += [card("RADESYS", "FK5"), card("EQUINOX", 1975.0), card("A_ORDER", 2)]
    sip_b += [card("B_ORDER", 2), card("A_2_0", 2e-6), card("B_0_2", -1e-6)]
    sip_b = text(sip_b)
    out.append(
        ForeignPlate(
            "two00004",
            keyed,
            (1800, 2000),
            180,
            [
                lambda x, y: ast_sky(as_tpv, x, y, "A", "ICRS"),
                lambda x, y: ast_sky(sip_b, x, y, "", "ICRS"),
            ],
            ["A", "B"],
        )
    )
    dss = text(dss_cards())
    out.append(
        ForeignPlate("dss00005", dss, (1000, 1200), 270, [lambda x, y: ast_sky(dss, x, y, "", "ICRS")], [""])
    )  # fmt: skip
    pv = [card(f"PV{i}_{m}", v) for (i, m), v in PV.items()]
    fk4 = text(
        size_cards() + linear("TPV") + pv + [card("RADESYS", "FK4"), card("EQUINOX", 1950.0)]
    )
    out.append(
        ForeignPlate("fkf00006", fk4, (1800, 2000), 0, [lambda x, y: ast_sky(fk4, x, y, "", "ICRS")], [""])
    )  # fmt: skip
    return out


def write_archive(root: Path) -> list[ForeignPlate]:
    """Write the plates in the documented layout (mosaics: a smooth gradient, Rice)."""
    made = plates()
    for n, plate in enumerate(made):
        series = plate.plate_id[:3]
        ny, nx = plate.shape
        stored = (ny, nx) if plate.rotation in (0, 180) else (nx, ny)
        yy, xx = np.mgrid[0 : stored[0], 0 : stored[1]]
        data = (1000 + (xx * 7 + yy * 3) % 4000 + n).astype(np.uint16)
        mosaic = f"mosaics/{series}/{plate.plate_id}_00.fits.fz"
        header = f"headers/{series}/{plate.plate_id}_00.wcs.gz"
        (root / mosaic).parent.mkdir(parents=True, exist_ok=True)
        with fitsio.FITS(str(root / mosaic), "rw", clobber=True) as f:
            f.write(data, compress="RICE", tile_dims=[1, stored[1]])
        (root / header).parent.mkdir(parents=True, exist_ok=True)
        (root / header).write_bytes(gzip.compress(plate.header.encode()))
        sidecar = {
            "sidecar_version": 1,
            "plate_id": plate.plate_id,
            "series": series,
            "number": int(plate.plate_id[3:]),
            "telescope": "foreign telescope",
            "plate_class": "X",
            "pixel_scale_arcsec": 0.7,
            "mosaics": [
                {"mosnum": 0, "scan_id": f"{plate.plate_id}_00_1", "object_key": mosaic,
                 "header_key": header, "width": stored[1], "height": stored[0],
                 "rotation_delta": plate.rotation, "compression": "RICE_1",
                 "tile": [stored[1], 1]}
            ],
            "exposures": [
                {"exposure": s, "mosnum": 0, "solnum": s, "date_obs": "1930-01-01T00:00:00",
                 "mjd_start": 26023.0 + s, "mjd_end": 26023.01 + s, "exptime_s": 600.0}
                for s in range(len(plate.keys))
            ],
        }  # fmt: skip
        path = root / "plates" / series / f"{plate.plate_id}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(sidecar))
    return made
