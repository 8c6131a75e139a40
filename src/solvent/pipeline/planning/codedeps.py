"""Implicit code deps: the scripts a stage's ``python …`` commands run, and the project-local
modules they import, transitively (static analysis with ``ast``; nothing is executed).

``python path/script.py`` and ``python -m pkg.mod`` are recognised anywhere in a command line
(after ``&&``, ``;``, ``|``). An import is project-local when it resolves to a ``.py`` file
inside the repo, searched where Python would look: the script's folder (or the stage's wdir for
``-m``), then the repo root and ``src/``. Third-party and standard modules resolve outside the
repo and are left to the environment fingerprint.

Parsing is memoised by content id in ``.solvent/state.db`` (table ``imports``), and content ids
come from the state cache, so a no-op ``status`` stats the files and parses none of them.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import sqlite3
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from solvent.pipeline.planning.lock import LockedPath
from solvent.pipeline.spec.model import Stage
from solvent.repo import RepoLayout

_PYTHON = re.compile(r"(?:.*/)?python(?:\d+(?:\.\d+)*)?(?:\.exe)?")
_SEPARATORS = {"&&", "||", ";", "|", "&", "(", ")"}
_SKIP_DIRS = {".git", ".solvent", ".venv", "venv", "node_modules", "__pycache__"}
# Interpreter options that take a value: ``python -W ignore script.py``.
_OPTS_WITH_VALUE = {"-W", "-X", "-Q"}
Import = tuple[str, int]  # (dotted name, relative level); "a.b" for ``from a import b`` too


def entry_points(command: str) -> list[tuple[str, str]]:
    """``[("script", "train.py"), ("module", "pkg.mod")]`` for each python call in a command."""
    if "python" not in command:
        return []  # most commands: no need to tokenise them
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return []
    found: list[tuple[str, str]] = []
    for i, tok in enumerate(tokens):
        if not _PYTHON.fullmatch(tok) or (i and tokens[i - 1] not in _SEPARATORS and
                                          not _env_assignment(tokens[i - 1])):  # fmt: skip
            continue
        j = i + 1
        while j < len(tokens) and tokens[j].startswith("-") and tokens[j] not in _SEPARATORS:
            opt = tokens[j]
            if opt == "-m" and j + 1 < len(tokens):
                found.append(("module", tokens[j + 1]))
                break
            if opt == "-c":
                break
            j += 2 if opt in _OPTS_WITH_VALUE else 1
        else:
            if j < len(tokens) and tokens[j] not in _SEPARATORS and tokens[j].endswith(".py"):
                found.append(("script", tokens[j]))
    return found


def _env_assignment(token: str) -> bool:
    """``PYTHONHASHSEED=0 python …``: a variable set for one command."""
    name, eq, _ = token.partition("=")
    return bool(eq) and name.isidentifier()


def imports_of(source: bytes) -> list[Import]:
    """Every module an import statement names, at any depth (inside functions too)."""
    import ast  # parsed only on a cache miss: a no-op status imports nothing

    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []  # the command will fail on it; that is not ours to report
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, 0) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            found.append((base, node.level))
            # ``from pkg import mod`` may name a submodule: try each name as one.
            for alias in node.names:
                if alias.name != "*":
                    found.append((f"{base}.{alias.name}" if base else alias.name, node.level))
    return found


class ImportMemo:
    """content id → the imports of that source, kept in ``state.db`` (a memo, never data)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._db: sqlite3.Connection | None = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            from solvent.storage.state import open_memo

            self._db = open_memo(
                self._path,
                "CREATE TABLE IF NOT EXISTS imports (id TEXT PRIMARY KEY, names TEXT NOT NULL)"
                " WITHOUT ROWID",
            )
        return self._db

    def get(self, oid: str) -> list[Import] | None:
        row = self._conn().execute("SELECT names FROM imports WHERE id=?", (oid,)).fetchone()
        return [(str(n), int(level)) for n, level in json.loads(row[0])] if row else None

    def put(self, oid: str, names: list[Import]) -> None:
        with self._conn() as db:
            db.execute("INSERT OR REPLACE INTO imports VALUES (?,?)", (oid, json.dumps(names)))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


