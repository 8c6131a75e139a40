"""Finding, creating and opening a Solvent repo: its folders, config, store, state and lock."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from functools import cached_property
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from solvent import git
from solvent.config import DEFAULT_CONFIG, Config, load_config
from solvent.errors import NotARepoError, UsageError
from solvent.paths import inside, writable
from solvent.storage.fsutil import atomic_write_text
from solvent.storage.lock import repo_lock
from solvent.storage.objects import ObjectStore
from solvent.storage.state import StateDB

if TYPE_CHECKING:
    from solvent.storage.trees import TreeLoader

DOT = ".solvent"
DOT_GITIGNORE = """\
# Solvent's local files: the cache, the state cache and the lock stay on this machine.
/cache/
/tmp/
/state.db*
/runs.db*
/exps/
/doctor/
/runcache/
/logs/
/lock
/config.local.toml
/learned-edges.json
"""


def ensure_ignored(dot: Path, *entries: str) -> None:
    """Repos made before a local file of Solvent's existed (the ledger, experiments, the
    run-cache, logs) do not ignore it yet: add it to ``.solvent/.gitignore``."""
    ignore = dot / ".gitignore"
    try:
        text = ignore.read_text()
    except FileNotFoundError:
        return
    missing = [e for e in entries if e not in text.splitlines()]
    if missing:
        with ignore.open("a") as f:
            f.write(
                ("" if text.endswith("\n") or not text else "\n")
                + "".join(f"{e}\n" for e in missing)
            )


class RepoLayout:
    """Paths and handles of one repo; opened lazily so read commands stay fast."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dot = root / DOT
        self.uses_git = (root / ".git").exists()

    @classmethod
    def find(cls, start: Path | None = None) -> RepoLayout:
        here = (start or Path.cwd()).resolve()
        for folder in (here, *here.parents):
            if (folder / DOT).is_dir():
                return cls(folder)
        raise NotARepoError(
            f"{here} is not inside a Solvent repo (no {DOT}/ folder here or above)",
            "run 'solvent init' at the top of your project",
        )

    @classmethod
    def init(cls, root: Path, no_git: bool = False) -> tuple[RepoLayout, bool]:
        """Create the repo's folders; running it again repairs what is missing. Returns
        the layout and whether anything was created."""
        root = root.resolve()
        if not no_git:
            top = git.toplevel(root)
            if top is None:
                raise UsageError(
                    f"{root} is not a git repo",
                    "run 'git init' first, or 'solvent init --no-git' for a plain folder",
                )
            if top != root:
                raise UsageError(
                    f"{root} is inside the git repo {top}; Solvent lives at the git top level",
                    f"run 'solvent init' in {top}",
                )
        dot = root / DOT
        created = not dot.is_dir()
        (dot / "cache").mkdir(parents=True, exist_ok=True)
        layout = cls(root)
        layout.store.init()
        for name, text in (("config.toml", DEFAULT_CONFIG), (".gitignore", DOT_GITIGNORE)):
            if not (dot / name).exists():
                atomic_write_text(dot / name, text)
                created = True
        return layout, created

    @cached_property
    def config(self) -> Config:
        return load_config(self.dot)

    @cached_property
    def store(self) -> ObjectStore:
        return ObjectStore(self.dot / "cache")

    @cached_property
    def trees(self) -> TreeLoader:
        """Tree objects, each parsed once for the layout's life (a pull parses the trees it
        fetches once, not again to check them out): a tree's content never changes."""
        from solvent.storage.trees import TreeLoader  # json: only commands reading trees

        return TreeLoader(self.store.read_bytes)

    @cached_property
    def state(self) -> StateDB:
        return StateDB(self.dot / "state.db")

    @contextlib.contextmanager
    def writing(self, timeout: float | None = None) -> Iterator[None]:
        """Hold the repo lock, and clear what an earlier killed writer left in the store."""
        with repo_lock(self.dot / "lock", timeout if timeout is not None else _lock_timeout()):
            self.store.init()
            self.store.clean_tmp()
            yield

    def rel(self, path: str | os.PathLike[str], where: str = "path") -> PurePosixPath:
        """A user-typed path as repo-relative POSIX, refusing anything outside the repo."""
        resolved = inside(self.root, Path(path), where)
        rel = resolved.relative_to(self.root)
        return PurePosixPath(rel.as_posix())

    def abs(self, rel: PurePosixPath) -> Path:
        return self.root / rel

    @cached_property
    def link_targets(self) -> tuple[str, ...]:
        """Folders a followed link may lead into (each ending in "/"): the repo, and the
        cache's objects, where the symlink strategy points (an experiment's cache links to
        its repo's)."""
        objects = self.store.objects
        return (f"{self.root}/", f"{os.path.realpath(objects)}/", f"{objects}/")

    def writable(self, rel: PurePosixPath, where: str) -> Path:
        """``abs(rel)`` for a path Solvent is about to delete, write or ignore: refused when
        a link on the way leads out of the repo (see ``paths.writable``)."""
        return writable(self.root, rel, where)


def _lock_timeout() -> float:
    try:
        return float(os.environ.get("SOLVENT_LOCK_TIMEOUT", "10"))
    except ValueError:
        return 10.0
