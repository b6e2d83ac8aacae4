"""The catalog in one SQLite file (the embedded default): WAL mode, safe for many readers.

Tables: ``plates`` and ``exposures`` hold each record as JSON beside the columns used
for lookups, and each footprint as packed unit vectors; ``cells (ord, cell, obs_id)``
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

SCHEMA = """
CREATE TABLE IF NOT EXISTS plates (plate_id TEXT PRIMARY KEY, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS exposures (
    obs_id TEXT PRIMARY KEY, plate_id TEXT NOT NULL, series TEXT NOT NULL,
    t_min REAL NOT NULL, footprint BLOB NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (ord INTEGER PRIMARY KEY);
CREATE INDEX IF NOT EXISTS exposures_plate ON exposures (plate_id);
CREATE TABLE IF NOT EXISTS cells (
    ord INTEGER NOT NULL, cell INTEGER NOT NULL, obs_id TEXT NOT NULL,
    PRIMARY KEY (ord, cell, obs_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS cells_obs ON cells (obs_id);
"""
_CHUNK = 900


def _exposure(body: str) -> ExposureRecord:
    data = json.loads(body)
    data["footprint"] = tuple(tuple(v) for v in data["footprint"])
    return ExposureRecord(**data)


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
        """Create the tables (idempotent)."""
        with self._db() as db:
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
                    e.obs_id,
                    e.plate_id,
                    e.series,
                    e.t_min,
                    e.footprint_vectors().astype("<f8").tobytes(),
                    json.dumps(dataclasses.asdict(e)),
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
            db.executemany("INSERT INTO exposures VALUES (?, ?, ?, ?, ?, ?)", rows)
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
        row = (
            self._db().execute("SELECT body FROM exposures WHERE obs_id = ?", (obs_id,)).fetchone()
        )
        return _exposure(row[0]) if row else None

    def orders(self) -> list[int]:
        """Index orders in use."""
        return [o for (o,) in self._db().execute("SELECT ord FROM orders ORDER BY ord")]

    def _spatial(self, query: ExposureQuery) -> tuple[list[str], int]:
        """Bodies of the exposures whose footprint meets a region (exact test on the
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
        bodies = []
        for start in range(0, len(hits), _CHUNK):
            chunk = hits[start : start + _CHUNK]
            bodies += [
                b
                for (b,) in db.execute(
                    f"SELECT body FROM exposures WHERE obs_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
            ]
        return bodies, len(found)

    def search(self, query: ExposureQuery) -> SearchResult:
        """Exposures matching the query, ordered by observation date."""
        db = self._db()
        if query.regions:
            bodies, candidates = self._spatial(query)
            result = finish([_exposure(b) for b in bodies], dataclasses.replace(query, regions=()))
            return dataclasses.replace(result, candidates=candidates)
        if query.ids:
            ids = [i.rsplit("?", 1)[-1] for i in query.ids]
            marks = ",".join("?" * len(ids))
            bodies = [
                b
                for (b,) in db.execute(f"SELECT body FROM exposures WHERE obs_id IN ({marks})", ids)
            ]
        else:
            bodies = [b for (b,) in db.execute("SELECT body FROM exposures")]
        return finish([_exposure(b) for b in bodies], query)
