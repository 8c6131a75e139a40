from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from solvent.storage.ids import ObjectId
from solvent.storage.state import RACY_COARSE_NS, RACY_NS, StateDB, is_racy

A = ObjectId.from_digest("a" * 64)
B = ObjectId.from_digest("b" * 64)


@pytest.fixture
def db(tmp_path: Path) -> StateDB:
    return StateDB(tmp_path / "state.db")


def aged_file(path: Path, data: bytes = b"data", age: float = 10) -> os.stat_result:
    path.write_bytes(data)
    when = time.time() - age
    os.utime(path, (when, when))
    return os.stat(path)


def test_get_returns_what_put_many_stored(db: StateDB, tmp_path: Path) -> None:
    st_a = aged_file(tmp_path / "a")
    st_b = aged_file(tmp_path / "b", b"other")
    assert db.get(st_a) is None
    db.put_many([(st_a, A), (st_b, B)])
    assert db.get(st_a) == A
    assert db.get(st_b) == B


def test_any_stat_change_is_a_miss(db: StateDB, tmp_path: Path) -> None:
    path = tmp_path / "a"
    st = aged_file(path)
    db.put_many([(st, A)])
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1))
    assert db.get(os.stat(path)) is None
    st = aged_file(path, b"longer data")  # same inode, new size and mtime
    assert db.get(st) is None
    db.put_many([(st, B)])
    assert db.get(st) == B  # the row for an inode is replaced, not duplicated


def test_racy_stats_are_not_stored(db: StateDB, tmp_path: Path) -> None:
    st = aged_file(tmp_path / "fresh", age=-60)  # always fresh, however slow this machine
    db.put_many([(st, A)])
    assert db.get(st) is None


def test_is_racy_windows() -> None:
    now = 1_000_000_000_123_456_789
    assert is_racy(now, now)
    assert is_racy(now - RACY_NS + 1, now)
    assert not is_racy(now - RACY_NS, now)
    # A whole-second mtime may come from a coarse clock: wait out the coarse window.
    whole = (now // 1_000_000_000) * 1_000_000_000
    assert is_racy(whole, whole + RACY_NS * 2)
    assert is_racy(whole, whole + RACY_COARSE_NS - 1)
    assert not is_racy(whole, whole + RACY_COARSE_NS)


def test_dirs_and_complete_tables(db: StateDB) -> None:
    assert db.get_dir("key") is None
    db.put_dir("key", A)
    assert db.get_dir("key") == A
    db.put_dir("key", B)
    assert db.get_dir("key") == B
    assert not db.is_complete(A)
    db.mark_complete(A)
    db.mark_complete(A)
    assert db.is_complete(A)
    db.forget_complete()
    assert not db.is_complete(A)


def test_rows_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    st = aged_file(tmp_path / "a")
    first = StateDB(path)
    first.put_many([(st, A)])
    first.put_dir("k", B)
    first.close()
    second = StateDB(path)
    assert second.get(st) == A
    assert second.get_dir("k") == B
    second.close()


def test_any_racy_sees_a_young_coarse_stamp_behind_a_newer_fine_one() -> None:
    from solvent.storage.state import any_racy

    now = 1_700_000_005_123_456_789
    coarse_young = 1_700_000_004_000_000_000  # whole second, 1.1 s old: racy on a coarse clock
    fine_old = now - 10 * RACY_NS  # newer than the coarse stamp, but old enough itself
    assert any_racy([fine_old, coarse_young], now)
    assert not any_racy([fine_old], now)
    assert not any_racy([], now)


def test_a_stat_fresh_when_its_file_was_read_is_not_stored_even_if_stored_later(
    tmp_path: Path,
) -> None:
    """The file could have been rewritten in the same tick right after it was read."""
    from solvent.storage.hashing import hash_bytes

    db = StateDB(tmp_path / "state.db")
    f = tmp_path / "f"
    f.write_bytes(b"x")
    st = os.stat(f)
    read_at = st.st_mtime_ns + 1_000  # read 1 µs after its last write: racy then
    db.put_many([(st, hash_bytes(b"x"))], read_at)
    assert db.get(st) is None
    db.put_many([(st, hash_bytes(b"x"))], st.st_mtime_ns + 10 * RACY_COARSE_NS)
    assert db.get(st) == hash_bytes(b"x")
