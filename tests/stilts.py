"""STILTS (Debian's ``stilts``, installed by ``.ci/install-system-deps``) as a test
oracle: votlint, datalinklint, xsdvalidate with the IVOA schemas it ships, cone."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

JAR = Path("/usr/share/java/starlink-ttools.jar")
SHIM = Path(__file__).parent / "data" / "RegistryInterface-shim.xsd"
SCHEMAS = {
    "http://www.ivoa.net/xml/VOSICapabilities/v1.0": "VOSICapabilities-v1.0.xsd",
    "http://www.ivoa.net/xml/VOSIAvailability/v1.0": "VOSIAvailability-v1.0.xsd",
    "http://www.ivoa.net/xml/VOResource/v1.0": "VOResource-v1.1.xsd",
    "http://www.ivoa.net/xml/VODataService/v1.1": "VODataService-v1.1.xsd",
    "http://www.ivoa.net/xml/STC/stc-v1.30.xsd": "stc-v1.30.xsd",
    "http://www.ivoa.net/xml/RegistryInterface/v1.0": SHIM.name,
    "http://www.ivoa.net/xml/UWS/v1.0": "UWS-v1.1.xsd",
    "http://www.w3.org/1999/xlink": "xlink.xsd",
}


def stilts(*args: str, timeout: float = 180) -> str:
    """Run a STILTS command; its stdout and stderr together."""
    exe = shutil.which("stilts")
    assert exe, "stilts is not installed: run .ci/install-system-deps"
    done = subprocess.run(
        [exe, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    return done.stdout + done.stderr


def schema_dir(root: Path) -> Path:
    """The IVOA XSDs bundled in STILTS, extracted under ``root`` (plus the shim)."""
    with zipfile.ZipFile(JAR) as jar:
        for name in jar.namelist():
            if name.startswith("uk/ac/starlink/ttools/taplint/") and name.endswith(".xsd"):
                (root / Path(name).name).write_bytes(jar.read(name))
    shutil.copy(SHIM, root / SHIM.name)
    return root


def xsdvalidate(document: Path | str, schemas: Path, namespaces: list[str]) -> str:
    """Validate ``document`` against the local schemas of ``namespaces``."""
    locs = [f"schemaloc={ns}={schemas / SCHEMAS[ns]}" for ns in namespaces]
    return stilts("xsdvalidate", str(document), *locs)


def votlint(document: Path | str) -> list[str]:
    """votlint's ERROR and WARNING lines (empty: a clean VOTable)."""
    out = stilts("votlint", f"votable={document}", "ucd=true", "unit=true")
    return [line for line in out.splitlines() if line.startswith(("ERROR", "WARNING"))]
