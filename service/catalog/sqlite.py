"""The catalog in one SQLite file (the embedded default): WAL mode, safe for many readers.

Tables: ``plates`` holds each plate as JSON; ``exposures`` holds one column per record
field and each footprint twice, packed: unit vectors for the exact test and RA/Dec
for the record; ``mosaics`` (version, image layout, rotation of each mosaic object)
and ``solutions`` (each exposure solution's WCS cards, zlib-compressed) hold what a
cutout needs, read with the exposure in one query by :meth:`SqliteCatalog.source`.
``cells (ord, cell, rid, cx, cy, cz, cap)`` indexes every exposure
(``rid``, its integer key) by the HEALPix cells its footprint touches, together with
the footprint's bounding cap (centre unit vector, radius); ``orders`` lists the orders
in use. A region query scans the region's cells at every order in use, drops the
candidates whose cap cannot reach the region (no join, no footprint read), reads the
rest by integer key, runs the exact test on them all at once, builds records for the
matches only, and applies the shared filters of :mod:`service.catalog.query`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import json
import math
import sqlite3
import threading
import zlib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from service.catalog.index import footprint_cells, region_cells
from service.catalog.query import ExposureQuery, SearchResult, finish
from service.catalog.records import CutoutSource, ExposureRecord, PixelSource, PlateRecord
from service.faults import FatalFault
from service.sky import (
    Circle,
    Region,
    bounding_caps,
    inner_radius,
    intersects,
    region_cap,
)

SCHEMA_VERSION = 7  # bump when the tables change
_COLUMNS = [f.name for f in dataclasses.fields(ExposureRecord) if f.name != "footprint"]
_FP = [f.name for f in dataclasses.fields(ExposureRecord)].index("footprint")
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS plates (plate_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exposures (
    rid INTEGER PRIMARY KEY, {", ".join(_COLUMNS)}, footprint BLOB NOT NULL,
    radec BLOB NOT NULL, UNIQUE (obs_id));
CREATE TABLE IF NOT EXISTS orders (ord INTEGER PRIMARY KEY);
CREATE INDEX IF NOT EXISTS exposures_plate ON exposures (plate_id);
CREATE TABLE IF NOT EXISTS cells (
    ord INTEGER NOT NULL, cell INTEGER NOT NULL, rid INTEGER NOT NULL,
    cx REAL NOT NULL, cy REAL NOT NULL, cz REAL NOT NULL, cap REAL NOT NULL,
    inner REAL NOT NULL,
    PRIMARY KEY (ord, cell, rid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cells_rid ON cells (rid);
CREATE TABLE IF NOT EXISTS mosaics (
    object_key TEXT PRIMARY KEY, plate_id TEXT NOT NULL, object_etag TEXT NOT NULL,
    layout TEXT NOT NULL, rotation_delta INTEGER NOT NULL,
    replaced_etag TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS mosaics_plate ON mosaics (plate_id);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS solutions (
    rid INTEGER PRIMARY KEY, solution_key TEXT NOT NULL, wcs_cards BLOB NOT NULL);
"""
_SELECT = f"SELECT {', '.join(_COLUMNS)}, radec FROM exposures"
_SOURCES = (
    f"SELECT {', '.join('e.' + c for c in _COLUMNS)}, e.radec, m.object_etag, m.layout, "
    "m.rotation_delta, s.solution_key, s.wcs_cards, m.replaced_etag FROM exposures e "
    "JOIN mosaics m ON m.object_key = e.object_key JOIN solutions s ON s.rid = e.rid "
)
_CHUNK = 900
MMAP_BYTES = 4 << 30
CACHE_KIB = 256 << 10


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while thousands of rows become tuples and
    records (none of them cyclic): it otherwise runs repeatedly and triples the time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


_FIELDS = [f.name for f in dataclasses.fields(ExposureRecord)]


