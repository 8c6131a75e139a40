"""``solvent add``: store files and folders by content and write their pointer files."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from solvent import git
from solvent.errors import GitError, SolventError, UsageError
from solvent.git import POINTER_SUFFIX
from solvent.progress import Progress
from solvent.repo import RepoLayout
from solvent.storage.fsutil import atomic_write_text, remove_temps_of
from solvent.storage.ids import ObjectId
from solvent.tracking.pointer import Pointer, PointerKind, pointer_path_for, read_pointer
from solvent.tracking.select import tracking_parent
from solvent.tracking.snapshot import snapshot
from solvent.tracking.workspace import DirScan, check_link, find_named, scan_dir


@dataclass(frozen=True, slots=True)
class AddResult:
    path: str
    pointer: str
    id: ObjectId
    kind: str
    size: int
    files: int
    hashed: int  # files whose bytes were read; 0 when the state cache knew them all
    changed: bool  # the pointer file was written (new or different)


def _check_targets(layout: RepoLayout, paths: list[str]) -> list[PurePosixPath]:
    """Every mistake is found before anything is written."""
    rels: list[PurePosixPath] = []
    for given in paths:
        rel = layout.rel(given)
        if rel == PurePosixPath("."):
            raise UsageError("cannot track the whole repo", "add the data folders inside it")
        if not os.path.lexists(layout.abs(rel)):
            raise UsageError(f"{given}: no such file or folder")
        if os.path.islink(layout.abs(rel)):  # the rule for links inside folders, here too
            check_link(str(layout.abs(rel)), layout.link_targets)
        if rel.name.endswith(POINTER_SUFFIX):
            raise UsageError(f"{given} is a Solvent pointer file, not data")
        parent = tracking_parent(layout, rel)
        if parent is not None:
            raise UsageError(
                f"{given} is inside the tracked folder {parent}",
                f"re-add the whole folder: 'solvent add {parent}'",
            )
        if rel not in rels:
            rels.append(rel)
    if layout.uses_git:
        in_git = git.tracked(layout.root, [str(r) for r in rels])
        if in_git:
            raise UsageError(
                f"{in_git[0]} is tracked by git",
                f"stop tracking it in git first: 'git rm -r --cached {in_git[0]}'",
            )
    return rels


def add(
    layout: RepoLayout, paths: list[str], jobs: int, progress: Progress | None = None
) -> list[AddResult]:
    rels = _check_targets(layout, paths)
    links = layout.config.link  # a malformed config stops us before anything is written
    results: list[AddResult] = []
    with layout.writing():
        # Folders are scanned once, and all of them before anything is written: the scan is
        # also where files that are themselves tracked (pointer files inside) are found.
        scans = {rel: _scan_checked(layout, rel) for rel in rels}
        try:
            _add_each(layout, rels, scans, links[0], jobs, progress, results)
        finally:  # what was added, even when a later path failed, stays out of git
            if layout.uses_git:
                ignore_in_git(layout, [PurePosixPath(r.path) for r in results])
    return results


def _add_each(
    layout: RepoLayout, rels: list[PurePosixPath], scans: dict[PurePosixPath, DirScan | None],
    link: str, jobs: int, progress: Progress | None, results: list[AddResult],
) -> None:  # fmt: skip
    """Snapshot each path and write its pointer; ``results`` grows as each one is done."""
    for rel in rels:
        snap = snapshot(
            layout, rel, save=True, jobs=jobs, progress=progress, scan=scans[rel],
            expected=_previous(layout, rel), changes=False,
        )  # fmt: skip
        entry = snap.entry
        if entry is None:
            raise UsageError(f"{rel} disappeared while it was being added")
        where = pointer_path_for(rel)
        kind: PointerKind = "dir" if entry.kind == "tree" else "file"
        pointer = Pointer(where, rel, entry.id, kind, entry.size, entry.files, entry.executable)
        text = pointer.render()
        target = layout.abs(where)
        remove_temps_of(str(target))  # a killed add's half-written pointer file
        changed = not target.is_file() or target.read_text() != text
        if changed:
            atomic_write_text(target, text)
        if link in ("hardlink", "symlink"):
            from solvent.tracking.checkout import checkout_pointers

            checkout_pointers(layout, [pointer], force=True, relink=True, jobs=jobs)
        results.append(
            AddResult(
                str(rel), str(where), entry.id, kind, entry.size, entry.files,
                snap.hashed, changed,
            )
        )  # fmt: skip


def _previous(layout: RepoLayout, rel: PurePosixPath) -> ObjectId | None:
    """The folder id the current pointer names: files unchanged since that version are
    known to be in the cache, so re-adding checks only what changed."""
    try:
        pointer = read_pointer(layout.root, pointer_path_for(rel))
    except SolventError:  # none yet, or broken: this add rewrites it
        return None
    return pointer.id if pointer.kind == "dir" and pointer.path == rel else None


def _scan_checked(layout: RepoLayout, rel: PurePosixPath) -> DirScan | None:
    path = str(layout.abs(rel))
    if not os.path.isdir(path):
        return None
    scan = scan_dir(path, layout.link_targets)
    nested = next(find_named(scan, POINTER_SUFFIX), None)
    if nested is not None:
        raise UsageError(
            f"{rel} holds tracked data ({rel / nested})",
            "track the folder as one piece, or its parts one by one, not both",
        )
    return scan


def ignore_in_git(layout: RepoLayout, rels: Iterable[PurePosixPath]) -> None:
    """Add ``/name`` to the .gitignore beside each path git does not ignore yet.

    A path some rule already covers (the user's ``*.pkl``, an ignored parent folder, our own
    entry) gets no entry: DVC changes no .gitignore in such a project, and neither do we.
    git is asked once, for the paths not already listed."""
    wanted: dict[PurePosixPath, tuple[Path, str]] = {}
    for rel in rels:
        gitignore = layout.writable(rel.parent / ".gitignore", str(rel))
        line = "/" + _escape(rel.name)
        if line not in _lines(gitignore):
            wanted[rel] = (gitignore, line)
    if not wanted:
        return
    try:
        already = git.ignored(layout.root, [str(rel) for rel in wanted])
    except GitError:  # git cannot say: an entry too many is better than data in a commit
        already = set()
    by_file: dict[Path, list[str]] = {}
    for rel, (gitignore, line) in wanted.items():
        if str(rel) not in already:
            by_file.setdefault(gitignore, []).append(line)
    for gitignore, lines in by_file.items():
        remove_temps_of(str(gitignore))
        try:
            text = gitignore.read_text()
        except FileNotFoundError:
            text = ""
        if text and not text.endswith("\n"):
            text += "\n"
        atomic_write_text(gitignore, text + "".join(f"{line}\n" for line in dict.fromkeys(lines)))


def _lines(gitignore: Path) -> list[str]:
    try:
        return gitignore.read_text().splitlines()
    except FileNotFoundError:
        return []


def _escape(name: str) -> str:
    """A file name as a .gitignore pattern that matches only itself (as DVC escapes it)."""
    escaped = re.sub(r"([\\*?\[\]])", r"\\\1", name)
    if escaped.startswith(("#", "!")):
        escaped = "\\" + escaped
    if escaped.endswith(" "):
        escaped = escaped[:-1] + "\\ "
    return escaped
