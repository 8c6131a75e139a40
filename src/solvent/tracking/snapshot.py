"""What a tracked path holds right now, and what a pointer says it should hold."""

from __future__ import annotations

import errno
import os
import stat as statmod
from dataclasses import dataclass
from pathlib import PurePosixPath

from solvent.errors import CacheMissingError, MalformedFileError, UsageError
from solvent.paths import NAME_MAX
from solvent.progress import Progress
from solvent.repo import RepoLayout
from solvent.storage.hashing import hash_bytes
from solvent.storage.ids import ObjectId
from solvent.storage.trees import FileRecord, TreeEntry, TreeLoader, flatten
from solvent.tracking.changes import FileChanges
from solvent.tracking.dirsnap import DirSnapshot
from solvent.tracking.pointer import Pointer
from solvent.tracking.workspace import (
    DirScan,
    Identifier,
    check_link,
    find_temps,
    is_executable,
    scan_dir,
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """``entry`` is None when the path is missing. When a folder differs from ``expected``,
    ``changes`` lists what changed and, if asked for, ``files`` lists every file."""

    entry: TreeEntry | None
    files: dict[str, FileRecord] | None
    hashed: int
    changes: FileChanges | None = None  # per-file changes against ``expected``, if known
    temps: tuple[str, ...] = ()  # temp files a killed Solvent left in the folder (not data)


def snapshot(
    layout: RepoLayout,
    rel: PurePosixPath,
    *,
    save: bool,
    expected: ObjectId | None = None,
    files: bool = False,
    jobs: int = 1,
    progress: Progress | None = None,
    loader: TreeLoader | None = None,
    scan: DirScan | None = None,
    changes: bool = True,
    links_out: bool = False,
) -> Snapshot:
    """Identify the data at ``rel``; with ``save``, store every object on the way (add).
    ``scan`` is the folder's scan when the caller already made it; ``changes``: list per-file
    changes against ``expected`` (else ``expected`` only spares existence checks).
    ``links_out``: follow file links that lead outside the repo (a pipeline's deps, which
    are read, never stored); tracked data and outs refuse them."""
    path = str(layout.abs(rel))
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return Snapshot(None, None, 0)
    except OSError as e:
        if e.errno != errno.ENAMETOOLONG:
            raise
        raise UsageError(
            f"{str(rel)[:64]}…: a name in this path is longer than a file name may be "
            f"({NAME_MAX} bytes)",
            "choose a shorter name",
        ) from None
    if statmod.S_ISLNK(st.st_mode):
        if not os.path.exists(path):
            return Snapshot(None, None, 0)  # a broken link: nothing there to read
        # The same rule as for a link inside a folder, except for a pipeline's deps.
        st = os.stat(path) if links_out else check_link(path, layout.link_targets)
    store = layout.store if save else None
    ident = Identifier(layout.state, store, jobs, progress)
    if statmod.S_ISREG(st.st_mode):
        (oid,) = ident.ids([(path, st)])
        if store is not None:
            store.flush()
        entry = TreeEntry(rel.name, "file", oid, st.st_size, is_executable(st))
        return Snapshot(entry, None, ident.hashed)
    if scan is None:
        scan = scan_dir(path, None if links_out else layout.link_targets)
    put = layout.store.put_bytes if save else hash_bytes
    if expected is not None and loader is None:
        loader = tree_loader(layout)
    snap = DirSnapshot(
        layout.state, ident, store, put, expected, loader, want_files=files, want_changes=changes
    )
    result = snap.run(rel.name, path, scan)
    temps = tuple(find_temps(scan))
    return Snapshot(result.entry, result.files, ident.hashed, result.changes, temps)


def tree_loader(layout: RepoLayout) -> TreeLoader:
    return layout.trees


def pointer_files(pointer: Pointer, loader: TreeLoader) -> dict[str, FileRecord]:
    """The files a pointer names, relative to its data path ('' for a single file)."""
    if pointer.kind == "file":
        return {"": FileRecord("", pointer.id, pointer.size, pointer.executable)}
    try:  # every sub-folder's listing is read too, not only the top one
        return {r.path: r for r in flatten(loader(pointer.id), loader)}
    except FileNotFoundError:
        raise CacheMissingError(
            f"{pointer.where}: a folder listing of {pointer.path} is not in the cache",
            "fetch the data from a remote ('solvent pull'), or re-add it where it exists",
        ) from None
    except ValueError as e:
        raise MalformedFileError(
            f"{pointer.where}: a listing of {pointer.path} is corrupt: {e}"
        ) from None


def missing_objects(layout: RepoLayout, pointer: Pointer, loader: TreeLoader) -> list[str]:
    """Paths (relative to the data) whose objects are not in the cache; [''] for the whole."""
    store = layout.store
    if pointer.kind == "file":
        return [] if store.has(pointer.id) else [""]
    if not store.has(pointer.id):
        return [""]
    if layout.state.is_complete(pointer.id):
        return []
    try:
        missing = [r.path for r in flatten(loader(pointer.id), loader) if not store.has(r.id)]
    except (FileNotFoundError, ValueError):
        return [""]  # a sub-folder's listing is gone (or damaged): the whole is not restorable
    if not missing:
        layout.state.mark_complete(pointer.id)
    return missing