def _record(values: tuple) -> ExposureRecord:
    """An ExposureRecord from values in field order, without the frozen dataclass's
    ``__init__`` (one ``object.__setattr__`` per field): half the time, same object."""
    record = object.__new__(ExposureRecord)
    object.__setattr__(record, "__dict__", dict(zip(_FIELDS, values, strict=True)))
    return record


#: columns that SQLite gives back as NULL for a NaN (an unknown date or duration)
_REAL = [i for i, f in enumerate(dataclasses.fields(ExposureRecord)) if f.type == "float"]


def _exposures(rows: list[tuple]) -> list[ExposureRecord]:
    """Records from ``_SELECT`` rows (footprints decoded for all rows at once)."""
    if not rows:
        return []
    corners = np.frombuffer(b"".join(r[-1] for r in rows), "<f8").reshape(len(rows), -1, 2)
    out = []
    for row, fp in zip(rows, corners.tolist(), strict=True):
        values = [*row[:_FP], tuple(map(tuple, fp)), *row[_FP:-1]]
        if None in values:
            for i in _REAL:
                if values[i] is None:
                    values[i] = math.nan
        out.append(_record(values))
    return out


def _source(row: tuple) -> CutoutSource:
    """A CutoutSource from a ``_SOURCES`` row."""
    etag, layout, rotation, key, cards, replaced = row[-6:]
    exposure = _exposures([row[:-6]])[0]
    text = zlib.decompress(cards).decode()
    return CutoutSource(exposure, PixelSource(etag, layout, rotation, key, text, replaced))


def _cap_tests(caps: np.ndarray, region: Region) -> tuple[np.ndarray, np.ndarray]:
    """For each footprint (caps: n x 5, centre, outer and inner radius): whether its
    outer cap can meet the region, and whether it surely meets it (a cone reaching
    the cap inside the footprint; other regions always get the exact test)."""
    centre, radius = region_cap(region)
    distance = np.arccos(np.clip(caps[:, :3] @ centre, -1.0, 1.0))
    reach = distance <= caps[:, 3] + radius + 1e-9
    if not isinstance(region, Circle):
        return reach, np.zeros(len(caps), bool)
    return reach, (caps[:, 4] > 0) & (distance <= caps[:, 4] + radius - 1e-9)


