"""Reading tracked data in the workspace: scan a folder, find ids (state cache first, hashing
only what changed), and build Merkle trees, optionally storing every object on the way."""

from __future__ import annotations

import os
import stat as statmod
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from blake3 import blake3

from solvent.errors import UsageError
from solvent.progress import NoProgress, Progress
from solvent.storage.hashing import MMAP_THRESHOLD, hash_bytes, hash_file
from solvent.storage.ids import ObjectId
from solvent.storage.objects import ObjectStore
from solvent.storage.state import StateDB, is_racy
from solvent.storage.trees import Tree, TreeEntry


@dataclass(slots=True)
class DirScan:
    """A folder as found on disk: files with their stats, and sub-folders."""

    files: dict[str, os.stat_result] = field(default_factory=dict)
    dirs: dict[str, DirScan] = field(default_factory=dict)

    def walk(self, path: str, prefix: str = "") -> Iterator[tuple[str, str, os.stat_result]]:
        """(relative path, absolute path, stat) of every file, in tree order."""
        names = sorted([*self.files, *self.dirs])
        for name in names:
            if name in self.files:
                yield prefix + name, os.path.join(path, name), self.files[name]
            else:
                yield from self.dirs[name].walk(os.path.join(path, name), prefix + name + "/")


def scan_dir(path: str) -> DirScan:
    """Stat every file under ``path``. File links are followed; folder links are refused."""
    scan = DirScan()
    try:
        entries = list(os.scandir(path))
    except NotADirectoryError:
        raise UsageError(f"{path} is not a folder") from None
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            scan.dirs[entry.name] = scan_dir(entry.path)
            continue
        try:
            st = entry.stat(follow_symlinks=True)
        except FileNotFoundError:
            raise UsageError(f"{entry.path} is a broken link") from None
        if statmod.S_ISREG(st.st_mode):
            scan.files[entry.name] = st
        elif statmod.S_ISDIR(st.st_mode):
            raise UsageError(
                f"{entry.path} is a link to a folder", "Solvent follows file links, not folders"
            )
        else:
            raise UsageError(f"{entry.path} is not a regular file (socket, fifo or device)")
    return scan


def is_executable(st: os.stat_result) -> bool:
    return bool(st.st_mode & statmod.S_IXUSR)


def dir_key(path: str, scan: DirScan) -> tuple[str, bool]:
    """A digest of every file's stat under ``path``, and whether any stat is too fresh to trust.

    Equal keys mean no file was added, removed, renamed, rewritten or chmodded.
    """
    h = blake3(path.encode())
    now = time.time_ns()
    racy = False
    for rel, _abs, st in scan.walk(path):
        racy = racy or is_racy(st.st_mtime_ns, now)
        h.update(
            f"\0{rel}\0{st.st_dev}\0{st.st_ino}\0{st.st_mtime_ns}\0{st.st_size}\0"
            f"{st.st_mode & 0o777}".encode()
        )
    return h.hexdigest(), racy


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

    def ids(self, files: list[tuple[str, os.stat_result]]) -> list[ObjectId]:
        """Ids of ``(path, stat)`` pairs, in order."""
        result: list[ObjectId | None] = []
        todo: list[int] = []
        for i, (_path, st) in enumerate(files):
            oid = self.state.get(st)
            if oid is not None and (self.store is None or self.store.has(oid)):
                result.append(oid)
            else:
                result.append(None)
                todo.append(i)
        if todo:
            total = sum(files[i][1].st_size for i in todo)
            self.progress.start("hashing", total)
            work: Callable[[int], ObjectId] = lambda i: self._digest(  # noqa: E731
                files[i][0], files[i][1].st_size
            )
            if len(todo) == 1 or self.jobs == 1:
                found = [work(i) for i in todo]
            else:
                with ThreadPoolExecutor(self.jobs) as pool:
                    found = list(pool.map(work, todo, chunksize=64))
            self.progress.stop()
            for i, oid in zip(todo, found, strict=True):
                result[i] = oid
            self.state.put_many([(files[i][1], result[i]) for i in todo])  # type: ignore[misc]
            self.hashed += len(todo)
            self.hashed_bytes += total
        if self.store is not None:
            self.store.flush()
        return [oid for oid in result if oid is not None]


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
