"""Run-cache entries on a remote (``push/fetch/pull --run-cache``), as DVC's ``--run-cache``.

An entry is a small file named by its run key (``runcache/ab/cdef….yaml``, the same layout as
``.solvent/runcache``) naming the outs of one run; the outs' objects travel with it. Entries
are never overwritten on either side: the first run with a key is the one kept.
"""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from solvent.errors import SolventError
from solvent.pipeline.planning.lock import StageLock, parse_lock
from solvent.pipeline.results.outs import locked_pointer
from solvent.repo import RepoLayout
from solvent.storage.fsutil import atomic_write
from solvent.storage.remote import RemoteStore, _retry
from solvent.tracking.pointer import Pointer

PREFIX = "runcache"


def _names(paths: list[str]) -> set[str]:
    """``ab/cdef….yaml`` names of well-formed entry paths."""
    found = set()
    for p in paths:
        prefix, name = str(p).rstrip("/").rsplit("/", 2)[-2:]
        if len(prefix) == 2 and name.endswith(".yaml") and "/" not in name:
            found.add(f"{prefix}/{name}")
    return found


def local_entries(layout: RepoLayout) -> set[str]:
    root = layout.dot / "runcache"
    if not root.is_dir():
        return set()
    return _names([str(p) for p in root.glob("*/*.yaml")])


def remote_entries(remote: RemoteStore) -> set[str]:
    try:
        listed = _retry(lambda: remote.fs.find(f"{remote.root}/{PREFIX}"))
    except FileNotFoundError:
        return set()
    return _names([str(p) for p in listed])


def _outs(name: str, text: bytes) -> list[Pointer]:
    entry: StageLock | None = parse_lock(text, f"run-cache entry {name}").get("run")
    return [locked_pointer(o) for o in entry.outs] if entry is not None else []


def entries_to_push(layout: RepoLayout, remote: RemoteStore) -> tuple[list[str], list[Pointer]]:
    """Entries the remote lacks, and the outs they name (whose objects must go too)."""
    todo = sorted(local_entries(layout) - remote_entries(remote))
    pointers: list[Pointer] = []
    for name in todo:
        pointers += _outs(name, (layout.dot / "runcache" / name).read_bytes())
    return todo, pointers


def send_entries(layout: RepoLayout, remote: RemoteStore, names: list[str]) -> None:
    """Upload entries; call after their outs' objects arrived, so none names a missing one."""
    for name in names:
        src = layout.dot / "runcache" / name
        dest = f"{remote.root}/{PREFIX}/{name}"
        if remote.local:
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            atomic_write(dest, src.read_bytes())
        else:
            _retry(lambda s=src, d=dest: remote.fs.put_file(str(s), d))  # type: ignore[misc]


def receive_entries(
    layout: RepoLayout, remote: RemoteStore
) -> tuple[dict[str, bytes], list[Pointer]]:
    """Entries this repo lacks, read from the remote, and the outs they name. They are written
    here only by ``keep_entries``, once the outs' objects are in the cache. A damaged entry,
    or one whose outs name paths outside the repo, is skipped."""
    wanted = sorted(remote_entries(remote) - local_entries(layout))
    entries: dict[str, bytes] = {}
    pointers: list[Pointer] = []
    for name in wanted:
        try:
            text = _retry(lambda n=name: remote.fs.cat_file(f"{remote.root}/{PREFIX}/{n}"))  # type: ignore[misc]
            outs = _outs(name, text)
        except (SolventError, OSError):
            continue
        entries[name] = text
        pointers += outs
    return entries, pointers


def keep_entries(layout: RepoLayout, entries: dict[str, bytes]) -> int:
    for name, text in entries.items():
        path = layout.dot / "runcache" / PurePosixPath(name)
        os.makedirs(path.parent, exist_ok=True)
        atomic_write(path, text)
    return len(entries)