class SqliteCatalog:
    """A catalog in the SQLite file ``path`` (one connection per thread)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _db(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30.0, check_same_thread=False)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            # reads through a memory map (no read() call per page) and a larger page
            # cache: the index and footprints of a DASCH-size catalog are ~1 GB
            db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            db.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def _read(self) -> sqlite3.Connection:
        """The connection, for reading: refuses a catalog of another schema version
        (e.g. written by an older release) with a message that says what to do."""
        db = self._db()
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version == 0 and not db.execute("SELECT name FROM sqlite_master").fetchone():
            self.create()  # a new file is an empty catalog
            version = SCHEMA_VERSION
        if version != SCHEMA_VERSION:
            raise FatalFault(
                f"catalog {self.path} has schema version {version}, this release reads "
                f"{SCHEMA_VERSION}: run `platecut ingest` to rebuild it"
            )
        return db

    def create(self) -> None:
        """Create the tables (idempotent). A catalog written by an older schema is
        dropped: it is derived from the archive, and ``platecut ingest`` refills it."""
        with self._db() as db:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                for table in ("cells", "orders", "exposures", "plates", "mosaics", "solutions",
                              "meta"):  # fmt: skip
                    db.execute(f"DROP TABLE IF EXISTS {table}")
                db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            db.executescript(SCHEMA)

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            for db in self._connections:
                db.close()
            self._connections.clear()
        self._local = threading.local()

    def put_plate(
        self,
        plate: PlateRecord,
        exposures: list[ExposureRecord],
        pixels: Mapping[str, PixelSource] | None = None,
    ) -> None:
        """Insert or replace a plate, its exposures and their pixel sources in one
        transaction."""
        pixels = pixels or {}
        rows, cells = [], []
        for e in exposures:
            vectors = e.footprint_vectors()
            centre, cap = bounding_caps(vectors[None])
            inner = inner_radius(vectors[None], centre)
            order, ids = footprint_cells(vectors)
            rows.append(
                (
                    *(getattr(e, name) for name in _COLUMNS),
                    vectors.astype("<f8").tobytes(),
                    np.asarray(e.footprint, "<f8").tobytes(),
                )
            )
            cells.append((order, ids, (*centre[0].tolist(), float(cap[0]), float(inner[0]))))
        db = self._db()
        marks = ",".join("?" * (len(_COLUMNS) + 2))
        with db:
            for table in ("cells", "solutions"):
                db.execute(
                    f"DELETE FROM {table} WHERE rid IN "
                    "(SELECT rid FROM exposures WHERE plate_id = ?)",
                    (plate.plate_id,),
                )
            db.execute("DELETE FROM exposures WHERE plate_id = ?", (plate.plate_id,))
            db.execute("DELETE FROM mosaics WHERE plate_id = ?", (plate.plate_id,))
            db.execute(
                "INSERT OR REPLACE INTO plates VALUES (?, ?)",
                (plate.plate_id, json.dumps(dataclasses.asdict(plate))),
            )
            for e, row, (order, ids, cap) in zip(exposures, rows, cells, strict=True):
                rid = db.execute(f"INSERT INTO exposures VALUES (NULL, {marks})", row).lastrowid
                db.executemany(
                    "INSERT OR IGNORE INTO cells VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(order, cell, rid, *cap) for cell in ids],
                )
                source = pixels.get(e.obs_id)
                if source is None:
                    continue
                db.execute(
                    "INSERT OR REPLACE INTO mosaics VALUES (?, ?, ?, ?, ?, '')",
                    (
                        e.object_key,
                        plate.plate_id,
                        source.object_etag,
                        source.layout,
                        source.rotation_delta,
                    ),
                )
                db.execute(
                    "INSERT INTO solutions VALUES (?, ?, ?)",
                    (rid, source.solution_key, zlib.compress(source.wcs_cards.encode())),
                )
            db.executemany(
                "INSERT OR IGNORE INTO orders VALUES (?)", [(o,) for o in {c[0] for c in cells}]
            )

    def plate(self, plate_id: str) -> PlateRecord | None:
        """One plate, or None."""
        row = (
            self._read()
            .execute("SELECT body FROM plates WHERE plate_id = ?", (plate_id,))
            .fetchone()
        )
        return PlateRecord(**json.loads(row[0])) if row else None

    def plates(self, limit: int | None = None) -> list[PlateRecord]:
        """Every plate (the first ``limit``), in identifier order."""
        rows = self._read().execute(
            "SELECT body FROM plates ORDER BY plate_id LIMIT ?", (-1 if limit is None else limit,)
        )
        return [PlateRecord(**json.loads(body)) for (body,) in rows]

    def exposure(self, obs_id: str) -> ExposureRecord | None:
        """One exposure solution, or None."""
        rows = self._read().execute(f"{_SELECT} WHERE obs_id = ?", (obs_id,)).fetchall()
        return _exposures(rows)[0] if rows else None

    def source(self, obs_id: str) -> CutoutSource | None:
        """An exposure solution and the source of its pixels (one query), or None."""
        row = self._read().execute(f"{_SOURCES} WHERE e.obs_id = ?", (obs_id,)).fetchone()
        return None if row is None else _source(row)

    def sources(self, obs_ids: Sequence[str]) -> dict[str, CutoutSource]:
        """Exposure solutions with their pixel sources, by obs_id (unknown ones left out)."""
        with _no_gc():
            rows = self._in(_SOURCES, sorted(set(obs_ids)), "e.obs_id")
            found = [_source(row) for row in rows]
        return {s.exposure.obs_id: s for s in found}

    def flag_replaced(self, source: CutoutSource, etag: str) -> None:
        """Record the version of the mosaic seen in the store (until re-ingest)."""
        with self._db() as db:
            db.execute(
                "UPDATE mosaics SET replaced_etag = ? WHERE object_key = ?",
                (etag, source.exposure.object_key),
            )

    def index_cells(self) -> list[tuple[int, int]]:
        """Every (order, cell) of the HEALPix index."""
        return self._read().execute("SELECT DISTINCT ord, cell FROM cells").fetchall()

    def put_coverage(self, moc: str) -> None:
        """Keep the archive's coverage (MOC)."""
        with self._db() as db:
            db.execute("INSERT OR REPLACE INTO meta VALUES ('coverage', ?)", (moc,))

    def coverage(self) -> str:
        """The coverage kept ('' if none)."""
        row = self._read().execute("SELECT value FROM meta WHERE key = 'coverage'").fetchone()
        return row[0] if row else ""

    def orders(self) -> list[int]:
        """Index orders in use."""
        return [o for (o,) in self._read().execute("SELECT ord FROM orders ORDER BY ord")]

    def _spatial(self, query: ExposureQuery) -> tuple[list[ExposureRecord], int]:
        """Records of the exposures whose footprint meets a region: cap tests on the
        index rows (out of reach: dropped; cone reaching the inner cap: kept), the
        exact test on the stored unit vectors of the rest, then records."""
        db = self._read()
        found = []
        for order in self.orders():
            cells = sorted({c for region in query.regions for c in region_cells(region, order)})
            for start in range(0, len(cells), _CHUNK):
                chunk = cells[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                found += db.execute(
                    "SELECT rid, cx, cy, cz, cap, inner FROM cells "
                    f"WHERE ord = ? AND cell IN ({marks})",
                    (order, *chunk),
                ).fetchall()
        if not found:
            return [], 0
        table = np.array(found, dtype=float)
        rids, first = np.unique(table[:, 0].astype(np.int64), return_index=True)
        caps = table[first, 1:]
        reach = np.zeros(len(rids), bool)
        sure = np.zeros(len(rids), bool)
        for region in query.regions:
            region_reach, region_sure = _cap_tests(caps, region)
            reach |= region_reach
            sure |= region_sure
        hits = rids[sure].tolist()
        rows = self._in("SELECT rid, footprint FROM exposures", rids[reach & ~sure].tolist())
        if rows:
            polys = np.frombuffer(b"".join(r[1] for r in rows), "<f8").reshape(len(rows), -1, 3)
            keep = np.zeros(len(rows), bool)
            for region in query.regions:
                keep |= intersects(polys, region)
            hits += [r[0] for r, k in zip(rows, keep, strict=True) if k]
        return _exposures(self._in(_SELECT, hits)), len(rids)

    def _in(self, select: str, keys: list, column: str = "rid") -> list[tuple]:
        """Rows of ``select`` whose ``column`` is one of ``keys``."""
        db, rows = self._read(), []
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows += db.execute(f"{select} WHERE {column} IN ({marks})", chunk).fetchall()
        return rows

    def _by_ids(self, ids: list[str]) -> list[ExposureRecord]:
        return _exposures(self._in(_SELECT, ids, "obs_id"))

    def search(self, query: ExposureQuery) -> SearchResult:
        """Exposures matching the query, ordered by observation date."""
        if query.regions:
            with _no_gc():
                records, candidates = self._spatial(query)
            result = finish(records, dataclasses.replace(query, regions=()))
            return dataclasses.replace(result, candidates=candidates)
        if query.ids:
            records = self._by_ids([i.rsplit("?", 1)[-1] for i in query.ids])
        else:
            with _no_gc():
                records = _exposures(self._read().execute(_SELECT).fetchall())
        return finish(records, query)
