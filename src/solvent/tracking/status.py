"""``solvent status``: how tracked data in the workspace compares with its pointer files."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from solvent.progress import Progress
from solvent.repo import RepoLayout
from solvent.storage.trees import TreeLoader
from solvent.tracking.changes import FileChanges
from solvent.tracking.pointer import Pointer
from solvent.tracking.select import select_pointers
from solvent.tracking.snapshot import missing_objects, snapshot, tree_loader


class DataState(Enum):
    UNCHANGED = "unchanged"
    MODIFIED = "modified"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class DataStatus:
    path: str
    pointer: str
    state: DataState
    in_cache: bool
    changes: FileChanges = field(default_factory=FileChanges)
    hashed: int = 0


def status(
    layout: RepoLayout, targets: list[str], jobs: int, progress: Progress | None = None
) -> list[DataStatus]:
    loader = tree_loader(layout)
    results = []
    for pointer in select_pointers(layout, targets):
        results.append(_one(layout, pointer, loader, jobs, progress))
    return results


def _one(
    layout: RepoLayout,
    pointer: Pointer,
    loader: TreeLoader,
    jobs: int,
    progress: Progress | None,
) -> DataStatus:
    missing = missing_objects(layout, pointer, loader)
    in_cache = not missing
    snap = snapshot(layout, pointer.path, save=False, expected=pointer.id, jobs=jobs,
                    progress=progress, loader=loader)  # fmt: skip
    base = (str(pointer.path), str(pointer.where))
    if snap.entry is None:
        return DataStatus(*base, DataState.MISSING, in_cache)
    kind_now = "dir" if snap.entry.kind == "tree" else "file"
    same_mode = pointer.kind == "dir" or snap.entry.executable == pointer.executable
    if snap.entry.id == pointer.id and kind_now == pointer.kind and same_mode:
        return DataStatus(*base, DataState.UNCHANGED, in_cache, hashed=snap.hashed)
    changes = snap.changes if kind_now == pointer.kind and snap.changes else FileChanges()
    return DataStatus(*base, DataState.MODIFIED, in_cache, changes, snap.hashed)
