"""``solvent ls``: a repo's files as ``dvc ls`` shows them: what git holds (or, for a local
repo without a rev, what the workspace holds) merged with the tracked data, pointer files' and
the pipeline's cached outs, listed even where they are not checked out.

Inside a tracked folder the listing comes from its tree objects when the cache holds them
(else from the workspace); a tracked folder of another repo whose trees are not at hand is
shown as one folder entry.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from solvent import git
from solvent.errors import GitError, SolventError, UsageError
from solvent.paths import check_relative
from solvent.pipeline.planning.lock import LOCK_FILE, StageLock, parse_lock, read_lock
from solvent.repo import DOT
from solvent.storage.ids import ObjectId
from solvent.storage.objects import ObjectStore
from solvent.storage.trees import TreeLoader
from solvent.tracking.discover import find_pointers
from solvent.tracking.pointer import parse_pointer, read_pointer

_HIDDEN = {".git", DOT, ".dvc"}  # the tools' own folders, as dvc ls hides .git and .dvc


@dataclass(frozen=True, slots=True)
class LsEntry:
    """One row of ``ls``; the field names are ``dvc ls --json``'s, with Solvent's object
    ``id`` where DVC prints an md5."""

    path: str
    isout: bool
    isdir: bool
    isexec: bool
    size: int | None
    id: str | None


@dataclass
class _Node:
    isdir: bool
    isout: bool = False
    isexec: bool = False
    size: int | None = None
    id: str | None = None
    children: dict[str, _Node] | None = field(default_factory=dict)  # None: not at hand


def ls(
    url: str | None, path: str | None, rev: str | None, *, recursive: bool = False,
    dvc_only: bool = False, here: Path | None = None,
) -> list[LsEntry]:  # fmt: skip
    """List ``path`` (default: the top) of the repo at ``url`` (None: the repo holding
    ``here``, the current folder) at ``rev`` (None: the workspace of a local repo, the
    default branch of a remote one)."""
    with _opened(url, rev, here or Path.cwd()) as (root, commit, stores):
        top = _Node(isdir=True)
        trees = _Trees(stores)
        if commit is None:
            pointers = [read_pointer(root, w) for w in find_pointers(root)]
            lock = read_lock(root)
            known = {str(p.path) for p in pointers if p.kind == "dir" and trees.has(p.id)}
            known |= {str(o.path) for e in lock.values() for o in e.outs
                      if o.files is not None and trees.has(o.id)}  # fmt: skip
            start = check_relative(path, "path") if path else PurePosixPath(".")
            _add_workspace(top, root, start, recursive, known)
        else:
            _add_git_files(top, root, commit)
            pointers = [parse_pointer(PurePosixPath(w), t) for w, t in _pointers_at(root, commit)]
            lock = _lock_at(root, commit)
        for p in pointers:
            _add_out(top, p.path, p.id, p.kind == "dir", p.size, p.executable, trees, root)
        for out in (o for entry in lock.values() for o in entry.outs):
            _add_out(top, out.path, out.id, out.files is not None, out.size, out.executable,
                     trees, root)  # fmt: skip
        return _list(top, path, recursive, dvc_only, url)


@contextlib.contextmanager
def _opened(
    url: str | None, rev: str | None, here: Path
) -> Iterator[tuple[Path, str | None, list[ObjectStore]]]:
    """(repo root, commit to list or None for the workspace, stores that may hold trees)."""
    from solvent.repo import RepoLayout

    local = Path(url) if url is not None else here
    if url is None or ("://" not in url and not url.startswith("git@") and local.is_dir()):
        root = _local_root(local, url)
        stores = [ObjectStore(root / DOT / "cache")]
        if url is not None:  # this repo's cache may hold the other's trees too
            with contextlib.suppress(SolventError):
                stores.append(RepoLayout.find(here).store)
        yield root, (git.resolve_rev(root, rev) if rev is not None else None), stores
        return
    with tempfile.TemporaryDirectory(prefix="solvent-ls-") as tmp:
        clone = Path(tmp) / "repo"
        _git("clone", "--quiet", "--no-checkout", url, str(clone))
        commit = git.resolve_rev(clone, rev or "HEAD")
        stores = []
        with contextlib.suppress(SolventError):
            stores.append(RepoLayout.find(here).store)
        yield clone, commit, stores


def _local_root(folder: Path, url: str | None) -> Path:
    for candidate in (folder.resolve(), *folder.resolve().parents):
        if (candidate / DOT).is_dir() or (candidate / ".git").exists():
            return candidate
    raise UsageError(
        f"{url or folder} is not a Solvent or git repo",
        "give a repo's URL or folder: solvent ls URL [PATH]",
    )


def _git(*args: str) -> None:
    proc = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise GitError(f"git {args[0]} failed: {last}", "check the URL and the revision")


class _Trees:
    """Tree objects from the first store that holds them."""

    def __init__(self, stores: list[ObjectStore]) -> None:
        self._loaders = [(s, TreeLoader(s.read_bytes)) for s in stores]

    def has(self, oid: ObjectId) -> bool:
        return any(store.has(oid) for store, _ in self._loaders)

    def children(self, oid: ObjectId) -> dict[str, _Node] | None:
        for store, load in self._loaders:
            if store.has(oid):
                try:
                    tree = load(oid)
                except (OSError, ValueError):
                    return None
                return {
                    e.name: _Node(
                        e.kind == "tree", True, e.executable, e.size, str(e.id),
                        self.children(e.id) if e.kind == "tree" else None,
                    )
                    for e in tree.entries
                }  # fmt: skip
        return None


def _node_at(top: _Node, parts: tuple[str, ...], create: bool) -> _Node | None:
    node = top
    for part in parts:
        if node.children is None:
            return None
        child = node.children.get(part)
        if child is None:
            if not create:
                return None
            child = node.children[part] = _Node(isdir=True, isout=node.isout)
        node = child
    return node


def _add_file(top: _Node, rel: str, size: int | None, isexec: bool) -> None:
    parts = tuple(rel.split("/"))
    parent = _node_at(top, parts[:-1], create=True)
    if parent is not None and parent.children is not None:
        parent.children.setdefault(parts[-1], _Node(False, parent.isout, isexec, size, None, None))


def _add_workspace(
    top: _Node, root: Path, start: PurePosixPath, recursive: bool, known: set[str]
) -> None:
    """The workspace below ``start``: one level of it unless ``recursive``; not inside the
    tracked folders in ``known`` (their trees list them)."""
    base = root / start
    if not base.is_dir():
        if base.is_file():
            st = base.stat()
            _add_file(top, str(start), st.st_size, bool(st.st_mode & 0o111))
        return
    if start.parts:
        _node_at(top, start.parts, create=True)  # an empty folder is listed too
    for folder, dirs, files in os.walk(base):
        rel = os.path.relpath(folder, root)
        if rel == ".":
            dirs[:] = [d for d in dirs if d not in _HIDDEN]
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        for d in dirs:
            _node_at(top, tuple(f"{prefix}{d}".split("/")), create=True)
        dirs[:] = [d for d in dirs if recursive and f"{prefix}{d}" not in known]
        for name in files:
            path = os.path.join(folder, name)
            try:
                st = os.stat(path)
            except OSError:
                continue  # a dangling symlink
            _add_file(top, prefix + name, st.st_size, bool(st.st_mode & 0o111))


def _add_git_files(top: _Node, root: Path, commit: str) -> None:
    listing = git.git(root, "ls-tree", "-r", "-l", "-z", "--full-tree", commit).decode()
    for line in listing.split("\0"):
        if not line:
            continue
        meta, _, rel = line.partition("\t")
        mode, kind, _sha, size = meta.split()
        if kind == "blob" and rel.split("/")[0] not in _HIDDEN:
            _add_file(top, rel, int(size), mode == "100755")


def _pointers_at(root: Path, commit: str) -> list[tuple[str, bytes]]:
    return sorted(git.pointer_files_at(root, commit).items())


def _lock_at(root: Path, commit: str) -> dict[str, StageLock]:
    try:
        text = git.git(root, "show", f"{commit}:{LOCK_FILE}")
    except GitError:
        return {}
    return parse_lock(text, f"{LOCK_FILE} at {commit[:8]}")


def _add_out(
    top: _Node, path: PurePosixPath, oid: ObjectId, isdir: bool, size: int, isexec: bool,
    trees: _Trees, root: Path,
) -> None:  # fmt: skip
    parts = path.parts
    parent = _node_at(top, parts[:-1], create=True)
    if parent is None or parent.children is None:
        return
    children: dict[str, _Node] | None = None
    if isdir:
        children = trees.children(oid)
        if children is None:  # trees not at hand: what the workspace holds, if anything
            old = parent.children.get(parts[-1])
            children = old.children if old is not None and old.children else None
            _mark_out(children)
    parent.children[parts[-1]] = _Node(isdir, True, isexec, size, str(oid), children)


def _mark_out(children: dict[str, _Node] | None) -> None:
    for child in (children or {}).values():
        child.isout = True
        _mark_out(child.children)


def _list(
    top: _Node, path: str | None, recursive: bool, dvc_only: bool, url: str | None
) -> list[LsEntry]:
    rel = check_relative(path, "path") if path else PurePosixPath(".")
    parts = () if rel == PurePosixPath(".") else rel.parts
    node = _node_at(top, parts, create=False)
    if node is None:
        where = f" in {url}" if url else ""
        raise UsageError(f"{path}: no such file or folder{where}", "solvent ls lists what there is")
    if not node.isdir:
        return [_entry(parts[-1], node)]
    found: list[LsEntry] = []
    _walk(node, "", recursive, found)
    if dvc_only:
        found = [e for e in found if e.isout]
    return sorted(found, key=lambda e: e.path)


def _walk(node: _Node, prefix: str, recursive: bool, found: list[LsEntry]) -> None:
    for name, child in (node.children or {}).items():
        rel = prefix + name
        if recursive and child.isdir and child.children is not None:
            _walk(child, rel + "/", recursive, found)
        else:
            found.append(_entry(rel, child))


def _entry(rel: str, node: _Node) -> LsEntry:
    return LsEntry(rel, node.isout, node.isdir, node.isexec, node.size, node.id)
