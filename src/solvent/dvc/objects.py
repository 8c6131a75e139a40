"""DVC's md5 objects (a DVC cache, a DVC folder remote) brought into Solvent's cache.

Each object's md5 is checked on the way in; it is stored by blake3, and folders get Solvent
tree objects built from DVC's ``.dir`` listing. Where an md5 was seen to hold a Solvent id is
remembered (``IdMap``), so it is imported once.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from solvent.dvc.config import read_dvc_config
from solvent.dvc.hashing import DIR_SUFFIX, bytes_md5, file_md5, parse_listing
from solvent.errors import MalformedFileError
from solvent.storage.ids import ObjectId
from solvent.storage.objects import ObjectStore
from solvent.storage.trees import Tree, TreeEntry, make_entry

SMALL = 4 << 20  # read whole, checked, then stored; larger files are copied then checked


def md5_key(md5: str, legacy: bool) -> str:
    return f"{'md5-dos2unix' if legacy else 'md5'}:{md5}"


class IdMap:
    """DVC md5 → the Solvent id of the same data (a table of ``.solvent/state.db``)."""

    def __init__(self, db_path: Path) -> None:
        self._db = sqlite3.connect(db_path, timeout=30, isolation_level=None)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS dvc_ids (md5 TEXT PRIMARY KEY, id TEXT NOT NULL)"
            " WITHOUT ROWID"
        )

    def get(self, key: str) -> ObjectId | None:
        row = self._db.execute("SELECT id FROM dvc_ids WHERE md5=?", (key,)).fetchone()
        return ObjectId.parse(row[0]) if row else None

    def md5_of(self, oid: ObjectId) -> list[str]:
        rows = self._db.execute("SELECT md5 FROM dvc_ids WHERE id=?", (str(oid),)).fetchall()
        return [str(r[0]) for r in rows]

    def put(self, key: str, oid: ObjectId) -> None:
        self._db.execute("INSERT OR REPLACE INTO dvc_ids VALUES (?,?)", (key, str(oid)))

    def close(self) -> None:
        self._db.close()


@dataclass(frozen=True, slots=True)
class Imported:
    id: ObjectId
    size: int
    files: int


class DvcObjects:
    """The DVC cache and the folder remotes of ``.dvc/config``, searched in that order."""

    def __init__(self, root: Path) -> None:
        config = read_dvc_config(root)
        folders = [config.cache_dir]
        for remote in sorted(config.remotes, key=lambda r: not r.default):
            folder = remote.folder(root / ".dvc")
            if folder is not None:
                folders.append(folder)
        self.folders = [f for f in folders if f.is_dir()]

    def find(self, md5: str) -> Path | None:
        """Where an object is: DVC 3's ``files/md5/ab/cd…`` or DVC 2's ``ab/cd…``."""
        for folder in self.folders:
            for path in (folder / "files" / "md5" / md5[:2] / md5[2:], folder / md5[:2] / md5[2:]):
                if path.is_file():
                    return path
        return None

    def has(self, md5: str) -> bool:
        return self.find(md5) is not None

    def import_file(self, store: ObjectStore, md5: str, legacy: bool) -> Imported:
        path = self.find(md5)
        if path is None:
            raise FileNotFoundError(md5)
        return import_checked(store, str(path), md5, legacy)

    def import_dir(self, store: ObjectStore, md5: str, legacy: bool) -> Imported:
        """A folder from its ``.dir`` listing and the objects it names."""
        path = self.find(md5)
        if path is None:
            raise FileNotFoundError(md5)
        data = path.read_bytes()
        if bytes_md5(data) + DIR_SUFFIX != md5:
            raise MalformedFileError(f"{path}: its md5 is not {md5}", "delete it and pull again")
        files: list[tuple[str, ObjectId, int]] = []
        for rel, file_md5_ in parse_listing(data, str(path)):
            got = self.import_file(store, file_md5_, legacy)
            files.append((rel, got.id, got.size))
        entry = build_tree("", files, store.put_bytes)
        return Imported(entry.id, entry.size, entry.files)


def import_checked(store: ObjectStore, path: str, md5: str, legacy: bool) -> Imported:
    """Store the file at ``path`` if its DVC md5 is ``md5``; MalformedFileError if not."""
    size = os.stat(path).st_size
    if size < SMALL:
        with open(path, "rb") as f:
            data = f.read()
        if bytes_md5(data, legacy) != md5:
            raise MalformedFileError(f"{path}: its md5 is not {md5}", "delete it and pull again")
        return Imported(store.put_bytes(data), len(data), 1)
    oid = store.put_file(path)  # the copy is what is checked: the source may change meanwhile
    if file_md5(store.path(oid), legacy) != md5:
        store.remove(oid)
        raise MalformedFileError(f"{path}: its md5 is not {md5}", "delete it and pull again")
    return Imported(oid, size, 1)


def build_tree(
    name: str, files: list[tuple[str, ObjectId, int]], put: Callable[[bytes], ObjectId]
) -> TreeEntry:
    """Solvent's tree objects for (relpath, id, size) files: one per folder, as ``add`` makes."""
    here: list[TreeEntry] = []
    below: dict[str, list[tuple[str, ObjectId, int]]] = {}
    for rel, oid, size in files:
        head, sep, rest = rel.partition("/")
        if sep:
            below.setdefault(head, []).append((rest, oid, size))
        else:
            here.append(make_entry(head, "file", oid, size))
    here.extend(build_tree(n, sub, put) for n, sub in below.items())
    tree = Tree(tuple(sorted(here, key=lambda e: e.name)))
    return TreeEntry(name, "tree", put(tree.to_bytes()), tree.size, False, tree.files)
