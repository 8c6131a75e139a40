"""Fetching from a folder remote on the same file system: objects arrive by hard link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from solvent.storage.hashing import MMAP_THRESHOLD
from solvent.storage.objects import ObjectStore
from solvent.storage.remote import CorruptObjectError, RemoteStore


def stores(tmp_path: Path) -> tuple[ObjectStore, ObjectStore, RemoteStore]:
    source, target = ObjectStore(tmp_path / "a"), ObjectStore(tmp_path / "b")
    source.init()
    target.init()
    return source, target, RemoteStore(str(tmp_path / "remote"), {}, tmp_path)


def pushed(source: ObjectStore, remote: RemoteStore, data: bytes) -> Path:
    oid = source.put_bytes(data)
    source.flush()
    remote.upload(source, oid)
    remote.finish()
    return Path(remote.path(oid))


@pytest.mark.parametrize("size", [100, MMAP_THRESHOLD + 1], ids=["small", "large"])
def test_an_object_is_linked_under_its_name_with_no_temp_file_left(
    tmp_path: Path, size: int
) -> None:
    source, target, remote = stores(tmp_path)
    on_remote = pushed(source, remote, os.urandom(size))
    oid = next(iter(remote.list_objects()))
    remote.download(target, oid)
    target.flush()
    assert os.path.samefile(target.path(oid), on_remote)
    assert target.has(oid) and target.verify(oid)
    assert os.listdir(target.tmp) == []


def test_a_writable_remote_object_arrives_read_only(tmp_path: Path) -> None:
    source, target, remote = stores(tmp_path)
    on_remote = pushed(source, remote, b"some bytes")
    on_remote.chmod(0o644)
    (oid,) = remote.list_objects()
    remote.download(target, oid)
    assert target.path(oid).stat().st_mode & 0o777 == 0o444


def test_a_corrupt_object_is_neither_linked_nor_made_read_only(tmp_path: Path) -> None:
    source, target, remote = stores(tmp_path)
    on_remote = pushed(source, remote, b"the right bytes")
    (oid,) = remote.list_objects()
    on_remote.chmod(0o644)
    on_remote.write_bytes(b"the wrong bytes")
    with pytest.raises(CorruptObjectError):
        remote.download(target, oid)
    target.flush()
    assert not target.path(oid).exists() and not target.has(oid)
    assert on_remote.stat().st_mode & 0o777 == 0o644


def test_a_refused_link_falls_back_to_a_copy(tmp_path: Path) -> None:
    source, target, remote = stores(tmp_path)
    on_remote = pushed(source, remote, b"bytes to copy")
    (oid,) = remote.list_objects()

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(18, "Invalid cross-device link")  # EXDEV

    target.link = refuse  # type: ignore[method-assign]
    remote.download(target, oid)
    target.flush()
    assert target.verify(oid) and not os.path.samefile(target.path(oid), on_remote)
