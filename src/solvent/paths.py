"""Path checks: every path typed by a user or read from a file must stay inside the repo."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from solvent.errors import PathOutsideRepoError


def check_relative(text: str, where: str) -> PurePosixPath:
    """Validate a repo-relative POSIX path read from a file: no absolute path, no escape."""
    if not text or "\0" in text or "\\" in text:
        raise PathOutsideRepoError(f"{where}: invalid path {text!r}")
    p = PurePosixPath(text)
    if p.is_absolute():
        raise PathOutsideRepoError(
            f"{where}: path {text!r} is absolute", "paths in Solvent files are repo-relative"
        )
    parts: list[str] = []
    for part in p.parts:
        if part == "..":
            if not parts:
                raise PathOutsideRepoError(f"{where}: path {text!r} leaves the repo")
            parts.pop()
        elif part != ".":
            parts.append(part)
    if not parts:
        raise PathOutsideRepoError(f"{where}: path {text!r} names no file")
    return PurePosixPath(*parts)


def inside(root: Path, path: Path, where: str) -> Path:
    """Resolve ``path`` (following symlinks of its parents) and require it under ``root``.

    The last component is not resolved, so a tracked file may itself be a link made by a
    link strategy; its parents may not lead out of the repo.
    """
    path = Path(os.path.abspath(path))
    parent = path.parent.resolve()
    resolved = parent / path.name
    try:
        rel = resolved.relative_to(root)
    except ValueError:
        raise PathOutsideRepoError(
            f"{where}: {path} is outside the repo {root}",
            "Solvent tracks only paths inside the repo; move or copy the data in first",
        ) from None
    if rel.parts and rel.parts[0] in (".solvent", ".git"):
        raise PathOutsideRepoError(f"{where}: {path} is inside Solvent's or git's own folder")
    return resolved
