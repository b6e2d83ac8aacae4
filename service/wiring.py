"""The one place that builds the parts of a Platecut process from its settings: object
store, catalog, replica and reader, cutout engine, cutout service, results bucket; and
closes them (connections and thread pools).

Domain modules take their dependencies as arguments and never read settings; the web
app (:mod:`service.web.context`), the command line and the benchmarks build through
here.
"""

from __future__ import annotations

import threading
from functools import cached_property

from service.catalog.base import Catalog
from service.catalog.factory import open_catalog
from service.cutout.engine import CutoutEngine, CutoutLimits
from service.cutouts import CutoutService
from service.rangeread.reader import MosaicReader, ReadOptions
from service.rangeread.replica import Replica
from service.settings import Settings
from service.storage.base import ObjectStore
from service.storage.factory import open_results, open_store
from service.storage.s3 import S3Store
from service.uws.results import LocalResults, ResultStore, S3Results
from service.uws.store import DynamoJobStore, JobStore, SqliteJobStore


def read_options(settings: Settings) -> ReadOptions:
    """Reading options from the ``[storage]``, ``[cache]`` and ``[cutout]`` settings."""
    st, cache = settings.storage, settings.cache
    return ReadOptions(
        concurrency=st.concurrency,
        part_size=st.part_size,
        max_gap=st.max_gap,
        header_initial_bytes=st.header_initial_bytes,
        stat_ttl_s=cache.stat_ttl_s,
        memory_mosaics=cache.memory_mosaics,
        decode_threads=settings.cutout.decode_threads,
    )


def open_reader(settings: Settings, store: ObjectStore) -> MosaicReader:
    """A reader over ``store`` with the configured replica and options."""
    cache = settings.cache
    replica = Replica(cache.path(), cache.budget_bytes, poison=cache.poison_holes)
    return MosaicReader(store, replica, read_options(settings))


def open_engine(settings: Settings, store: ObjectStore) -> CutoutEngine:
    """A cutout engine reading through ``store`` with the configured limits."""
    c = settings.cutout
    limits = CutoutLimits(
        c.max_output_pixels, c.max_source_pixels, c.mapping_step, c.mapping_tolerance_px
    )
    return CutoutEngine(open_reader(settings, store), limits)


class Services:
    """The parts of one process, opened on first use and closed together.

    Parameters
    ----------
    settings
        The process's settings.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.RLock()

    @cached_property
    def store(self) -> ObjectStore:
        """The archive's object store."""
        with self._lock:
            return open_store(self.settings)

    @cached_property
    def catalog(self) -> Catalog:
        """The exposure catalog."""
        with self._lock:
            return open_catalog(self.settings)

    @cached_property
    def results(self) -> S3Store | None:
        """Where large responses are written, if configured."""
        with self._lock:
            return open_results(self.settings)

    @cached_property
    def engine(self) -> CutoutEngine:
        """The cutout engine (over :attr:`store`)."""
        with self._lock:
            return open_engine(self.settings, self.store)

    @cached_property
    def cutouts(self) -> CutoutService:
        """Identifier -> cutout, for every blueprint that makes one."""
        with self._lock:
            return CutoutService(self.catalog, self.engine, self.settings.cutout.default_size)

    @cached_property
    def jobs(self) -> JobStore:
        """UWS jobs: beside the catalog (its SQLite file or its DynamoDB table)."""
        c = self.settings.catalog
        with self._lock:
            if c.backend == "dynamodb":
                return DynamoJobStore(c.dynamodb_table, c.dynamodb_endpoint_url, c.dynamodb_region)
            return SqliteJobStore(c.sqlite_file())

    @cached_property
    def job_results(self) -> ResultStore:
        """Job results: the results bucket when configured, else a local directory."""
        with self._lock:
            if self.results is not None:
                return S3Results(self.results, self.settings.results.url_expiry_s)
            return LocalResults(
                self.settings.stacks.results_path(self.settings.catalog.sqlite_file())
            )

    @cached_property
    def job_service(self):  # noqa: ANN201 - service.stacks.jobs.JobService
        """UWS jobs and stacks."""
        from service.stacks.jobs import JobService

        with self._lock:
            return JobService(self)

    @cached_property
    def dask(self):  # noqa: ANN201 - distributed.Client, imported only when jobs run
        """A client of the Dask scheduler (``stacks.scheduler``).

        Raises
        ------
        TransientFault
            If no scheduler is configured or it cannot be reached.
        """
        from distributed import Client

        from service.faults import TransientFault

        address = self.settings.stacks.scheduler
        if not address:
            raise TransientFault(
                "no Dask scheduler: stacks.scheduler is empty and no local cluster runs "
                "(`make serve` starts one; elsewhere set PLATECUT_STACKS_SCHEDULER)"
            )
        with self._lock:
            try:
                return Client(address, timeout=10, set_as_default=False)
            except (OSError, TimeoutError) as exc:
                raise TransientFault(f"the Dask scheduler {address} cannot be reached") from exc

    def close(self) -> None:
        """Close what was opened (the engine's reader closes the store)."""
        opened = self.__dict__
        engine = opened.pop("engine", None)
        opened.pop("cutouts", None)
        opened.pop("job_results", None)
        opened.pop("job_service", None)
        client = opened.pop("dask", None)
        if client is not None:
            client.close()
        if engine is not None:
            engine.close()
            opened.pop("store", None)
        for name in ("catalog", "store", "results", "jobs"):
            part = opened.pop(name, None)
            if part is not None:
                part.close()
