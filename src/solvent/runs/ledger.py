"""The run ledger, ``.solvent/runs.db``: one row per stage run, never rewritten.

A run is an immutable record (its id is random, so records from two machines never collide);
the remote holds one small JSON document per run and a fetch merges the ones this ledger lacks.
Every data path a run read or wrote is also indexed by (path, id) so lineage questions ("what
produced this version?", "what used it?") are index lookups, not scans.

SQLite in WAL mode, one transaction per run: two ``repro`` processes append concurrently.
``PRAGMA user_version`` holds the schema version, so a later release can migrate.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from solvent.repo import ensure_ignored

RUNS_DB = "runs.db"
SCHEMA_VERSION = 2  # 2: experiments
RunStatus = Literal["ran", "failed", "restored"]
Role = Literal["dep", "out", "code"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY, stage TEXT NOT NULL, started REAL NOT NULL, ended REAL NOT NULL,
    status TEXT NOT NULL, experiment TEXT, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS runs_stage ON runs (stage, started);
CREATE TABLE IF NOT EXISTS run_paths (
    run_id TEXT NOT NULL REFERENCES runs (run_id), role TEXT NOT NULL,
    path TEXT NOT NULL, id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS run_paths_id ON run_paths (id, role);
CREATE INDEX IF NOT EXISTS run_paths_path ON run_paths (path, role);
CREATE TABLE IF NOT EXISTS experiments (
    exp_id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, created REAL NOT NULL, doc TEXT NOT NULL
);
"""


