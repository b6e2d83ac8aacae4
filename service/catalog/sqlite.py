"""The catalog in one SQLite file (the embedded default): WAL mode, safe for many readers.

Tables: ``plates`` holds each plate as JSON; ``exposures`` holds one column per record
field and each footprint twice, packed: unit vectors for the exact test and RA/Dec
for the record; ``cells (ord, cell, obs_id)``
indexes every exposure by the HEALPix cells its footprint touches, ``orders`` lists the
orders in use. A region query reads the candidates' footprints in the region's cells at
every order in use, runs the exact test on them all at once, decodes only the matches
and applies the shared filters of :mod:`service.catalog.query`.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
from pathlib import Path

import numpy as np

from service.catalog.geometry import intersects
from service.catalog.index import footprint_cells, region_cells
from service.catalog.query import ExposureQuery, SearchResult, finish
from service.catalog.records import ExposureRecord, PlateRecord

SCHEMA_VERSION = 2  # bump when the tables change
_COLUMNS = [f.name for f in dataclasses.fields(ExposureRecord) if f.name != "footprint"]
_FP = [f.name for f in dataclasses.fields(ExposureRecord)].index("footprint")
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS plates (plate_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exposures (
    {", ".join(_COLUMNS)}, footprint BLOB NOT NULL, radec BLOB NOT NULL,
    PRIMARY KEY (obs_id));
CREATE TABLE IF NOT EXISTS orders (ord INTEGER PRIMARY KEY);
CREATE INDEX IF NOT EXISTS exposures_plate ON exposures (plate_id);
CREATE TABLE IF NOT EXISTS cells (
    ord INTEGER NOT NULL, cell INTEGER NOT NULL, obs_id TEXT NOT NULL,
    PRIMARY KEY (ord, cell, obs_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cells_obs ON cells (obs_id);
"""
_SELECT = f"SELECT {', '.join(_COLUMNS)}, radec FROM exposures"
_CHUNK = 900


def _exposures(rows: list[tuple]) -> list[ExposureRecord]:
    """Records from ``_SELECT`` rows (footprints decoded for all rows at once)."""
    if not rows:
        return []
    corners = np.frombuffer(b"".join(r[-1] for r in rows), "<f8").reshape(len(rows), -1, 2)
    return [
        ExposureRecord(*row[:_FP], tuple(map(tuple, fp)), *row[_FP:-1])
        for row, fp in zip(rows, corners.tolist(), strict=True)
    ]


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
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def create(self) -> None:
        """Create the tables (idempotent). A catalog written by an older schema is
        dropped: it is derived from the archive, and ``platecut ingest`` refills it."""
        with self._db() as db:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                for table in ("cells", "orders", "exposures", "plates"):
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

    def put_plate(self, plate: PlateRecord, exposures: list[ExposureRecord]) -> None:
        """Insert or replace a plate and its exposures in one transaction."""
        rows, cells = [], []
        for e in exposures:
            order, ids = footprint_cells(e.footprint_vectors())
            rows.append(
                (
                    *(getattr(e, name) for name in _COLUMNS),
                    e.footprint_vectors().astype("<f8").tobytes(),
                    np.asarray(e.footprint, "<f8").tobytes(),
                )
            )
            cells += [(order, cell, e.obs_id) for cell in ids]
        db = self._db()
        with db:
            db.execute(
                "DELETE FROM cells WHERE obs_id IN "
                "(SELECT obs_id FROM exposures WHERE plate_id = ?)",
                (plate.plate_id,),
            )
            db.execute("DELETE FROM exposures WHERE plate_id = ?", (plate.plate_id,))
            db.execute(
                "INSERT OR REPLACE INTO plates VALUES (?, ?)",
                (plate.plate_id, json.dumps(dataclasses.asdict(plate))),
            )
            db.executemany(
                f"INSERT INTO exposures VALUES ({','.join('?' * (len(_COLUMNS) + 2))})", rows
            )
            db.executemany("INSERT OR IGNORE INTO cells VALUES (?, ?, ?)", cells)
            db.executemany(
                "INSERT OR IGNORE INTO orders VALUES (?)", [(o,) for o in {c[0] for c in cells}]
            )

    def plate(self, plate_id: str) -> PlateRecord | None:
        """One plate, or None."""
        row = (
            self._db().execute("SELECT body FROM plates WHERE plate_id = ?", (plate_id,)).fetchone()
        )
        return PlateRecord(**json.loads(row[0])) if row else None

    def plates(self) -> list[PlateRecord]:
        """Every plate, in identifier order."""
        rows = self._db().execute("SELECT body FROM plates ORDER BY plate_id")
        return [PlateRecord(**json.loads(body)) for (body,) in rows]

    def exposure(self, obs_id: str) -> ExposureRecord | None:
        """One exposure solution, or None."""
        rows = self._db().execute(f"{_SELECT} WHERE obs_id = ?", (obs_id,)).fetchall()
        return _exposures(rows)[0] if rows else None

    def orders(self) -> list[int]:
        """Index orders in use."""
        return [o for (o,) in self._db().execute("SELECT ord FROM orders ORDER BY ord")]

    def _spatial(self, query: ExposureQuery) -> tuple[list[ExposureRecord], int]:
        """Records of the exposures whose footprint meets a region (exact test on the
        stored unit vectors, before any record is decoded)."""
        db = self._db()
        found: dict[str, bytes] = {}
        for order in self.orders():
            cells = sorted({c for region in query.regions for c in region_cells(region, order)})
            for start in range(0, len(cells), _CHUNK):
                chunk = cells[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                found.update(
                    db.execute(
                        "SELECT e.obs_id, e.footprint FROM cells c JOIN exposures e "
                        f"ON e.obs_id = c.obs_id WHERE c.ord = ? AND c.cell IN ({marks})",
                        (order, *chunk),
                    )
                )
        if not found:
            return [], 0
        ids = list(found)
        polys = np.frombuffer(b"".join(found.values()), "<f8").reshape(len(ids), -1, 3)
        keep = np.zeros(len(ids), bool)
        for region in query.regions:
            keep |= intersects(polys, region)
        hits = [i for i, k in zip(ids, keep, strict=True) if k]
        return self._by_ids(hits), len(found)

    def _by_ids(self, ids: list[str]) -> list[ExposureRecord]:
        db, rows = self._db(), []
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            rows += db.execute(f"{_SELECT} WHERE obs_id IN ({marks})", chunk).fetchall()
        return _exposures(rows)

    def search(self, query: ExposureQuery) -> SearchResult:
        """Exposures matching the query, ordered by observation date."""
        if query.regions:
            records, candidates = self._spatial(query)
            result = finish(records, dataclasses.replace(query, regions=()))
            return dataclasses.replace(result, candidates=candidates)
        if query.ids:
            records = self._by_ids([i.rsplit("?", 1)[-1] for i in query.ids])
        else:
            records = _exposures(self._db().execute(_SELECT).fetchall())
        return finish(records, query)
