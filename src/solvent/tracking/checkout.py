"""``solvent checkout``: make the workspace match the pointer files, from the cache.

Everything is planned before anything is touched: unsaved changes (workspace content that is
in no object) and missing objects stop the command with nothing changed on disk.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from dataclasses import dataclass, field

from solvent.errors import CacheMissingError, UnsavedChangesError
from solvent.progress import NoProgress, Progress
from solvent.repo import RepoLayout
from solvent.storage.fsutil import remove_temps_of, syncfs, temp_name
from solvent.storage.trees import FileRecord, TreeLoader
from solvent.tracking.materialize import Materializer
from solvent.tracking.pointer import Pointer
from solvent.tracking.snapshot import Snapshot, pointer_files, snapshot, tree_loader


@dataclass(frozen=True, slots=True)
class CheckoutResult:
    path: str
    written: int
    deleted: int


@dataclass
class _Plan:
    pointer: Pointer
    root: str  # absolute data path
    writes: list[FileRecord] = field(default_factory=list)
    deletes: list[str] = field(default_factory=list)  # relative to root
    replace_whole: bool = False  # a file stands where a folder goes, or the reverse
    conflicts: list[str] = field(default_factory=list)  # repo-relative, unsaved content
    temps: tuple[str, ...] = ()  # relative to root: what a killed checkout left, to remove


def checkout_pointers(
    layout: RepoLayout,
    pointers: list[Pointer],
    force: bool,
    relink: bool,
    jobs: int,
    progress: Progress | None = None,
) -> list[CheckoutResult]:
    """Make the workspace match ``pointers``, under the repo lock the caller holds."""
    for p in pointers:  # never write through a link that leads out of the repo
        layout.writable(p.path, str(p.where))
    loader = tree_loader(layout)
    mat = Materializer(layout.store, layout.config.link)
    plans = [_plan(layout, p, loader, mat, relink, jobs) for p in pointers]
    missing = [
        f"{p.pointer.path}/{w.path}".rstrip("/")
        for p in plans
        for w in p.writes
        if not layout.store.has(w.id)
    ]
    if missing:
        # Some object below a folder marked complete is gone: stop trusting those marks, so
        # that re-adding the data (the hint below) stores the missing objects again.
        layout.state.forget_complete()
        raise CacheMissingError(
            f"{len(missing)} file(s) to check out are not in the cache, e.g. {missing[0]}",
            "fetch them from a remote ('solvent pull'), or re-add the data where it exists",
        )
    conflicts = [c for p in plans for c in p.conflicts]
    if conflicts and not force:
        shown = ", ".join(conflicts[:3]) + (
            f" and {len(conflicts) - 3} more" if len(conflicts) > 3 else ""
        )
        raise UnsavedChangesError(
            f"checkout would overwrite unsaved changes in {shown}",
            "save them with 'solvent add PATH' first, or discard them with --force",
        )
    results = [_apply(layout, plan, mat, jobs, progress or NoProgress()) for plan in plans]
    if any(r.written or r.deleted for r in results):
        syncfs(layout.root)
    return results


def _plan(
    layout: RepoLayout,
    pointer: Pointer,
    loader: TreeLoader,
    mat: Materializer,
    relink: bool,
    jobs: int,
) -> _Plan:
    desired = pointer_files(pointer, loader)
    root = str(layout.abs(pointer.path))
    plan = _Plan(pointer, root)
    store = layout.store
    if not os.path.lexists(root):
        plan.writes = list(desired.values())
        return plan
    ws_is_dir = os.path.isdir(root) and not os.path.islink(root)
    if ws_is_dir != (pointer.kind == "dir"):
        if not _saved(layout, snapshot(layout, pointer.path, save=False, jobs=jobs)):
            plan.conflicts.append(str(pointer.path))
        plan.replace_whole = True
        plan.writes = list(desired.values())
        return plan
    snap = snapshot(layout, pointer.path, save=False, expected=pointer.id, files=True, jobs=jobs,
                    loader=loader)  # fmt: skip
    assert snap.entry is not None
    plan.temps = snap.temps
    check_form = relink or mat.links[0] in ("hardlink", "symlink")
    same_mode = pointer.kind == "dir" or snap.entry.executable == _exec_of(desired)
    if snap.entry.id == pointer.id and not check_form and same_mode:
        return plan
    if pointer.kind == "file":
        current = {"": FileRecord("", snap.entry.id, snap.entry.size, snap.entry.executable)}
    else:
        current = snap.files if snap.files is not None else desired
    for rel, want in desired.items():
        have = current.get(rel)
        dest = os.path.join(root, rel) if rel else root
        if have is None:
            plan.writes.append(want)
        elif have.id != want.id:
            plan.writes.append(want)
            if not store.has(have.id):
                plan.conflicts.append(f"{pointer.path}/{rel}".rstrip("/"))
        elif have.executable != want.executable or relink or not mat.is_linked(want.id, dest):
            plan.writes.append(want)
    for rel, have in current.items():
        if rel not in desired:
            plan.deletes.append(rel)
            if not store.has(have.id):
                plan.conflicts.append(f"{pointer.path}/{rel}")
    return plan


def _saved(layout: RepoLayout, snap: Snapshot) -> bool:
    """Whether everything at a path could be restored from the cache."""
    entry = snap.entry
    if entry is None:
        return True
    if entry.kind == "file":
        return layout.store.has(entry.id)
    if snap.files is None:
        return layout.state.is_complete(entry.id)
    return all(layout.store.has(r.id) for r in snap.files.values())


def _exec_of(desired: dict[str, FileRecord]) -> bool:
    return desired[""].executable if "" in desired else False


def _apply(
    layout: RepoLayout, plan: _Plan, mat: Materializer, jobs: int, progress: Progress
) -> CheckoutResult:
    root = plan.root
    fresh = not os.path.lexists(root)  # nothing below it can be in the way
    if plan.replace_whole:
        if os.path.isdir(root) and not os.path.islink(root):
            shutil.rmtree(root)
        else:
            os.unlink(root)
    for rel in plan.temps:
        path = os.path.join(root, rel)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
    for rel in plan.deletes:
        os.unlink(os.path.join(root, rel))
        _prune_empty(os.path.dirname(os.path.join(root, rel)), root)
    # A folder that is not there yet is built beside it, then renamed into place whole: one
    # rename instead of one per file, and a crash never leaves half a folder under its name.
    staged = None
    parent, name = os.path.split(root)
    remove_temps_of(root)  # what a killed checkout was building or writing
    if fresh and plan.pointer.kind == "dir" and plan.writes:
        staged = os.path.join(parent, temp_name(name, os.urandom(4).hex()))
    build = staged or root
    if plan.pointer.kind == "dir":  # a tracked folder without files has nothing to write
        os.makedirs(build, exist_ok=True)
    dests = [(w, os.path.join(build, w.path) if w.path else root) for w in plan.writes]
    if dests:
        progress.start(f"checkout {plan.pointer.path}", len(dests))

        stats: dict[str, os.stat_result] = {}

        def write(item: tuple[FileRecord, str]) -> None:
            rec, dest = item
            if not fresh and os.path.isdir(dest) and not os.path.islink(dest):
                shutil.rmtree(dest)
            st = mat.write(rec.id, dest, rec.executable, direct=staged is not None)
            if st is not None:
                stats[dest] = st
            progress.advance()

        # Creating many small files is bound by the kernel, where threads contend (as in
        # add); large files copy in parallel well.
        large = sum(rec.size for rec, _dest in dests) >= len(dests) * (1 << 20)
        try:
            if jobs > 1 and len(dests) > 1 and large:
                from concurrent.futures import ThreadPoolExecutor

                with ThreadPoolExecutor(jobs) as pool:
                    list(pool.map(write, dests))
            elif staged is not None:  # a new folder: nothing in the way, one tight loop
                items = [(rec.id, dest, rec.executable) for rec, dest in dests]
                written = mat.write_new(items, progress.advance)
                for (_rec, dest), st in zip(dests, written, strict=True):
                    if st is not None:
                        stats[dest] = st
            else:
                for item in dests:
                    write(item)
            rows = [(stats.get(dest) or os.stat(dest), rec.id) for rec, dest in dests]
            if staged is not None:
                os.rename(staged, root)  # a rename keeps each file's inode and times
        except BaseException:
            if staged is not None:
                shutil.rmtree(staged, ignore_errors=True)
            raise
        progress.stop()
        layout.state.put_many(rows)
    return CheckoutResult(str(plan.pointer.path), len(dests), len(plan.deletes))


def _prune_empty(folder: str, stop: str) -> None:
    while os.path.abspath(folder) != os.path.abspath(stop):
        try:
            os.rmdir(folder)
        except OSError:
            return
        folder = os.path.dirname(folder)
