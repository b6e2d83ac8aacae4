"""Typed settings, read once.

Defaults live in ``conf/platecut.toml`` (or the file named by ``PLATECUT_CONFIG``);
any key is overridden by an environment variable ``PLATECUT_<SECTION>_<KEY>``.
Nothing here runs at import time: :func:`load_settings` is called by
``create_app`` and by the command line, and the result is passed on explicitly.

Depends on nothing else in the package.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = PROJECT_ROOT / "conf" / "platecut.toml"
ENV_PREFIX = "PLATECUT_"


class SettingsError(ValueError):
    """A configuration file or variable is missing, unknown or of the wrong type."""


@dataclasses.dataclass(frozen=True)
class ServiceSettings:
    """Identity of the service, as shown to people and to the VO registry."""

    title: str
    description: str
    authority: str
    ivo_path: str
    publisher: str
    contact_email: str

    def publisher_did(self, obs_id: str) -> str:
        """The public identifier of an exposure solution: ``ivo://authority/path?obs_id``."""
        return f"ivo://{self.authority}/{self.ivo_path}?{obs_id}"


@dataclasses.dataclass(frozen=True)
class ArchiveSettings:
    """Where the plate archive lives (a local directory or ``s3://bucket/prefix``) and
    how it is laid out: ``platecut`` (sidecars, header files, mosaics) or ``dasch-dr7``
    (DASCH's plates table in DynamoDB, named by ``dasch_table`` and read through the
    catalog's DynamoDB endpoint, and its mosaics under ``root``)."""

    root: str
    layout: str
    dasch_table: str


@dataclasses.dataclass(frozen=True)
class StorageSettings:
    """Object-store access: S3 endpoint, retries, timeouts, concurrency of ranged reads."""

    s3_endpoint_url: str
    s3_region: str
    s3_unsigned: bool
    max_attempts: int
    backoff_base_s: float
    backoff_max_s: float
    connect_timeout_s: float
    read_timeout_s: float
    concurrency: int
    part_size: int
    max_gap: int
    header_initial_bytes: int


@dataclasses.dataclass(frozen=True)
class CacheSettings:
    """The shared local replica of fetched byte ranges, and the in-memory caches."""

    dir: str
    budget_bytes: int
    stat_ttl_s: float
    memory_mosaics: int
    poison_holes: bool
    http_max_age_s: int

    def path(self) -> Path:
        """The cache directory as an absolute path."""
        path = Path(self.dir)
        return path if path.is_absolute() else PROJECT_ROOT / path


@dataclasses.dataclass(frozen=True)
class CatalogSettings:
    """Where the exposure catalog lives: one SQLite file, or a DynamoDB table."""

    backend: str
    sqlite_path: str
    dynamodb_table: str
    dynamodb_endpoint_url: str
    dynamodb_region: str
    max_attempts: int

    def sqlite_file(self) -> Path:
        """The SQLite file as an absolute path."""
        path = Path(self.sqlite_path)
        return path if path.is_absolute() else PROJECT_ROOT / path


@dataclasses.dataclass(frozen=True)
class CutoutSettings:
    """Default target grid and the limits of one cutout."""

    default_size: int
    default_scale_arcsec: float
    preview_size: int
    max_output_pixels: int
    max_source_pixels: int
    mapping_step: int
    mapping_tolerance_px: float
    decode_threads: int  # tiles decoded in parallel per process; 0: one per core
    compute_slots: int  # cutouts of one process decoding/resampling at once; 0: no limit


@dataclasses.dataclass(frozen=True)
class VoSettings:
    """Limits and addresses of the IVOA endpoints."""

    base_url: str  # public URL of the service root; empty: taken from each request
    allowed_hosts: str  # with base_url empty, the Host names accepted (comma-separated)
    default_maxrec: int
    max_maxrec: int
    max_ids: int  # identifiers in one DataLink request
    max_request_bytes: int  # longest query string, and largest form body, of a request
    registry_updated: str  # ISO date of the VOResource record's last change

    def trusted_hosts(self) -> list[str] | None:
        """Host names a request may name when links are made from its Host header (no
        base_url); None when base_url fixes the links. A leading dot admits subdomains."""
        if self.base_url:
            return None
        return [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]


@dataclasses.dataclass(frozen=True)
class ResultsSettings:
    """Large responses written to S3 and answered with a redirect (AWS Lambda caps a
    response at 6 MB, base64 included)."""

    s3_url: str  # s3://bucket/prefix; empty: never redirect
    redirect_above_bytes: int  # 0: never redirect
    url_expiry_s: int