@dataclass(frozen=True, slots=True)
class RunRecord:
    """Everything needed to say what produced an output. Paths are repo-relative strings,
    ids are ``blake3:<hex>`` strings: the ledger is plain data, independent of the pipeline."""

    run_id: str
    stage: str
    cmd: tuple[str, ...]
    status: RunStatus
    started: float
    ended: float
    deps: dict[str, str] = field(default_factory=dict)  # path → id
    outs: dict[str, str] = field(default_factory=dict)
    code: dict[str, str] = field(default_factory=dict)  # implicit code deps: path → id
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # file → key → value
    metrics: dict[str, Any] = field(default_factory=dict)  # metrics file → its values
    env: dict[str, str] = field(default_factory=dict)
    git_commit: str | None = None
    git_dirty: bool = False
    host: str = ""
    experiment: str | None = None
    error: str | None = None
    # What the run opened that its stage does not declare (pipeline.access.AccessReport);
    # empty for untraced runs and records written before tracing existed.
    access: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        """Canonical bytes: what the remote stores under ``runs/<run_id>.json``."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_json(cls, data: bytes | str) -> RunRecord:
        doc = json.loads(data)
        if not isinstance(doc, dict):
            raise ValueError("a run record is a JSON object")
        known = set(cls.__dataclass_fields__)
        doc = {k: v for k, v in doc.items() if k in known}  # newer writers may add fields
        doc["cmd"] = tuple(doc.get("cmd", ()))
        record = cls(**doc)
        if not isinstance(record.run_id, str) or not _safe_id(record.run_id):
            raise ValueError(f"bad run id {record.run_id!r}")
        if record.status not in ("ran", "failed", "restored"):
            raise ValueError(f"bad run status {record.status!r}")
        return record

    def paths(self) -> Iterator[tuple[Role, str, str]]:
        for role, mapping in (("dep", self.deps), ("out", self.outs), ("code", self.code)):
            for path, oid in mapping.items():
                yield role, path, oid  # type: ignore[misc]


def _retry_locked(call: Callable[[], object]) -> None:
    """Switching a new database to WAL can fail at once with "database is locked" while
    another process does the same (SQLite skips the busy handler there): wait and retry."""
    for attempt in range(50):
        try:
            call()
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or attempt == 49:
                raise
            time.sleep(0.01 * (1 + attempt % 10))


def _safe_id(run_id: str) -> bool:
    return 0 < len(run_id) <= 64 and all(c.isalnum() or c in "-_" for c in run_id)


class Ledger:
    """Reads and appends runs. Opening is cheap; the file is created on the first write."""

    def __init__(self, dot: Path) -> None:
        self.path = dot / RUNS_DB
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            created = not self.path.exists()
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            _retry_locked(lambda: db.execute("PRAGMA journal_mode=WAL"))
            if created:
                ensure_ignored(self.path.parent, f"/{RUNS_DB}*")
            db.execute("PRAGMA synchronous=NORMAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                db.close()
                from solvent.errors import MalformedFileError

                raise MalformedFileError(
                    f"{self.path}: run ledger schema {version} is newer than this Solvent "
                    f"understands ({SCHEMA_VERSION})",
                    "upgrade Solvent",
                )
            if version < SCHEMA_VERSION:
                with db:
                    db.execute("BEGIN IMMEDIATE")
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            self._db = db
        return self._db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def add(self, records: Iterable[RunRecord]) -> int:
        """Append runs in one transaction; a run already present is left as it is. Returns
        how many were new."""
        db = self._conn()
        added = 0
        with db:
            db.execute("BEGIN IMMEDIATE")
            for r in records:
                cur = db.execute(
                    "INSERT OR IGNORE INTO runs VALUES (?,?,?,?,?,?,?)",
                    (r.run_id, r.stage, r.started, r.ended, r.status, r.experiment,
                     r.to_json().decode()),
                )  # fmt: skip
                if cur.rowcount:
                    added += 1
                    db.executemany(
                        "INSERT INTO run_paths VALUES (?,?,?,?)",
                        [(r.run_id, role, path, oid) for role, path, oid in r.paths()],
                    )
        return added

    def _exists(self) -> bool:
        return self._db is not None or self.path.exists()

    def _select(self, where: str = "", args: tuple[Any, ...] = ()) -> list[RunRecord]:
        if not self._exists():
            return []
        rows = (
            self._conn()
            .execute(f"SELECT doc FROM runs {where} ORDER BY started, run_id", args)
            .fetchall()
        )
        return [RunRecord.from_json(row[0]) for row in rows]

    def runs(self, stage: str | None = None) -> list[RunRecord]:
        """Runs, oldest first; ``stage`` may be a glob (``train@*``)."""
        if stage is None:
            return self._select()
        return self._select("WHERE stage GLOB ?", (stage,))

    def run_ids(self) -> set[str]:
        if not self._exists():
            return set()
        return {row[0] for row in self._conn().execute("SELECT run_id FROM runs")}

    def with_path(self, role: Role, oid: str, path: str | None = None) -> list[RunRecord]:
        """Runs that read (``dep``/``code``) or wrote (``out``) the object ``oid``, at
        ``path`` when given; oldest first."""
        sql = "WHERE run_id IN (SELECT run_id FROM run_paths WHERE id=? AND role=?"
        args: tuple[Any, ...] = (oid, role)
        if path is not None:
            sql += " AND path=?"
            args = (*args, path)
        return self._select(sql + ")", args)

    def at_path(self, role: Role, path: str) -> list[RunRecord]:
        """Runs that read or wrote any version of ``path``; oldest first."""
        return self._select(
            "WHERE run_id IN (SELECT run_id FROM run_paths WHERE path=? AND role=?)", (path, role)
        )

    def ids_at(self, path: str) -> list[str]:
        """Every id the ledger has seen at ``path`` (read or written)."""
        if not self._exists():
            return []
        rows = self._conn().execute("SELECT DISTINCT id FROM run_paths WHERE path=?", (path,))
        return [row[0] for row in rows]

    # -- experiments (their runs are rows above, tagged with the experiment id) ------------

    def put_experiment(self, exp_id: str, name: str, created: float, doc: str) -> None:
        """Insert or update one experiment; a name another experiment holds is refused."""
        db = self._conn()
        try:
            with db:
                db.execute("BEGIN IMMEDIATE")
                db.execute(
                    "INSERT INTO experiments VALUES (?,?,?,?) ON CONFLICT (exp_id) DO UPDATE "
                    "SET doc=excluded.doc",
                    (exp_id, name, created, doc),
                )
        except sqlite3.IntegrityError:  # another process took the name a moment ago
            from solvent.errors import UsageError

            raise UsageError(
                f"an experiment named {name!r} exists", "choose another --name"
            ) from None

    def experiment_docs(self) -> list[str]:
        if not self._exists():
            return []
        rows = self._conn().execute("SELECT doc FROM experiments ORDER BY created, exp_id")
        return [row[0] for row in rows]

    def delete_experiments(self, exp_ids: Iterable[str]) -> None:
        db = self._conn()
        with db:
            db.execute("BEGIN IMMEDIATE")
            db.executemany("DELETE FROM experiments WHERE exp_id=?", [(i,) for i in exp_ids])
