"""``solvent diff``: per-file changes of tracked data between git revisions or the workspace."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from solvent import git
from solvent.errors import CacheMissingError, UsageError
from solvent.repo import RepoLayout
from solvent.storage.ids import ObjectId
from solvent.storage.trees import FileRecord, TreeLoader
from solvent.tracking.pointer import Pointer, parse_pointer
from solvent.tracking.select import all_pointers
from solvent.tracking.snapshot import pointer_files, snapshot, tree_loader

ChangeKind = Literal["added", "deleted", "modified"]
WORKSPACE = "workspace"


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    change: ChangeKind
    old: ObjectId | None
    new: ObjectId | None
    old_size: int | None
    new_size: int | None


@dataclass(frozen=True, slots=True)
class DiffResult:
    a: str
    b: str
    changes: tuple[Change, ...]
    # Tracked folders whose listing is not in the cache, compared as a whole.
    coarse: tuple[str, ...]


def _side_at_rev(layout: RepoLayout, rev: str) -> list[Pointer]:
    return [
        parse_pointer(PurePosixPath(where), text)
        for where, text in sorted(git.pointer_files_at(layout.root, rev).items())
    ]


def _flatten(
    pointers: list[Pointer],
    loader: TreeLoader,
    workspace: dict[PurePosixPath, dict[str, FileRecord] | None] | None,
    coarse: set[str],
) -> dict[str, FileRecord]:
    files: dict[str, FileRecord] = {}
    for p in pointers:
        if workspace is not None and p.path in workspace:
            found = workspace[p.path]
            if found is None:
                continue  # missing from the workspace: its files count as deleted
            records = found
        else:
            try:
                records = pointer_files(p, loader)
            except CacheMissingError:
                coarse.add(str(p.path))
                records = {"": FileRecord("", p.id, p.size, p.executable)}
        for rel, rec in records.items():
            files[f"{p.path}/{rel}" if rel else str(p.path)] = rec
    return files


def _workspace(
    layout: RepoLayout, pointers: list[Pointer], loader: TreeLoader, jobs: int
) -> dict[PurePosixPath, dict[str, FileRecord] | None]:
    """What the workspace holds for each pointer, file by file where it differs."""
    found: dict[PurePosixPath, dict[str, FileRecord] | None] = {}
    for p in pointers:
        snap = snapshot(layout, p.path, save=False, expected=p.id, files=True, jobs=jobs,
                        loader=loader)  # fmt: skip
        entry = snap.entry
        if entry is None:
            found[p.path] = None
        elif entry.kind == "file":
            found[p.path] = {"": FileRecord("", entry.id, entry.size, entry.executable)}
        elif snap.files is not None:
            found[p.path] = snap.files
        # else: unchanged folder; its files are the pointer's, read from the cache
    return found


def diff(layout: RepoLayout, rev_a: str | None, rev_b: str | None, jobs: int = 1) -> DiffResult:
    if not layout.uses_git:
        raise UsageError("'solvent diff' compares git revisions; this repo has no git")
    loader = tree_loader(layout)
    a_name = rev_a or "HEAD"
    old_pointers = _side_at_rev(layout, a_name)
    coarse: set[str] = set()
    old = _flatten(old_pointers, loader, None, coarse)
    if rev_b is None:
        new_pointers = all_pointers(layout)
        ws = _workspace(layout, new_pointers, loader, jobs)
        new = _flatten(new_pointers, loader, ws, coarse)
        b_name = WORKSPACE
    else:
        new = _flatten(_side_at_rev(layout, rev_b), loader, None, coarse)
        b_name = rev_b
    changes: list[Change] = []
    for path in sorted(old.keys() | new.keys()):
        o, n = old.get(path), new.get(path)
        if o is not None and n is not None and (o.id, o.executable) == (n.id, n.executable):
            continue
        kind: ChangeKind = "added" if o is None else "deleted" if n is None else "modified"
        changes.append(
            Change(
                path, kind,
                o.id if o else None, n.id if n else None,
                o.size if o else None, n.size if n else None,
            )
        )  # fmt: skip
    return DiffResult(a_name, b_name, tuple(changes), tuple(sorted(coarse)))
