"""``solvent gc``: delete cached objects that no selected revision needs.

Marking is conservative: every pointer file and every ``solvent.lock`` out in the chosen scope
(the workspace, branches, tags, or every commit) is walked down to its files, and run-cache
entries keep their outs. A folder listing that is not in the cache cannot be walked, so gc
refuses to run rather than guess. By default it only reports; ``--force`` deletes.

``--cloud`` sweeps a remote instead of the cache, with the same marking: what the chosen
scope does not need is deleted from the remote's objects (its other files, such as the run
ledger, are left alone).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import PurePosixPath

from solvent import git
from solvent.errors import SolventError, UsageError
from solvent.pipeline.planning.lock import LOCK_FILE, parse_lock, read_lock
from solvent.repo import RepoLayout
from solvent.runs.experiments import experiment_locks
from solvent.storage.ids import ObjectId
from solvent.storage.remote import RemoteStore
from solvent.storage.trees import TreeLoader, reachable
from solvent.tracking.pointer import parse_pointer
from solvent.tracking.select import all_pointers


@dataclass(frozen=True)
class GcScope:
    workspace: bool = True
    all_branches: bool = False
    all_tags: bool = False
    all_commits: bool = False


@dataclass(frozen=True)
class GcResult:
    kept: int
    removable: tuple[ObjectId, ...]
    removable_bytes: int
    removed: bool


def _revisions(layout: RepoLayout, scope: GcScope) -> list[str]:
    if not (scope.all_branches or scope.all_tags or scope.all_commits):
        return []
    if not layout.uses_git:
        raise UsageError("--all-branches, --all-tags and --all-commits need a git repo")
    revs: set[str] = set()
    if scope.all_commits:
        revs.update(git.git(layout.root, "rev-list", "--all").decode().split())
    if scope.all_branches:
        out = git.git(layout.root, "for-each-ref", "--format=%(objectname)", "refs/heads")
        revs.update(out.decode().split())
    if scope.all_tags:
        out = git.git(layout.root, "for-each-ref", "--format=%(objectname)^{commit}", "refs/tags")
        revs.update(git.resolve_rev(layout.root, r) for r in out.decode().split())
    return sorted(revs)


def _roots(layout: RepoLayout, scope: GcScope) -> dict[ObjectId, bool]:
    """Every object a selected revision names directly: id → whether it is a folder."""
    roots: dict[ObjectId, bool] = {}
    if scope.workspace:
        for p in all_pointers(layout):
            roots[p.id] = p.kind == "dir"
        for entry in read_lock(layout.root).values():
            for out in entry.outs:
                roots[out.id] = out.files is not None
        if (layout.root / ".dvc").is_dir():  # the data of .dvc files, once checked out
            from solvent.dvc.pointers import cached_roots

            roots.update(cached_roots(layout))
    for rev in _revisions(layout, scope):
        for where, text in git.pointer_files_at(layout.root, rev).items():
            p = parse_pointer(PurePosixPath(where), text)
            roots[p.id] = p.kind == "dir"
        try:
            text = git.git(layout.root, "show", f"{rev}:{LOCK_FILE}")
        except SolventError:
            continue  # no lock in that commit
        for entry in parse_lock(text, f"{LOCK_FILE} at {rev[:10]}").values():
            for out in entry.outs:
                roots[out.id] = out.files is not None
    runcache = layout.dot / "runcache"
    if runcache.is_dir():
        for path in runcache.rglob("*.yaml"):
            for entry in parse_lock(path.read_bytes(), str(path)).values():
                for out in entry.outs:
                    roots[out.id] = out.files is not None
    for where, lock in experiment_locks(layout.dot):  # so 'solvent exp apply' still works
        for entry in parse_lock(lock.encode(), where).values():
            roots.update((out.id, out.files is not None) for out in entry.outs)
    return roots


def gc(layout: RepoLayout, scope: GcScope, *, force: bool, keep_days: float | None) -> GcResult:
    if not force:
        return _gc(layout, scope, False, keep_days)
    with layout.writing():  # nobody adds an object between marking and sweeping
        return _gc(layout, scope, True, keep_days)


def _marked(layout: RepoLayout, scope: GcScope) -> set[ObjectId]:
    try:
        return reachable(_roots(layout, scope), TreeLoader(layout.store.read_bytes))
    except FileNotFoundError:
        raise UsageError(
            "a folder listing is not in the cache, so gc cannot tell what it needs",
            "fetch it first ('solvent fetch'), or narrow the scope",
        ) from None


def gc_remote(layout: RepoLayout, remote: RemoteStore, scope: GcScope, *, force: bool) -> GcResult:
    """Objects on ``remote`` that the scope does not need; deleted with ``force``."""
    keep = _marked(layout, scope)
    there = remote.list_objects()
    removable = tuple(sorted(there.keys() - keep))
    size = sum(there[oid] for oid in removable)
    if force:
        for oid in removable:
            remote.remove(oid)
        remote.sweep_temps(everywhere=True)  # killed pushes' leftovers, once old enough
    return GcResult(len(keep), removable, size, force and bool(removable))


def _gc(layout: RepoLayout, scope: GcScope, force: bool, keep_days: float | None) -> GcResult:
    store = layout.store
    keep = _marked(layout, scope)
    cutoff = time.time() - keep_days * 86400 if keep_days is not None else None
    removable: list[ObjectId] = []
    size = 0
    for oid in store.iter_ids():
        if oid in keep:
            continue
        st = os.stat(store.path(oid))
        if cutoff is not None and st.st_mtime >= cutoff:
            continue
        removable.append(oid)
        size += st.st_size
    if force and removable:
        layout.state.forget_complete()  # 'complete' marks may name what goes now
        for oid in removable:
            store.remove(oid)
    return GcResult(len(keep), tuple(removable), size, force and bool(removable))
