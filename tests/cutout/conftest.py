"""An engine over the session's demo archive (local store, poisoned replica), with the
demo catalog's cutout sources."""

import dataclasses

import pytest

from service.archive.sidecars import ingest
from service.catalog.records import obs_id
from service.catalog.sqlite import SqliteCatalog
from service.cutout.engine import CutoutEngine, CutoutLimits, CutoutRequest, solution_of
from service.cutout.service import CutoutService
from service.rangeread.reader import MosaicReader, ReadOptions
from service.rangeread.replica import Replica
from service.settings import load_settings
from service.storage.local import LocalStore


@pytest.fixture(scope="session")
def demo_catalog(demo_archive, tmp_path_factory):
    """The demo archive's catalog (SQLite), ingested once."""
    catalog = SqliteCatalog(tmp_path_factory.mktemp("cutout-catalog") / "catalog.sqlite")
    ingest(LocalStore(demo_archive), catalog, load_settings(env={}).service, progress=None)
    yield catalog
    catalog.close()


@dataclasses.dataclass
class DemoEngine:
    """The engine, addressed by plate and solution as the tests think of them."""

    service: CutoutService

    @property
    def engine(self) -> CutoutEngine:
        return self.service.engine

    @property
    def reader(self) -> MosaicReader:
        return self.engine.reader

    @property
    def limits(self) -> CutoutLimits:
        return self.engine.limits

    @limits.setter
    def limits(self, value: CutoutLimits) -> None:
        self.engine.limits = value

    def source(self, plate_id, solnum, mosnum=0):
        return self.service.resolve(obs_id(plate_id, mosnum, solnum))

    def solutions(self, plate):
        return [solution_of(self.source(plate.plate_id, e.solnum)) for e in plate.exposures]

    def make(self, plate_id, solnum, request: CutoutRequest, stats=None):
        return self.service.cut(self.source(plate_id, solnum), request, stats)


@pytest.fixture
def engine(demo_catalog, demo_archive, tmp_path):
    store = LocalStore(demo_archive)
    reader = MosaicReader(store, Replica(tmp_path / "cache", 1 << 32, poison=True), ReadOptions())
    engine = CutoutEngine(reader, CutoutLimits(4_000_000, 40_000_000, 32))
    yield DemoEngine(CutoutService(demo_catalog, engine, 835))
    reader.close()
