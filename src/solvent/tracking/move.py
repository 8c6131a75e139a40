"""``solvent move`` and ``solvent remove PATH``: rename tracked data with its pointer file, or
stop tracking it, keeping the ``.gitignore`` entries beside the data in step (as ``dvc move``
and ``dvc remove`` do)."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

from solvent import git
from solvent.errors import UsageError
from solvent.git import POINTER_SUFFIX
from solvent.repo import RepoLayout
from solvent.storage.fsutil import atomic_write_text
from solvent.tracking.add import ignore_in_git
from solvent.tracking.pointer import Pointer, pointer_path_for, read_pointer
from solvent.tracking.select import tracking_parent


@dataclass(frozen=True, slots=True)
class Moved:
    src: str
    dst: str
    pointer: str  # the new pointer file
    data_moved: bool  # False: the data was not in the workspace, only the pointer moved


@dataclass(frozen=True, slots=True)
class Untracked:
    path: str
    pointer: str
    data_removed: bool


def pointer_of(layout: RepoLayout, target: str) -> Pointer | None:
    """The pointer ``target`` names (the data path or the pointer file), None if neither is
    tracked."""
    rel = layout.rel(target, "target")
    where = rel if rel.name.endswith(POINTER_SUFFIX) else pointer_path_for(rel)
    if not layout.abs(where).is_file():
        return None
    return read_pointer(layout.root, where)


def untrack(layout: RepoLayout, pointer: Pointer, remove_data: bool) -> Untracked:
    """Delete the pointer file and its ``.gitignore`` entry; with ``remove_data`` the data
    too. The objects stay in the cache until ``solvent gc``. The caller holds the lock."""
    data = layout.writable(pointer.path, str(pointer.where))
    removed = False
    if remove_data and (data.exists() or data.is_symlink()):
        if data.is_dir() and not data.is_symlink():
            shutil.rmtree(data)
        else:
            data.unlink()
        removed = True
    layout.abs(pointer.where).unlink()
    unignore_in_git(layout, pointer.path)
    return Untracked(str(pointer.path), str(pointer.where), removed)


def move(layout: RepoLayout, pointer: Pointer, dst: str) -> Moved:
    """Move the data of ``pointer`` to ``dst`` (into it, when it is a folder) with its pointer
    file. Every check is made before anything moves. The caller holds the lock."""
    src = pointer.path
    target = layout.rel(dst, "destination")
    if layout.abs(target).is_dir() and target != src and not layout.abs(target).is_symlink():
        target = target / src.name
    if target == src:
        raise UsageError(f"{dst}: that is where {src} already is", "name another destination")
    if target == PurePosixPath(".") or target.name.endswith(POINTER_SUFFIX):
        raise UsageError(f"{dst}: not a place for data", "name a file or folder path")
    if src in target.parents:
        raise UsageError(f"cannot move {src} into itself ({target})", "choose another destination")
    new_where = pointer_path_for(target)
    for taken in (target, new_where):
        if os.path.lexists(layout.abs(taken)):
            raise UsageError(f"{taken} already exists", "remove it first, or choose another name")
    parent = tracking_parent(layout, target)
    if parent is not None:
        raise UsageError(f"{target} is inside the tracked folder {parent}", "move it elsewhere")
    if layout.uses_git and git.tracked(layout.root, [str(target)]):
        raise UsageError(f"{target} is tracked by git", "choose a path git does not track")
    data = layout.writable(src, str(pointer.where))
    dest = layout.writable(target, str(target))
    moved = os.path.lexists(data)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if moved:
        os.rename(data, dest)
    atomic_write_text(
        layout.abs(new_where), replace(pointer, where=new_where, path=target).render()
    )
    layout.abs(pointer.where).unlink()
    unignore_in_git(layout, src)
    if layout.uses_git:
        ignore_in_git(layout, [target])
    return Moved(str(src), str(target), str(new_where), moved)


def unignore_in_git(layout: RepoLayout, rel: PurePosixPath) -> None:
    """Take ``/name`` out of the ``.gitignore`` beside the data; a file left empty is deleted,
    as DVC does."""
    gitignore = layout.writable(rel.parent / ".gitignore", str(rel))
    try:
        text = gitignore.read_text()
    except FileNotFoundError:
        return
    rows = text.splitlines(keepends=True)
    kept = [r for r in rows if r.rstrip("\r\n") != f"/{rel.name}"]
    if len(kept) == len(rows):
        return
    if any(r.strip() for r in kept):
        atomic_write_text(gitignore, "".join(kept))
    else:
        gitignore.unlink()
