"""An engine over the session's demo archive (local store, poisoned replica)."""

import pytest

from service.archive.access import ArchiveReader
from service.cutout.engine import CutoutEngine, CutoutLimits
from service.rangeread.reader import MosaicReader, ReadOptions
from service.rangeread.replica import Replica
from service.storage.local import LocalStore


@pytest.fixture
def engine(demo_archive, tmp_path):
    store = LocalStore(demo_archive)
    reader = MosaicReader(store, Replica(tmp_path / "cache", 1 << 32, poison=True), ReadOptions())
    yield CutoutEngine(ArchiveReader(store), reader, CutoutLimits(4_000_000, 40_000_000, 32))
    reader.close()
