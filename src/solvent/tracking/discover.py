"""Finding pointer files in the workspace without walking into tracked data."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from solvent.git import POINTER_SUFFIX

# Folders that never hold pointer files and can be huge.
_SKIP = {".git", ".solvent", ".dvc", "node_modules", "__pycache__", ".venv", ".mypy_cache", ".tox"}


def find_pointers(root: Path, suffix: str = POINTER_SUFFIX) -> list[PurePosixPath]:
    """Every ``*.solvent`` file (or ``*.dvc`` with that ``suffix``) under ``root``,
    repo-relative, sorted."""
    found: list[PurePosixPath] = []
    stack = [""]
    while stack:
        rel = stack.pop()
        folder = os.path.join(root, rel) if rel else str(root)
        try:
            entries = list(os.scandir(folder))
        except (PermissionError, FileNotFoundError, NotADirectoryError):
            continue
        names = {e.name for e in entries}
        if rel and "pyvenv.cfg" in names:
            continue
        # Data a pointer tracks holds no pointers: not walked (nor data of 'dvc add').
        tracked = {n.rsplit(".", 1)[0] for n in names if n.endswith((suffix, ".dvc"))}
        for e in entries:
            child = f"{rel}/{e.name}" if rel else e.name
            if e.name.endswith(suffix) and e.is_file():
                found.append(PurePosixPath(child))
            elif e.is_dir(follow_symlinks=False) and e.name not in _SKIP and e.name not in tracked:
                stack.append(child)
    return sorted(found)
