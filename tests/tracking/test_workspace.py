"""Identifier reads small files by name in their open folder: any path form gives the id of
the file's bytes, and a chunk that spans folders reads each from its own folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from solvent.storage.hashing import hash_bytes
from solvent.storage.objects import ObjectStore
from solvent.storage.state import StateDB
from solvent.tracking.workspace import Identifier


def _ids(tmp_path: Path, paths: list[str], store: ObjectStore | None) -> list[str]:
    ident = Identifier(StateDB(tmp_path / "state.db"), store, jobs=1)
    files = [(p, os.stat(p)) for p in paths]
    found = ident.ids(files)
    if store is not None:
        store.flush()
    return [str(oid) for oid in found]


@pytest.mark.parametrize("save", [False, True])
def test_relative_absolute_and_mixed_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, save: bool
) -> None:
    work = tmp_path / "work"
    (work / "a").mkdir(parents=True)
    (work / "b").mkdir()
    contents = {"top.txt": b"top", "a/one.txt": b"one", "b/two.txt": b"two", "a/three.txt": b"3"}
    for rel, data in contents.items():
        (work / rel).write_bytes(data)
    monkeypatch.chdir(work)
    store = ObjectStore(tmp_path / "cache") if save else None
    if store is not None:
        store.init()
    # A bare name (this folder), relative paths, an absolute path; folders interleaved.
    paths = ["top.txt", "a/one.txt", str(work / "b/two.txt"), "a/three.txt"]
    ids = _ids(tmp_path, paths, store)
    assert ids == [str(hash_bytes(data)) for data in contents.values()]
    if store is not None:
        for data in contents.values():
            assert store.path(hash_bytes(data)).read_bytes() == data


def test_missing_folder_is_reported(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    f = tmp_path / "d" / "x.txt"
    f.write_bytes(b"x")
    st = os.stat(f)
    ident = Identifier(StateDB(tmp_path / "state.db"), None, jobs=1)
    f.unlink()
    (tmp_path / "d").rmdir()
    with pytest.raises(FileNotFoundError):
        ident.ids([(str(f), st)])
