"""Reading tracked data in the workspace: scan a folder, find ids (state cache first, hashing
only what changed), and build Merkle trees, optionally storing every object on the way."""

from __future__ import annotations

import os
import stat as statmod
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from operator import attrgetter

from blake3 import blake3

from solvent.errors import UsageError
from solvent.progress import NoProgress, Progress
from solvent.storage.hashing import MMAP_THRESHOLD, hash_bytes, hash_file
from solvent.storage.ids import ObjectId
from solvent.storage.objects import ObjectStore
from solvent.storage.state import StateDB, any_racy
from solvent.storage.trees import Tree, TreeEntry


@dataclass(slots=True)
class DirScan:
    """A folder as found on disk: files with their stats, and sub-folders. ``flat`` lists
    every file below, in tree order, as (relative path, absolute path, stat)."""

    files: dict[str, os.stat_result] = field(default_factory=dict)
    dirs: dict[str, DirScan] = field(default_factory=dict)
    flat: list[tuple[str, str, os.stat_result]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(st.st_size for _r, _a, st in self.flat)


def scan_dir(path: str) -> DirScan:
    """Stat every file under ``path``. File links are followed; folder links are refused."""
    scan = DirScan()
    _scan_into(path, "", scan, scan.flat)
    return scan


def _scan_into(
    path: str, prefix: str, scan: DirScan, flat: list[tuple[str, str, os.stat_result]]
) -> None:
    try:
        entries = sorted(os.scandir(path), key=_by_name)
    except NotADirectoryError:
        raise UsageError(f"{path} is not a folder") from None
    for entry in entries:
        name = entry.name
        if entry.is_dir(follow_symlinks=False):
            sub = scan.dirs[name] = DirScan()
            _scan_into(entry.path, prefix + name + "/", sub, flat)
            continue
        try:
            st = entry.stat()
        except FileNotFoundError:
            raise UsageError(f"{entry.path} is a broken link") from None
        if statmod.S_ISREG(st.st_mode):
            scan.files[name] = st
            flat.append((prefix + name, entry.path, st))
        elif statmod.S_ISDIR(st.st_mode):
            raise UsageError(
                f"{entry.path} is a link to a folder", "Solvent follows file links, not folders"
            )
        else:
            raise UsageError(f"{entry.path} is not a regular file (socket, fifo or device)")


_by_name = attrgetter("name")


def is_executable(st: os.stat_result) -> bool:
    return bool(st.st_mode & statmod.S_IXUSR)


def dir_key(path: str, scan: DirScan) -> tuple[str, bool]:
    """A digest of every file's stat under ``path``, and whether any stat is too fresh to trust.

    Equal keys mean no file was added, removed, renamed, rewritten or chmodded.
    """
    text = "\0".join(
        f"{rel}\1{st.st_dev}\1{st.st_ino}\1{st.st_mtime_ns}\1{st.st_size}\1{st.st_mode & 0o777}"
        for rel, _a, st in scan.flat
    )
    key = blake3(f"{path}\0{text}".encode()).hexdigest()
    return key, any_racy((st.st_mtime_ns for _r, _a, st in scan.flat), time.time_ns())


class Identifier:
    """Finds content ids for workspace files: state cache first, then hashing in parallel.

    With a store, every file's bytes are also saved as an object (``add``); without one,
    files are only hashed (``status``). ``hashed`` counts files whose bytes were read.
    """

    def __init__(
        self,
        state: StateDB,
        store: ObjectStore | None,
        jobs: int,
        progress: Progress | None = None,
    ) -> None:
        self.state = state
        self.store = store
        self.jobs = max(1, jobs)
        self.progress = progress or NoProgress()
        self.hashed = 0
        self.hashed_bytes = 0

    def _digest(self, path: str, size: int) -> ObjectId:
        store = self.store
        if size >= MMAP_THRESHOLD:
            oid = store.put_file(path) if store else hash_file(path, size)
        else:
            with open(path, "rb") as f:
                data = f.read()
            oid = hash_bytes(data)
            if store is not None:
                store.put_bytes(data, oid)
        self.progress.advance(size)
        return oid

    def _digest_chunk(self, chunk: list[tuple[str, os.stat_result]]) -> list[ObjectId]:
        return [self._digest(path, st.st_size) for path, st in chunk]

    def ids(self, files: list[tuple[str, os.stat_result]]) -> list[ObjectId]:
        """Ids of ``(path, stat)`` pairs, in order."""
        known = self.state.get_many([st for _path, st in files])
        store = self.store
        todo = [
            i
            for i, oid in enumerate(known)
            if oid is None or (store is not None and not store.has(oid))
        ]
        if todo:
            pending = [files[i] for i in todo]
            total = sum(st.st_size for _path, st in pending)
            self.progress.start("hashing", total)
            # Chunks, not single files, per task: a task costs more than hashing 4 KiB.
            size = max(1, min(256, len(pending) // (self.jobs * 4) or 1))
            chunks = [pending[k : k + size] for k in range(0, len(pending), size)]
            if len(chunks) == 1 or self.jobs == 1:
                found = [oid for chunk in chunks for oid in self._digest_chunk(chunk)]
            else:
                with ThreadPoolExecutor(self.jobs) as pool:
                    found = [oid for ids in pool.map(self._digest_chunk, chunks) for oid in ids]
            self.progress.stop()
            for i, oid in zip(todo, found, strict=True):
                known[i] = oid
            self.state.put_many([(st, oid) for (_p, st), oid in zip(pending, found, strict=True)])
            self.hashed += len(todo)
            self.hashed_bytes += total
        if store is not None:
            store.flush()
        return [oid for oid in known if oid is not None]


def build_tree(
    path: str, scan: DirScan, ids: dict[str, ObjectId], put: Callable[[bytes], ObjectId]
) -> TreeEntry:
    """The tree entry for a scanned folder; ``put`` stores (or just hashes) each tree object."""
    return _build(os.path.basename(path), scan, ids, put, "")


def _build(
    name: str,
    scan: DirScan,
    ids: dict[str, ObjectId],
    put: Callable[[bytes], ObjectId],
    prefix: str,
) -> TreeEntry:
    entries = [
        TreeEntry(fname, "file", ids[prefix + fname], st.st_size, is_executable(st))
        for fname, st in scan.files.items()
    ]
    for dname, sub in scan.dirs.items():
        child = _build(dname, sub, ids, put, prefix + dname + "/")
        if child.files:
            entries.append(child)
    tree = Tree(tuple(sorted(entries, key=lambda e: e.name)))
    return TreeEntry(name, "tree", put(tree.to_bytes()), tree.size, False, tree.files)