class CodeDeps:
    """Finds a stage's implicit code deps; one per command, sharing what it parsed."""

    def __init__(self, layout: RepoLayout, still: bool = False) -> None:
        self.layout = layout
        self.root = layout.root
        # ``still``: nothing writes files while this command runs (status, not repro), so a
        # stage that runs the same script as another gets the answer already found.
        self.still = still
        self.memo = ImportMemo(layout.dot / "state.db")
        self._imports: dict[PurePosixPath, list[Import]] = {}
        self._found: dict[object, tuple[PurePosixPath, ...]] = {}
        self._states: dict[PurePosixPath, LockedPath | None] = {}
        roots = [self.root, self.root / "src"]
        self._roots = [r for r in roots if r.is_dir()]

    def for_stage(self, stage: Stage) -> tuple[PurePosixPath, ...]:
        """The files, repo-relative and sorted; explicit deps (and files under them) left out."""
        found = self.code_of(stage)
        if not stage.deps or not found:
            return found
        explicit = [str(d) for d in stage.deps]
        return tuple(
            p for p in found
            if not any(str(p) == d or str(p).startswith(d + "/") for d in explicit)
        )  # fmt: skip

    def code_of(self, stage: Stage) -> tuple[PurePosixPath, ...]:
        """Every project file the stage's python commands run, declared as deps or not."""
        points = tuple(p for command in _commands(stage) for p in entry_points(command))
        if not points:
            return ()
        key = (stage.wdir, points)
        found = self._found.get(key) if self.still else None
        if found is None:
            found = self._scripts(self.layout.abs(stage.wdir), points)
            self._found[key] = found
        return found

    def _scripts(
        self, wdir: Path, points: tuple[tuple[str, str], ...]
    ) -> tuple[PurePosixPath, ...]:
        """Every project file the entry points run, sorted."""
        starts: list[tuple[Path, Path]] = []  # (file, the folder its imports start from)
        for kind, target in points:
            if kind == "script":
                script = Path(os.path.normpath(wdir / target))
                if script.is_file():
                    starts.append((script, script.parent))
            else:
                starts.extend((f, wdir) for f in self._module(target, [wdir, *self._roots]))
        found: set[PurePosixPath] = set()
        for file, first in starts:
            self._walk(file, first, found)
        return tuple(sorted(found))

    def state(self, rel: PurePosixPath) -> LockedPath | None:
        """The id of a code file (remembered for the command when ``still``)."""
        from solvent.pipeline.planning.state import path_state

        if not self.still:
            return path_state(self.layout, rel, links_out=True)
        if rel not in self._states:
            self._states[rel] = path_state(self.layout, rel, links_out=True)
        return self._states[rel]

    def _walk(self, start: Path, first: Path, found: set[PurePosixPath]) -> None:
        todo = [start]
        search = [first, *self._roots]
        while todo:
            file = todo.pop()
            rel = self._rel(file)
            if rel is None or rel in found:
                continue
            found.add(rel)
            for name, level in self._parsed(rel):
                if level:
                    base = file.parent
                    for _ in range(level - 1):
                        base = base.parent
                    hits = self._resolve(name, [base]) if name else [base / "__init__.py"]
                else:
                    hits = self._resolve(name, search)
                todo.extend(h for h in hits if h.is_file())

    def _parsed(self, rel: PurePosixPath) -> list[Import]:
        if rel not in self._imports:
            state = self.state(rel)
            oid = str(state.id) if state is not None else None
            names = self.memo.get(oid) if oid else None
            if names is None:
                try:
                    names = imports_of(self.layout.abs(rel).read_bytes())
                except OSError:
                    names = []
                if oid:
                    self.memo.put(oid, names)
            self._imports[rel] = names
        return self._imports[rel]

    def _resolve(self, name: str, search: Iterable[Path]) -> list[Path]:
        """The files importing ``name`` runs: each package's ``__init__.py`` and the module."""
        parts = name.split(".")
        for base in search:
            if not (base / parts[0]).is_dir() and not (base / f"{parts[0]}.py").is_file():
                continue
            hits: list[Path] = []
            folder = base
            for i, part in enumerate(parts):
                if (folder / part).is_dir():
                    folder = folder / part
                    hits.append(folder / "__init__.py")
                elif (folder / f"{part}.py").is_file():
                    hits.append(folder / f"{part}.py")
                    break
                elif i == 0:
                    hits = []
                    break
                else:
                    break  # ``from pkg import name``: a name in pkg, not a submodule
            if hits:
                return hits
        return []

    def _module(self, module: str, search: list[Path]) -> list[Path]:
        """What ``python -m module`` runs: its packages' ``__init__``s, then the module (or
        the package's ``__main__``)."""
        hits = self._resolve(module, search)
        if hits and hits[-1].name == "__init__.py":
            hits.append(hits[-1].parent / "__main__.py")
        return [h for h in hits if h.is_file()]

    def _rel(self, file: Path) -> PurePosixPath | None:
        try:
            rel = PurePosixPath(file.relative_to(self.root).as_posix())
        except ValueError:
            return None
        if any(part in _SKIP_DIRS or part == "site-packages" for part in rel.parts):
            return None
        return rel


def _commands(stage: Stage) -> tuple[str, ...]:
    if len(stage.cmd) == 1:
        return tuple(line for line in stage.cmd[0].splitlines() if line.strip())
    return stage.cmd
