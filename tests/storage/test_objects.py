from __future__ import annotations

import contextlib
import gc
import os
import stat
from pathlib import Path

import pytest

from solvent.storage.hashing import MMAP_THRESHOLD, hash_bytes
from solvent.storage.ids import ALGORITHM, ObjectId
from solvent.storage.objects import LIST_AFTER, OBJECT_MODE, ObjectStore


@pytest.fixture
def store(tmp_path: Path) -> ObjectStore:
    s = ObjectStore(tmp_path / "cache")
    s.init()
    return s


def test_put_bytes_becomes_visible_at_flush(store: ObjectStore) -> None:
    oid = store.put_bytes(b"hello")
    assert oid == hash_bytes(b"hello")
    assert store.has(oid)  # pending objects count as present: no double write
    assert not store.path(oid).exists()
    store.flush()
    assert store.path(oid).read_bytes() == b"hello"
    assert store.read_bytes(oid) == b"hello"
    assert os.listdir(store.tmp) == []


def test_objects_live_under_algorithm_and_digest_prefix(store: ObjectStore) -> None:
    oid = store.put_bytes(b"x")
    store.flush()
    assert store.path(oid) == store.root / "blake3" / oid.digest[:2] / oid.digest[2:]
    assert list(store.iter_ids()) == [oid]


def test_objects_are_read_only(store: ObjectStore, tmp_path: Path) -> None:
    small = store.put_bytes(b"small")
    big_src = tmp_path / "big"
    big_src.write_bytes(os.urandom(MMAP_THRESHOLD + 1))
    big = store.put_file(big_src)
    store.flush()
    assert OBJECT_MODE == 0o444
    for oid in (small, big):
        assert stat.S_IMODE(store.path(oid).stat().st_mode) == 0o444


def test_put_file_stores_a_copy_under_its_hash(store: ObjectStore, tmp_path: Path) -> None:
    data = os.urandom(MMAP_THRESHOLD + 123)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    oid = store.put_file(src)
    assert oid == hash_bytes(data)
    assert store.path(oid).read_bytes() == data  # visible at once: put_file renames itself
    assert store.path(oid).stat().st_ino != src.stat().st_ino
    assert store.put_file(src) == oid  # storing it again changes nothing
    assert os.listdir(store.tmp) == []
    assert store.verify(oid)


def test_same_bytes_twice_is_one_object(store: ObjectStore) -> None:
    a = store.put_bytes(b"same")
    b = store.put_bytes(b"same")
    assert a == b
    assert len(os.listdir(store.tmp)) == 1
    store.flush()
    assert list(store.iter_ids()) == [a]
    assert store.put_bytes(b"same") == a
    assert os.listdir(store.tmp) == []


def test_empty_object(store: ObjectStore) -> None:
    oid = store.put_bytes(b"")
    store.flush()
    assert store.read_bytes(oid) == b""
    assert store.verify(oid)


def test_verify_spots_corrupt_and_missing_objects(store: ObjectStore) -> None:
    good = store.put_bytes(b"good")
    bad = store.put_bytes(b"bad")
    store.flush()
    assert store.verify(good) and store.verify(bad)
    path = store.path(bad)
    path.chmod(0o644)
    path.write_bytes(b"rotten")
    assert not store.verify(bad)
    assert store.verify(good)
    missing = hash_bytes(b"never stored")
    assert not store.has(missing)
    assert not store.verify(missing)


def test_clean_tmp_removes_what_a_killed_writer_left(store: ObjectStore) -> None:
    pending = store.put_bytes(b"never flushed")  # a writer killed before flush
    (store.tmp / "123-0badcafe-7").write_bytes(b"half an object")  # another writer's name
    (store.tmp / "notes.txt").write_bytes(b"not Solvent's: left alone")
    assert store.clean_tmp() == 2
    assert os.listdir(store.tmp) == ["notes.txt"]
    assert not store.path(pending).exists()
    assert store.clean_tmp() == 0


def test_iter_ids_skips_what_is_not_an_object(store: ObjectStore) -> None:
    oid = store.put_bytes(b"real")
    store.flush()
    (store.objects / "ab").mkdir(exist_ok=True)
    (store.objects / "ab" / "not-hex").write_bytes(b"")
    (store.objects / "README").write_bytes(b"")
    assert list(store.iter_ids()) == [oid]


