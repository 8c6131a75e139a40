"""The state cache: what a file's stat says about its content id, so unchanged files are
never hashed twice.

Keyed by (device, inode) and checked against (mtime_ns, size). A whole folder also gets one
row keyed by a digest of every file's stat, so a no-change status of 20,000 files is one
lookup. The cache only ever says "this stat had this content"; losing it costs time, never
correctness, so it is written without fsync.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from solvent.storage.ids import ALGORITHM, ObjectId

_PREFIX = len(ALGORITHM) + 1  # ids are stored as "blake3:<hex>"

# A file modified twice within one timestamp tick keeps its mtime: trust a stat only once it
# is older than the coarsest tick of the file system (2 s on FAT-like clocks, ~10 ms on ext4).
RACY_NS = 50_000_000
RACY_COARSE_NS = 2_000_000_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    dev INTEGER NOT NULL, ino INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL, id TEXT NOT NULL, PRIMARY KEY (dev, ino)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS dirs (key TEXT PRIMARY KEY, id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS complete (id TEXT PRIMARY KEY) WITHOUT ROWID;
"""


def is_racy(mtime_ns: int, now_ns: int) -> bool:
    window = RACY_COARSE_NS if mtime_ns % 1_000_000_000 == 0 else RACY_NS
    return now_ns - mtime_ns < window


def any_racy(mtimes_ns: Iterable[int], now_ns: int) -> bool:
    """``is_racy`` for many stats: the newest fine and newest coarse mtimes."""
    mtimes = list(mtimes_ns)
    if now_ns - max(mtimes, default=0) >= RACY_COARSE_NS:
        return False  # all older than the widest window (the usual case: one pass in C)
    newest = newest_coarse = 0
    for m in mtimes:
        newest = max(newest, m)
        if m % 1_000_000_000 == 0:
            newest_coarse = max(newest_coarse, m)
    return now_ns - newest < RACY_NS or now_ns - newest_coarse < RACY_COARSE_NS


def open_memo(path: Path, schema: str, *, threads: bool = False) -> sqlite3.Connection:
    """A connection to ``state.db`` (or another memo database) with ``schema`` created: WAL,
    no fsync (a memo is rebuilt when lost, never data), autocommit."""
    db = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=not threads)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.executescript(schema)
    return db


class StateDB:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._db = open_memo(path, _SCHEMA, threads=True)

    def close(self) -> None:
        self._db.close()

    def get(self, st: os.stat_result) -> ObjectId | None:
        row = self._db.execute(
            "SELECT id FROM files WHERE dev=? AND ino=? AND mtime_ns=? AND size=?",
            (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size),
        ).fetchone()
        return ObjectId.parse(row[0]) if row else None

    def get_many(self, stats: list[os.stat_result]) -> list[ObjectId | None]:
        """``get`` for many stats at once: one query per 500 inodes, not one per file."""
        by_dev: dict[int, list[int]] = {}
        for st in stats:
            by_dev.setdefault(st.st_dev, []).append(st.st_ino)
        rows: dict[int, dict[int, tuple[int, int, int, str]]] = {}
        for dev, inodes in by_dev.items():
            inodes.sort()  # nearby keys: the lookups walk the same B-tree pages
            found = rows[dev] = {}
            for k in range(0, len(inodes), 500):
                chunk = inodes[k : k + 500]
                marks = ",".join("?" * len(chunk))
                query = (
                    f"SELECT ino, mtime_ns, size, id FROM files WHERE dev=? AND ino IN ({marks})"
                )
                found.update({row[0]: row for row in self._db.execute(query, (dev, *chunk))})
        result: list[ObjectId | None] = []
        append = result.append
        from_digest = ObjectId.from_digest
        for st in stats:
            row = rows[st.st_dev].get(st.st_ino)
            if row is not None and row[1] == st.st_mtime_ns and row[2] == st.st_size:
                # Our own rows, written from ObjectId.__str__: skip re-validating 20,000 ids.
                append(from_digest(row[3][_PREFIX:]))
            else:
                append(None)
        return result

    def put_many(
        self, rows: list[tuple[os.stat_result, ObjectId]], read_at: int | None = None
    ) -> None:
        """Remember ids for stats that were old enough to trust when the files were read
        (``read_at``: a clock reading taken before reading any of them)."""
        now = read_at if read_at is not None else time.time_ns()
        values = [
            (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size, str(oid))
            for st, oid in rows
            if not is_racy(st.st_mtime_ns, now)
        ]
        if values:
            with self._db:
                self._db.execute("BEGIN")
                self._db.executemany("INSERT OR REPLACE INTO files VALUES (?,?,?,?,?)", values)

    def get_dir(self, key: str) -> ObjectId | None:
        row = self._db.execute("SELECT id FROM dirs WHERE key=?", (key,)).fetchone()
        return ObjectId.parse(row[0]) if row else None

    def put_dir(self, key: str, oid: ObjectId) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("INSERT OR REPLACE INTO dirs VALUES (?,?)", (key, str(oid)))

    def is_complete(self, oid: ObjectId) -> bool:
        """Whether every object below the tree ``oid`` was seen in the cache.

        Anything that deletes objects (gc) must call ``forget_complete``.
        """
        return (
            self._db.execute("SELECT 1 FROM complete WHERE id=?", (str(oid),)).fetchone()
            is not None
        )

    def mark_complete(self, oid: ObjectId) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("INSERT OR IGNORE INTO complete VALUES (?)", (str(oid),))

    def forget_complete(self) -> None:
        with self._db:
            self._db.execute("BEGIN")
            self._db.execute("DELETE FROM complete")
