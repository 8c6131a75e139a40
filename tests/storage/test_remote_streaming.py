"""Large objects are downloaded block by block: memory does not grow with the object."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

from solvent.storage.hashing import hash_file
from solvent.storage.objects import ObjectStore
from solvent.storage.remote import STREAM_BLOCK, CorruptObjectError, RemoteStore

SIZE = 10 * STREAM_BLOCK  # 40 MiB
BOUND = 4 * STREAM_BLOCK  # what one block in flight may cost, copies included


def stores(tmp_path: Path) -> tuple[ObjectStore, ObjectStore, RemoteStore]:
    source, target = ObjectStore(tmp_path / "a"), ObjectStore(tmp_path / "b")
    source.init()
    target.init()
    remote = RemoteStore(str(tmp_path / "remote"), {"link": "copy"}, tmp_path)
    return source, target, remote


def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "big.bin"
    with path.open("wb") as f:
        for _ in range(SIZE // (1 << 20)):
            f.write(os.urandom(1 << 20))
    return path


def test_a_large_object_arrives_whole_with_bounded_memory(tmp_path: Path) -> None:
    source, target, remote = stores(tmp_path)
    oid = source.put_file(big_file(tmp_path))
    remote.upload(source, oid)
    remote.finish()
    tracemalloc.start()
    try:
        remote.download(target, oid)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    target.flush()
    assert hash_file(target.path(oid)) == oid
    assert peak < BOUND, f"peak {peak / 2**20:.0f} MiB for a {SIZE / 2**20:.0f} MiB object"


def test_a_corrupt_large_object_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    source, target, remote = stores(tmp_path)
    oid = source.put_file(big_file(tmp_path))
    remote.upload(source, oid)
    remote.finish()
    on_remote = Path(remote.path(oid))
    on_remote.chmod(0o644)
    with on_remote.open("r+b") as f:
        f.seek(SIZE - 1)
        f.write(b"\x00" if f.read(1) != b"\x00" else b"\x01")
    with pytest.raises(CorruptObjectError):
        remote.download(target, oid)
    target.flush()
    assert not target.has(oid)
    assert list((tmp_path / "b" / "tmp").iterdir()) == []


def test_through_s3_too(tmp_path: Path, s3_bucket: str) -> None:
    source, target, _ = stores(tmp_path)
    remote = RemoteStore(f"{s3_bucket}/store", {}, tmp_path)
    oid = source.put_file(big_file(tmp_path))
    remote.upload(source, oid)
    tracemalloc.start()
    try:
        remote.download(target, oid, SIZE)  # the size a tree or pointer gives
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    target.flush()
    assert hash_file(target.path(oid)) == oid
    assert peak < BOUND