def test_flush_of_nothing_is_harmless(store: ObjectStore) -> None:
    store.flush()
    assert list(store.iter_ids()) == []


def test_has_stays_true_after_switching_to_prefix_listings(tmp_path: Path) -> None:
    """Past LIST_AFTER probes a store lists prefix folders instead of stat-ing each object;
    its answers must not change: objects written before, during and after, and removed."""
    writer = ObjectStore(tmp_path / "cache")
    writer.init()
    before = [writer.put_bytes(f"before {i}".encode()) for i in range(50)]
    writer.flush()
    store = ObjectStore(tmp_path / "cache")
    absent = [hash_bytes(f"absent {i}".encode()) for i in range(256 * LIST_AFTER * 2)]
    assert not any(store.has(oid) for oid in absent)  # enough probes to switch
    assert all(store.has(oid) for oid in before)
    assert store._listed, "the store should be answering from listings by now"
    pending = store.put_bytes(b"written while listing")
    assert store.has(pending)
    store.flush()
    assert store.has(pending)
    store.remove(before[0])
    assert not store.has(before[0])
    assert not (tmp_path / "cache").joinpath(*_rel(before[0])).exists()
    fresh = ObjectStore(tmp_path / "cache")
    assert [fresh.has(o) for o in (pending, before[0], before[1])] == [True, False, True]


def _rel(oid: ObjectId) -> tuple[str, str, str]:
    return (ALGORITHM, oid.digest[:2], oid.digest[2:])


def test_a_batch_into_new_prefix_folders_moves_them_whole(store: ObjectStore) -> None:
    first = store.put_bytes(b"first")
    store.flush()
    inode = (store.objects / first.digest[:2]).stat().st_ino
    ids = [store.put_bytes(str(i).encode()) for i in range(600)]  # most prefixes new
    same_prefix = next(
        blob
        for blob in (b"again %d" % i for i in range(10_000))
        if hash_bytes(blob).digest[:2] == first.digest[:2]
    )
    again = store.put_bytes(same_prefix)  # into a prefix folder the cache has: renamed alone
    store.flush()
    assert (store.objects / first.digest[:2]).stat().st_ino == inode  # kept, filled in
    for oid in [first, *ids, again]:
        assert store.verify(oid)
        assert stat.S_IMODE(store.path(oid).stat().st_mode) == 0o444
    assert sorted(store.iter_ids()) == sorted({first, *ids, again})
    assert os.listdir(store.tmp) == []


def test_writers_in_threads_while_batches_flush(
    store: ObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from solvent.storage import objects

    monkeypatch.setattr(objects, "BATCH_LIMIT", 7)  # many flushes during the writes
    blobs = [str(i % 300).encode() for i in range(1200)]  # each one four times
    with ThreadPoolExecutor(8) as pool:
        ids = list(pool.map(store.put_bytes, blobs))
    store.flush()
    assert set(store.iter_ids()) == set(ids)
    assert all(store.verify(oid) for oid in set(ids))
    assert os.listdir(store.tmp) == []


def test_clean_tmp_removes_a_killed_writers_stage(store: ObjectStore) -> None:
    for i in range(20):
        store.put_bytes(str(i).encode())
    fresh = ObjectStore(store.root)  # the writer died before its flush
    assert fresh.clean_tmp() == 20
    assert os.listdir(store.tmp) == []
    assert list(fresh.iter_ids()) == []


def test_staged_folders_are_closed_by_flush_or_when_dropped(tmp_path: Path) -> None:
    def open_fds() -> int:
        # Only this store's: other tests of the same process may close theirs meanwhile.
        found = 0
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(OSError):
                found += os.readlink(f"/proc/self/fd/{fd}").startswith(str(tmp_path))
        return found

    before = open_fds()
    store = ObjectStore(tmp_path / "cache")
    store.init()
    for i in range(40):  # into many new prefix folders, each held open while staged
        store.put_bytes(f"object {i}".encode())
    assert open_fds() > before
    store.flush()
    assert open_fds() == before
    for i in range(40, 80):
        store.put_bytes(f"object {i}".encode())
    del store  # never flushed: its staged folders are closed all the same
    gc.collect()
    assert open_fds() == before
