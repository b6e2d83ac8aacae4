"""The cutout service end to end over an HTTP object store that answers slowly:
round trips counted by the server, a mosaic replaced in place, every worker agreeing."""

from __future__ import annotations

import dataclasses
import io
import shutil

import fitsio
import numpy as np
import pytest
from astropy.io import fits

from service.archive.sidecars import ingest, ingest_one
from service.catalog.sqlite import SqliteCatalog
from service.cutout.engine import CutoutEngine, CutoutLimits
from service.cutout.service import CutoutService, CutoutSpec
from service.rangeread.reader import MosaicReader, ReadOptions
from service.rangeread.replica import Replica
from service.settings import load_settings
from service.storage.http import HttpStore
from service.storage.local import LocalStore
from tests.conftest import TEST_POLICY
from tests.servers import RangeFileServer

SERVICE = load_settings(env={}).service
LATENCY_S = 0.15
OBS = "a03393m0s1"


def http_catalog(server: RangeFileServer, root, path) -> SqliteCatalog:
    """A catalog ingested through the HTTP store itself (so its ETags are the server's);
    HTTP cannot be listed, so the sidecars are named from the directory."""
    catalog = SqliteCatalog(path)
    catalog.create()
    store = HttpStore(server.url, TEST_POLICY)
    latency, server.latency_s = server.latency_s, 0.0  # ingest is not what is measured
    for sidecar in sorted(root.glob("plates/*/*.json")):
        outcome, detail = ingest_one(store, catalog, str(sidecar.relative_to(root)), SERVICE)
        assert outcome in ("ingested", "unchanged"), detail
    server.latency_s = latency
    store.close()
    return catalog


def worker(catalog, url, cache) -> CutoutService:
    """What one gunicorn worker holds: its own reader (memory) over a replica directory."""
    reader = MosaicReader(HttpStore(url, TEST_POLICY), Replica(cache, 1 << 32), ReadOptions())
    return CutoutService(catalog, CutoutEngine(reader, CutoutLimits(10**7, 10**8, 32)), 835)


def spec(obs_catalog, obs_id=OBS, radius=0.05):
    exposure = obs_catalog.source(obs_id).exposure
    return CutoutSpec((exposure.ra, exposure.dec, radius), 1.44)


@pytest.fixture
def archive(demo_archive, tmp_path):
    root = tmp_path / "archive"
    shutil.copytree(demo_archive, root)
    return root


@pytest.fixture
def slow_server(archive):
    server = RangeFileServer(archive, latency_s=LATENCY_S)
    yield server
    server.stop()


def test_cold_cutout_is_two_round_trips_and_a_repeat_none(archive, slow_server, tmp_path):
    catalog = http_catalog(slow_server, archive, tmp_path / "catalog.sqlite")
    service = worker(catalog, slow_server.url, tmp_path / "cache")
    before = len(slow_server.log)
    cold = service.cutout(OBS, spec(catalog))
    waves = slow_server.waves(before)
    assert len(waves) == 2, [[(m, p, r) for _, m, p, r, _, _ in w] for w in waves]
    paths = {p for wave in waves for _, _, p, _, _, _ in wave}
    assert paths == {"/mosaics/a/a03393_00.fits.fz"}  # no sidecar, header file, HEAD
    assert all(m == "GET" and r.startswith("bytes=") for w in waves for _, m, _, r, _, _ in w)
    before = len(slow_server.log)
    warm = service.cutout(OBS, spec(catalog))
    assert len(slow_server.log) == before  # a repeat asks nothing
    assert warm.body == cold.body
    # the same cutout made from the local files, by a catalog of their own
    local_catalog = SqliteCatalog(tmp_path / "local.sqlite")
    ingest(LocalStore(archive), local_catalog, SERVICE, progress=None)
    reader = MosaicReader(LocalStore(archive), Replica(tmp_path / "c2", 1 << 32), ReadOptions())
    local = CutoutService(local_catalog, CutoutEngine(reader, CutoutLimits(10**7, 10**8, 32)), 835)
    np.testing.assert_array_equal(pixels(local.cutout(OBS, spec(local_catalog))), pixels(cold))
    service.engine.close()
    reader.close()


def pixels(rendered):
    return fits.getdata(io.BytesIO(rendered.body))


def rescanned(path, tmp_path):
    """The same plate rescanned: other pixel values, other compression and tiling."""
    data = fitsio.read(str(path), ext=1).astype(np.int32) + 7
    header = fitsio.read_header(str(path), ext=1)
    new = tmp_path / "new.fits.fz"
    with fitsio.FITS(str(new), "rw", clobber=True) as f:
        f.write(data.astype(np.uint16), compress="GZIP", tile_dims=[1, data.shape[1]])
        f[-1].write_key("ROTDELTA", header.get("ROTDELTA", 0))
    return new


