"""The run ledger on its own: append-only records, lookups by path and id, two writers."""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from solvent.runs.ledger import SCHEMA_VERSION, Ledger, RunRecord


def record(run_id: str, stage: str = "train", **kw: object) -> RunRecord:
    base: dict[str, object] = {"cmd": ("python train.py",), "status": "ran", "started": 1.0,
                               "ended": 2.0}  # fmt: skip
    return RunRecord(run_id=run_id, stage=stage, **{**base, **kw})  # type: ignore[arg-type]


def test_records_round_trip_and_are_never_rewritten(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    r = record("a1", deps={"raw.csv": "blake3:1"}, outs={"model.pkl": "blake3:2"},
               params={"params.yaml": {"lr": 0.1}}, metrics={"m.json": {"acc": 0.9}})  # fmt: skip
    assert ledger.add([r]) == 1
    assert ledger.add([record("a1", stage="other")]) == 0  # same id: kept as it was
    assert ledger.runs() == [r]
    assert RunRecord.from_json(r.to_json()) == r
    assert ledger.with_path("out", "blake3:2", "model.pkl") == [r]
    assert ledger.with_path("dep", "blake3:1") == [r]
    assert ledger.with_path("dep", "blake3:2") == []
    assert ledger.ids_at("raw.csv") == ["blake3:1"]


def test_stage_filter_takes_globs(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path)
    ledger.add([record("1", "train@a"), record("2", "train@b"), record("3", "eval")])
    assert [r.run_id for r in ledger.runs("train@*")] == ["1", "2"]
    assert [r.run_id for r in ledger.runs("eval")] == ["3"]


def test_schema_is_versioned_and_a_newer_one_is_refused(tmp_path: Path) -> None:
    Ledger(tmp_path).add([record("x")])
    db = sqlite3.connect(tmp_path / "runs.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    db.close()
    from solvent.errors import MalformedFileError

    with pytest.raises(MalformedFileError, match="newer"):
        Ledger(tmp_path).runs()


def test_reading_an_absent_ledger_creates_nothing(tmp_path: Path) -> None:
    assert Ledger(tmp_path).runs() == []
    assert not (tmp_path / "runs.db").exists()


def test_bad_documents_are_refused() -> None:
    with pytest.raises(ValueError):
        RunRecord.from_json(b"[]")
    with pytest.raises(ValueError):
        RunRecord.from_json(record("../evil").to_json())


def _writer(folder: str, prefix: str, n: int) -> None:
    try:
        ledger = Ledger(Path(folder))
        for i in range(n):
            ledger.add([record(f"{prefix}{i}", outs={f"o{i}": f"blake3:{prefix}{i}"})])
        ledger.close()
    except Exception as e:  # the parent shows it: a child's traceback is easy to lose
        Path(folder, f"error-{prefix}").write_text(f"{type(e).__name__}: {e}")
        raise


def test_two_processes_append_at_once_without_losing_a_run(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(tmp_path), p, 150)) for p in ("a", "b")]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    errors = [e.read_text() for e in tmp_path.glob("error-*")]
    assert [p.exitcode for p in procs] == [0, 0], errors
    ledger = Ledger(tmp_path)
    assert len(ledger.runs()) == 300
    assert len(ledger.with_path("out", "blake3:b149")) == 1
    db = sqlite3.connect(tmp_path / "runs.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("SELECT count(*) FROM run_paths").fetchone()[0] == 300


def test_a_repo_made_before_the_ledger_learns_to_ignore_it(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("/cache/\n/state.db*")
    Ledger(tmp_path).add([record("x")])
    Ledger(tmp_path).add([record("y")])
    assert (tmp_path / ".gitignore").read_text() == "/cache/\n/state.db*\n/runs.db*\n"


def test_an_experiment_name_is_taken_once(tmp_path: Path) -> None:
    from solvent.errors import UsageError

    ledger = Ledger(tmp_path)
    ledger.put_experiment("a", "best", 1.0, "{}")
    ledger.put_experiment("a", "best", 1.0, '{"x": 1}')  # the same experiment, updated
    with pytest.raises(UsageError, match="'best' exists"):
        ledger.put_experiment("b", "best", 2.0, "{}")
    assert ledger.experiment_docs() == ['{"x": 1}']