@dataclasses.dataclass(frozen=True)
class StackSettings:
    """Asynchronous jobs (SODA async, UWS) and stacks: where they run, their limits."""

    scheduler: str  # Dask scheduler address; empty: the local cluster `make serve` starts
    local_workers: int  # worker processes of that local cluster; 0: one per core
    local_threads: int  # frames each of its workers cuts at once (reads overlap decoding)
    results_dir: str  # job results on local disk (results.s3_url empty); "": beside the catalog
    max_frames: int  # exposures in one stack or async job
    max_sync_frames: int  # exposures in one synchronous stack
    default_destruction_s: int  # a job is destroyed this long after its creation
    max_execution_s: int  # default and largest executionduration of a job
    max_wait_s: int  # longest blocking WAIT
    stall_s: int  # a running job nobody reported on for this long is marked ERROR
    max_jobs_listed: int  # rows of the job list (LAST may ask fewer)

    def results_path(self, catalog_file: Path) -> Path:
        """The results directory as an absolute path: by default beside the catalog's
        SQLite file that keeps the jobs (``<catalog>.results``), so that servers sharing
        a catalog share its jobs' results and no others."""
        if not self.results_dir:
            return catalog_file.with_name(catalog_file.name + ".results")
        path = Path(self.results_dir)
        return path if path.is_absolute() else PROJECT_ROOT / path


@dataclasses.dataclass(frozen=True)
class DemoSettings:
    """Shape of the demo archive generated when the archive root is absent."""

    plates: int
    seed: int


@dataclasses.dataclass(frozen=True)
class ServerSettings:
    """gunicorn settings used by ``conf/gunicorn.conf.py``."""

    bind: str
    workers: int
    timeout: int


@dataclasses.dataclass(frozen=True)
class Settings:
    """All settings of a Platecut process."""

    service: ServiceSettings
    archive: ArchiveSettings
    storage: StorageSettings
    cache: CacheSettings
    catalog: CatalogSettings
    cutout: CutoutSettings
    vo: VoSettings
    results: ResultsSettings
    stacks: StackSettings
    demo: DemoSettings
    server: ServerSettings

    @property
    def archive_is_local(self) -> bool:
        """True when the archive root is a local directory."""
        return "://" not in self.archive.root

    def local_archive_path(self) -> Path:
        """Return the archive root as an absolute local path.

        Raises
        ------
        SettingsError
            If the archive root is not a local directory.
        """
        if not self.archive_is_local:
            raise SettingsError(f"archive root {self.archive.root!r} is not a local directory")
        path = Path(self.archive.root)
        return path if path.is_absolute() else PROJECT_ROOT / path


def _convert(value: str, kind: type, where: str) -> object:
    if kind is bool:
        lowered = value.strip().lower()
        if lowered in {"1", "true", "yes", "on"}:
            return True
        if lowered in {"0", "false", "no", "off"}:
            return False
        raise SettingsError(f"{where}: expected a boolean, got {value!r}")
    try:
        return kind(value)
    except ValueError as exc:
        raise SettingsError(f"{where}: expected {kind.__name__}, got {value!r}") from exc


def _section(cls: type, name: str, values: Mapping[str, object], env: Mapping[str, str]) -> object:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = set(values) - known
    if unknown:
        raise SettingsError(f"[{name}]: unknown keys {sorted(unknown)}")
    kwargs: dict[str, object] = {}
    for field in dataclasses.fields(cls):
        kind = hints[field.name]
        env_name = f"{ENV_PREFIX}{name}_{field.name}".upper()
        if env_name in env:
            kwargs[field.name] = _convert(env[env_name], kind, env_name)
        elif field.name in values:
            value = values[field.name]
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind):
                raise SettingsError(
                    f"[{name}] {field.name}: expected {kind.__name__}, got {value!r}"
                )
            kwargs[field.name] = value
        else:
            raise SettingsError(f"[{name}] {field.name}: missing (and no {env_name})")
    return cls(**kwargs)


def load_settings(
    path: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Mapping[str, object]] | None = None,
) -> Settings:
    """Read the settings once.

    Parameters
    ----------
    path
        TOML file; default ``$PLATECUT_CONFIG`` or ``conf/platecut.toml``.
    env
        Environment to read ``PLATECUT_*`` overrides from; default ``os.environ``.
    overrides
        Section -> key -> value, applied over the file (tests use this).

    Returns
    -------
    Settings
        The typed, frozen settings.

    Raises
    ------
    SettingsError
        If the file is missing, a key unknown or a value of the wrong type.
    """
    env = os.environ if env is None else env
    path = Path(path or env.get(f"{ENV_PREFIX}CONFIG") or DEFAULT_CONFIG)
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read settings from {path}: {exc}") from exc
    for section, values in (overrides or {}).items():
        data.setdefault(section, {}).update(values)
    hints = typing.get_type_hints(Settings)
    unknown = set(data) - set(hints)
    if unknown:
        raise SettingsError(f"{path}: unknown sections {sorted(unknown)}")
    return Settings(
        **{name: _section(kind, name, data.get(name, {}), env) for name, kind in hints.items()}
    )
