"""Identifying a folder with the state cache one sub-folder at a time.

Every scanned folder gets a key: a digest of its files' stats and its sub-folders' keys. A
folder whose key the state cache knows is identified without looking at its files, so after
ten files changed in one of twenty sub-folders, only that sub-folder's files are looked up or
hashed, and only the trees on their path are rebuilt.
"""

from __future__ import annotations

import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter
from stat import S_IXUSR

from blake3 import blake3

from solvent.storage.ids import ObjectId
from solvent.storage.objects import ObjectStore
from solvent.storage.state import StateDB, any_racy
from solvent.storage.trees import FileRecord, Tree, TreeEntry, TreeLoader, flatten, make_entry
from solvent.tracking.changes import FileChanges
from solvent.tracking.workspace import DirScan, Identifier

_U64 = (1 << 64) - 1
_MTIME = attrgetter("st_mtime_ns")


@dataclass(slots=True)
class _Node:
    scan: DirScan
    path: str
    prefix: str  # relative path of the folder inside the tracked root, with "/" ("" for root)
    key: str = ""
    racy: bool = False
    size: int = 0
    count: int = 0
    children: dict[str, _Node] = field(default_factory=dict)
    resolved: ObjectId | None = None  # the id the state cache gave for the whole folder
    old: Tree | None = None  # the pointer's version of this folder (loaded when pending)
    old_id: ObjectId | None = None


def _keyed(scan: DirScan, path: str, prefix: str, now: int) -> _Node:
    """Keys bottom-up. ``scan.files`` is already in name order (the scan sorts entries)."""
    node = _Node(scan, path, prefix)
    numbers: list[int] = []
    for st in scan.files.values():
        numbers += (st.st_dev, st.st_ino, st.st_mtime_ns & _U64, st.st_size, st.st_mode & 0o777)
        node.size += st.st_size
    node.count = len(scan.files)
    node.racy = any_racy(map(_MTIME, scan.files.values()), now)
    h = blake3(path.encode())
    h.update("\0".join(scan.files).encode())
    h.update(array("Q", numbers).tobytes())
    for name, sub in scan.dirs.items():
        child = _keyed(sub, f"{path}/{name}", f"{prefix}{name}/", now)
        node.children[name] = child
        h.update(f"\0/{name}\1{child.key}".encode())
        node.size += child.size
        node.count += child.count
        node.racy = node.racy or child.racy
    node.key = h.hexdigest()
    return node


@dataclass(frozen=True, slots=True)
class DirResult:
    entry: TreeEntry
    files: dict[str, FileRecord] | None  # every file, when asked for and ids differ
    changes: FileChanges | None  # against ``old``, when ids differ and its tree is cached


