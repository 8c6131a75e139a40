"""Which version (object id) of a path the workspace or a git revision holds, and which commit
first tracked a version: what lineage questions start from and end at.

A path's version at a revision comes from, in order: the lock's outs, its pointer file, or the
file itself when git tracks it (hashed as Solvent hashes files).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import PurePosixPath

from solvent import git
from solvent.errors import GitError, MalformedFileError, UsageError
from solvent.pipeline.planning.lock import LOCK_FILE, parse_lock
from solvent.repo import RepoLayout
from solvent.storage.hashing import hash_bytes
from solvent.storage.ids import ObjectId
from solvent.storage.trees import TreeLoader
from solvent.tracking.pointer import parse_pointer, pointer_path_for

MAX_HISTORY = 500  # commits searched for the one that tracked a version


@dataclass(frozen=True, slots=True)
class Version:
    path: PurePosixPath
    id: str
    rev: str | None  # the commit asked about; None: the workspace


def split_target(text: str) -> tuple[str, str | None]:
    """``data/raw.csv@v1`` → (``data/raw.csv``, ``v1``); a bare path has no revision."""
    path, at, rev = text.rpartition("@")
    if not at or not path or not rev:
        return text, None
    return path, rev


def version_of(layout: RepoLayout, text: str) -> Version:
    """The version ``PATH`` or ``PATH@REV`` names; a user error when there is none."""
    raw_path, rev = split_target(text)
    if rev is not None and os.path.lexists(layout.root / text):
        raw_path, rev = text, None  # a file whose name holds an @ is just that file
    if rev is None:
        path = layout.rel(raw_path)
        from solvent.pipeline.planning.state import path_state

        found = path_state(layout, path)
        if found is None:
            raise UsageError(
                f"{path} does not exist in the workspace",
                "check the path, or ask about an older version with PATH@REV",
            )
        return Version(path, str(found.id), None)
    if not layout.uses_git:
        raise UsageError(f"{text}: PATH@REV needs a git repo", "ask about PATH alone")
    commit = git.resolve_rev(layout.root, rev)
    path = layout.rel(raw_path)
    oid = _id_at(layout, path, commit)
    if oid is None:
        raise UsageError(
            f"{path} is not tracked at {rev} (not a stage out, tracked data or a git file there)",
            "check the path, or pick another revision ('git log' lists them)",
        )
    return Version(path, oid, commit)


def _show(layout: RepoLayout, commit: str, path: PurePosixPath | str) -> bytes | None:
    try:
        return git.git(layout.root, "show", f"{commit}:{path}")
    except GitError:
        return None


def _id_at(layout: RepoLayout, path: PurePosixPath, commit: str) -> str | None:
    lock = _show(layout, commit, LOCK_FILE)
    if lock is not None:
        try:
            stages = parse_lock(lock, f"{LOCK_FILE} at {commit[:8]}")
        except MalformedFileError:
            stages = {}
        for entry in stages.values():
            for out in entry.outs:
                if out.path == path:
                    return str(out.id)
    return _tracked_id(layout, path, commit)


def _tracked_id(layout: RepoLayout, path: PurePosixPath, commit: str) -> str | None:
    """The id a pointer file records at ``commit``, or of the git-tracked file itself."""
    where = pointer_path_for(path)
    text = _show(layout, commit, where)
    if text is not None:
        try:
            return str(parse_pointer(where, text).id)
        except (MalformedFileError, ValueError):
            return None
    dvc_where = _dvc_file(path)  # data of 'dvc add'
    text = _show(layout, commit, dvc_where) if layout.abs(dvc_where).is_file() else None
    if text is not None:
        from solvent.dvc.pointers import dvc_id_at

        return dvc_id_at(layout, dvc_where, text)
    blob = _show(layout, commit, path)
    if blob is not None:
        return str(hash_bytes(blob))
    for folder in path.parents:  # a file inside a tracked folder: walk the folder's tree
        if folder == PurePosixPath("."):
            break
        where = pointer_path_for(folder)
        text = _show(layout, commit, where)
        if text is not None:
            try:
                return id_inside(layout, parse_pointer(where, text).id, path.relative_to(folder))
            except (MalformedFileError, ValueError):
                return None
    return None


def id_inside(layout: RepoLayout, tree_id: ObjectId, rel: PurePosixPath) -> str | None:
    """The id of ``rel`` inside the tree ``tree_id`` (None when a listing is not cached)."""
    load = TreeLoader(layout.store.read_bytes)
    oid = tree_id
    for part in rel.parts:
        try:
            entries = {e.name: e for e in load(oid).entries}
        except (OSError, ValueError):
            return None
        if part not in entries:
            return None
        oid = entries[part].id
    return str(oid)


def is_data(layout: RepoLayout, path: PurePosixPath) -> bool:
    """Whether Solvent tracks ``path`` (its own pointer file or a folder's), not git."""
    return any(
        layout.abs(pointer_path_for(p)).is_file() or layout.abs(_dvc_file(p)).is_file()
        for p in (path, *path.parents)
        if p.name
    )


def _dvc_file(path: PurePosixPath) -> PurePosixPath:
    return path.with_name(path.name + ".dvc")


def tracked_in(layout: RepoLayout, path: PurePosixPath, oid: str) -> str | None:
    """The oldest commit (of the latest stretch of history) whose pointer file or git file
    holds version ``oid`` of ``path``: the commit that tracked this version of raw data."""
    if not layout.uses_git:
        return None
    try:
        pointers = [str(pointer_path_for(p)) for p in (path, *path.parents) if p.name]
        pointers.append(str(_dvc_file(path)))
        log = git.git(layout.root, "log", f"-{MAX_HISTORY}", "--format=%H", "--",
                      *pointers, str(path))  # fmt: skip
    except GitError:
        return None  # no commits yet
    found = None
    for commit in log.decode().split():
        if _tracked_id(layout, path, commit) == oid:
            found = commit
        elif found is not None:
            break
    return found
