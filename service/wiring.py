"""The one place that builds the parts of a Platecut process from its settings: object
store, catalog, replica and reader, cutout engine and service, discovery and links
services, results bucket, job and result stores, and the job service; and closes them
(connections and thread pools).

Parts are made on first use, so a process opens only what it uses: a cutout from a
local archive imports neither boto3 nor Dask. Domain modules take their dependencies
as arguments and never read settings; the web app (:mod:`service.web.context`), the
command line, the Dask workers (:mod:`service.jobs.worker`) and the benchmarks build
through here. Depends on no web module and no executor.
"""

from __future__ import annotations

import gc
import threading
from functools import cached_property

from service.catalog.base import Catalog
from service.catalog.factory import open_catalog
from service.cutout.engine import CutoutEngine, CutoutLimits
from service.cutout.service import CutoutService, Observer
from service.discovery import DiscoveryService
from service.faults import FatalFault
from service.jobs.results import BucketResults, LocalResults, ResultStore
from service.jobs.service import Executor, JobService
from service.jobs.store import JobStore, SqliteJobStore
from service.links import LinksService
from service.rangeread.reader import MosaicReader, ReadOptions
from service.rangeread.replica import Replica
from service.settings import Settings
from service.storage.base import ObjectStore, ResultBucket
from service.storage.factory import open_results, open_store


def settle() -> None:
    """Keep what a serving process made at start-up (modules, its app or parts) out of
    the garbage collector's scans (``gc.freeze``): a full collection in a fresh process
    walked all of it, ~40 ms of its first request. Called by the entry points (the
    Lambda handler, each gunicorn worker, each Dask worker) once they are built."""
    gc.freeze()


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
        compute_slots=settings.cutout.compute_slots,
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


def open_job_store(settings: Settings) -> JobStore:
    """UWS jobs: beside the catalog (its SQLite file or its DynamoDB table)."""
    c = settings.catalog
    if c.backend == "dynamodb":
        from service.jobs.dynamo_store import DynamoJobStore

        return DynamoJobStore(c.dynamodb_table, c.dynamodb_endpoint_url, c.dynamodb_region)
    return SqliteJobStore(c.sqlite_file())


class Services:
    """The parts of one process, opened on first use and closed together.

    Parameters
    ----------
    settings
        The process's settings.
    executor
        Where jobs run (a process that hands jobs over: the web app, the command
        line); None in a process that runs them (a Dask worker).
    observer
        Told of every cutout made (the web app's metrics).
    """

    def __init__(
        self,
        settings: Settings,
        executor: Executor | None = None,
        observer: Observer | None = None,
    ) -> None:
        self.settings = settings
        self.executor = executor
        self.observer = observer
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
    def results(self) -> ResultBucket | None:
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
            return CutoutService(
                self.catalog, self.engine, self.settings.cutout.default_size, self.observer
            )

    @cached_property
    def discovery(self) -> DiscoveryService:
        """Catalog searches of SIA 2.0, SIA 1.0 and the web page."""
        with self._lock:
            return DiscoveryService(self.catalog, self.cutouts)

    @cached_property
    def links(self) -> LinksService:
        """DataLink's identifiers to records."""
        with self._lock:
            return LinksService(self.catalog, self.settings.service)

    @cached_property
    def jobs(self) -> JobStore:
        """UWS jobs: beside the catalog."""
        with self._lock:
            return open_job_store(self.settings)

    @cached_property
    def job_results(self) -> ResultStore:
        """Job results: the results bucket when configured, else a local directory."""
        with self._lock:
            if self.results is not None:
                return BucketResults(self.results, self.settings.results.url_expiry_s)
            return LocalResults(
                self.settings.stacks.results_path(self.settings.catalog.sqlite_file())
            )

    @cached_property
    def job_service(self) -> JobService:
        """UWS jobs and stacks.

        Raises
        ------
        FatalFault
            In a process built without an executor.
        """
        if self.executor is None:
            raise FatalFault("this process runs jobs; it does not take them")
        with self._lock:
            return JobService(
                catalog=self.catalog,
                cutouts=self.cutouts,
                store=self.jobs,
                results=self.job_results,
                executor=self.executor,
                limits=self.settings.stacks,
            )

    def close(self) -> None:
        """Close what was opened (the engine's reader closes the store)."""
        opened = self.__dict__
        for name in ("cutouts", "discovery", "links", "job_results", "job_service"):
            opened.pop(name, None)
        if self.executor is not None:
            self.executor.close()
        engine = opened.pop("engine", None)
        if engine is not None:
            engine.close()
            opened.pop("store", None)
        for name in ("catalog", "store", "results", "jobs"):
            part = opened.pop(name, None)
            if part is not None:
                part.close()