class DirSnapshot:
    """One folder's snapshot. With ``store``, every object is saved (add). With ``old`` (the
    pointer's tree id) and a ``loader``, sub-folders that differ from it are looked at file by
    file, so the result can list per-file changes (unless ``want_changes`` is off: add only
    uses the old version to know which objects are stored)."""

    def __init__(
        self,
        state: StateDB,
        ident: Identifier,
        store: ObjectStore | None,
        put: Callable[[bytes], ObjectId],
        old: ObjectId | None = None,
        loader: TreeLoader | None = None,
        want_files: bool = False,
        want_changes: bool = True,
    ) -> None:
        self.state = state
        self.ident = ident
        self.store = store
        self.put = put
        self.old = old
        self.loader = loader
        self.detail = old is not None
        self.want_files = want_files and self.detail
        self.want_changes = want_changes and self.detail
        self._added: list[str] = []
        self._removed: list[str] = []
        self._modified: list[str] = []
        self._complete: list[ObjectId] = []  # trees to mark complete once their batch is durable

    def _trusted(self, oid: ObjectId | None) -> bool:
        if oid is None:
            return False
        if self.store is None:
            return True
        # 'complete' vouches for objects that were in the cache; a wiped cache voids it.
        return self.state.is_complete(oid) and self.store.has(oid)

    def _load(self, oid: ObjectId | None) -> Tree | None:
        if oid is None or self.loader is None:
            return None
        try:
            return self.loader(oid)
        except (FileNotFoundError, ValueError):
            return None

    def run(self, name: str, path: str, scan: DirScan) -> DirResult:
        root = _keyed(scan, path, "", time.time_ns())
        known = self.state.get_dir(root.key)
        if self._trusted(known) and (self.old is None or known == self.old):
            assert known is not None
            entry = TreeEntry(name, "tree", known, root.size, False, root.count)
            return DirResult(entry, None, None)
        pending: list[_Node] = []
        self._resolve(root, self.old, pending, top=True)
        old_root = root.old
        files = [(f"{n.path}/{fname}", st) for n in pending for fname, st in n.scan.files.items()]
        ids = iter(self.ident.ids(files, self._stored(pending)))
        file_ids = {
            (n.prefix + fname): next(ids) for n in pending for fname in n.scan.files
        }  # fmt: skip
        records: dict[str, FileRecord] | None = {} if self.want_files else None
        entry = self._build(name, root, file_ids, records)
        if self.store is not None:
            self.store.flush()  # files and trees: one durable batch
            for oid in self._complete:
                self.state.mark_complete(oid)
        changes = None
        if old_root is not None and self.want_changes:
            changes = FileChanges(
                tuple(sorted(self._added)),
                tuple(sorted(self._removed)),
                tuple(sorted(self._modified)),
            )
        return DirResult(entry, records, changes)

    def _resolve(self, node: _Node, old_id: ObjectId | None, out: list[_Node], top: bool) -> None:
        """Decide top-down which folders the state cache identifies; collect the others.
        The old version of a folder is read only when the folder must be looked into."""
        node.old_id = old_id
        if not top:
            known = self.state.get_dir(node.key)
            usable = not self.detail or (old_id is not None and known == old_id)
            if self._trusted(known) and usable:
                node.resolved = known
                return
        node.old = old = self._load(old_id)
        out.append(node)
        old_children = {e.name: e for e in old.entries if e.kind == "tree"} if old else {}
        for name, child in node.children.items():
            entry = old_children.get(name)
            self._resolve(child, entry.id if entry is not None else None, out, top=False)

    def _stored(self, pending: list[_Node]) -> set[str]:
        """Digests of file ids known to be in the cache: those of old folder versions whose
        every object was seen there. Spares an existence check per unchanged file (add)."""
        stored: set[str] = set()
        if self.store is None:
            return stored
        for n in pending:
            if n.old is not None and self._trusted(n.old_id):
                stored.update(e.id.digest for e in n.old.entries if e.kind == "file")
        return stored

    def _build(
        self,
        name: str,
        node: _Node,
        file_ids: dict[str, ObjectId],
        records: dict[str, FileRecord] | None,
    ) -> TreeEntry:
        if node.resolved is not None:
            old = self._load(node.old_id) if records is not None else None
            if records is not None and old is not None and self.loader is not None:
                for r in flatten(old, self.loader, node.prefix):
                    records[r.path] = r
            return TreeEntry(name, "tree", node.resolved, node.size, False, node.count)
        entries = []
        for fname, st in node.scan.files.items():
            rel = node.prefix + fname
            oid = file_ids[rel]
            executable = bool(st.st_mode & S_IXUSR)
            entries.append(make_entry(fname, "file", oid, st.st_size, executable))
            if records is not None:
                records[rel] = FileRecord(rel, oid, st.st_size, executable)
        if self.want_changes:
            self._compare(node, entries)
        for cname, child in node.children.items():
            sub = self._build(cname, child, file_ids, records)
            if sub.files:
                entries.append(sub)
        tree = Tree(tuple(sorted(entries, key=lambda e: e.name)))
        entry = TreeEntry(name, "tree", self.put(tree.to_bytes()), tree.size, False, tree.files)
        if self.store is not None:
            self._complete.append(entry.id)
        if not node.racy:
            self.state.put_dir(node.key, entry.id)
        return entry

    def _compare(self, node: _Node, files: list[TreeEntry]) -> None:
        """Changes in this folder's own files against the old version of it; sub-folders
        are compared when they are built (or are equal, when the state cache knew them)."""
        old = {e.name: e for e in node.old.entries} if node.old is not None else {}
        for e in files:
            was = old.get(e.name)
            rel = node.prefix + e.name
            if was is None or was.kind != "file":
                self._added.append(rel)
            elif (was.id, was.executable) != (e.id, e.executable):
                self._modified.append(rel)
        for name, was in old.items():
            if was.kind == "file" and name not in node.scan.files:
                self._removed.append(node.prefix + name)
            elif was.kind == "tree" and name not in node.children:
                self._removed.extend(self._all_files(was, node.prefix + name + "/"))

    def _all_files(self, entry: TreeEntry, prefix: str) -> list[str]:
        tree = self._load(entry.id)
        if tree is None or self.loader is None:
            return [prefix.rstrip("/")]  # its listing is not cached: name the folder
        return [r.path for r in flatten(tree, self.loader, prefix)]