def test_a_replaced_mosaic_is_read_anew_in_the_same_request(archive, slow_server, tmp_path):
    catalog = http_catalog(slow_server, archive, tmp_path / "catalog.sqlite")
    first = worker(catalog, slow_server.url, tmp_path / "cache-1")
    second = worker(catalog, slow_server.url, tmp_path / "cache-2")
    old = first.cutout(OBS, spec(catalog))
    assert second.cutout(OBS, spec(catalog)).body == old.body  # both hold the old tiles
    mosaic = archive / "mosaics/a/a03393_00.fits.fz"
    shutil.copyfile(rescanned(mosaic, tmp_path), mosaic)
    # the reference: a catalog made after the replacement, and a fresh worker
    fresh_catalog = http_catalog(slow_server, archive, tmp_path / "fresh.sqlite")
    reference = worker(fresh_catalog, slow_server.url, tmp_path / "cache-ref")
    expected = reference.cutout(OBS, spec(fresh_catalog))
    # a request that needs a tile the first worker lacks meets the 412
    bigger = spec(catalog, radius=0.08)
    new = first.cutout(OBS, bigger)
    assert new.body == reference.cutout(OBS, spec(fresh_catalog, radius=0.08)).body
    flagged = catalog.source(OBS).pixels.replaced_etag
    assert flagged == fresh_catalog.source(OBS).pixels.object_etag
    assert catalog.source("a03393m0s0").pixels.replaced_etag == flagged  # same mosaic
    # every worker now serves the new pixels, even one whose replica holds every old tile
    for service in (first, second):
        assert service.cutout(OBS, spec(catalog)).body == expected.body
    # ingest again: the catalog names the new version, the flag is gone
    catalog.close()
    catalog = http_catalog(slow_server, archive, tmp_path / "catalog.sqlite")
    assert catalog.source(OBS).pixels.replaced_etag == ""
    assert catalog.source(OBS).pixels.object_etag == flagged
    for service in (first, second, reference):
        service.engine.close()


def test_a_held_cutout_is_not_modified_until_its_mosaic_changes(archive, slow_server, tmp_path):
    """A cutout's ETag names its inputs: a client holding it gets NotModified from any
    worker without a pixel read (a fresh one reads the mosaic's header only), another
    request another tag, and once the mosaic is replaced the new pixels (from a worker
    that checks the store's version at once, stat_ttl_s = 0; then from every worker)."""
    from service.cutout.service import NotModified

    catalog = http_catalog(slow_server, archive, tmp_path / "catalog.sqlite")
    first = worker(catalog, slow_server.url, tmp_path / "cache-1")
    made = first.cutout(OBS, spec(catalog))
    assert len(made.tag) == 40
    before = len(slow_server.log)
    assert first.cutout(OBS, spec(catalog), {made.tag}) == NotModified(made.tag)
    assert len(slow_server.log) == before  # this worker knows the version: nothing asked
    fresh = worker(catalog, slow_server.url, tmp_path / "cache-2")
    assert fresh.cutout(OBS, spec(catalog), {made.tag}) == NotModified(made.tag)
    asked = slow_server.log[before:]
    assert len(asked) == 1 and asked[0][3] == "bytes=0-23039"  # the header, no tile
    other = first.cutout(OBS, spec(catalog, radius=0.04), {made.tag})
    assert other.tag not in ("", made.tag) and other.body != made.body
    png = first.cutout(OBS, dataclasses.replace(spec(catalog), response_format="image/png"))
    assert png.tag not in (made.tag, other.tag)

    mosaic = archive / "mosaics/a/a03393_00.fits.fz"
    shutil.copyfile(rescanned(mosaic, tmp_path), mosaic)
    fresh_catalog = http_catalog(slow_server, archive, tmp_path / "fresh.sqlite")
    expected = worker(fresh_catalog, slow_server.url, tmp_path / "cache-ref").cutout(
        OBS, spec(fresh_catalog)
    )
    strict = MosaicReader(
        HttpStore(slow_server.url, TEST_POLICY),
        Replica(tmp_path / "cache-1", 1 << 32),  # holds every old tile
        ReadOptions(stat_ttl_s=0.0),
    )
    checking = CutoutService(catalog, CutoutEngine(strict, CutoutLimits(10**7, 10**8, 32)), 835)
    new = checking.cutout(OBS, spec(catalog), {made.tag})
    assert not isinstance(new, NotModified) and new.tag != made.tag
    assert new.body == expected.body and new.body != made.body
    assert checking.cutout(OBS, spec(catalog), {new.tag}) == NotModified(new.tag)
    # the version it met is flagged in the catalog: every worker answers the new one,
    # even one that remembers the old version and holds its tiles
    again = first.cutout(OBS, spec(catalog), {made.tag})
    assert again.tag == new.tag and again.body == expected.body
    for service in (first, fresh, checking):
        service.engine.close()
