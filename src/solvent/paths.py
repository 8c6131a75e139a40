"""Path checks: every path typed by a user or read from a file must stay inside the repo."""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath

from solvent.errors import PathOutsideRepoError, UsageError

NAME_MAX = 255  # bytes in one file name (Linux, macOS)


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


def writable(root: Path, rel: PurePosixPath, where: str) -> Path:
    """The absolute path of repo-relative ``rel``, checked before Solvent deletes, writes or
    ignores it: every parent, links followed, must stay inside the repo (a committed link
    ``ol -> /elsewhere`` must not let an out ``ol/x`` reach ``/elsewhere/x``). The last
    component is not followed: replacing or deleting a link touches the link, not its target.
    """
    for part in rel.parts:
        if len(part) > NAME_MAX // 4 and len(os.fsencode(part)) > NAME_MAX:
            raise UsageError(
                f"{where}: the name {part[:32]}… is longer than a file name may be "
                f"({NAME_MAX} bytes)",
                "choose a shorter name",
            )
    parent = os.path.realpath(root / rel.parent)
    if parent == str(root / rel.parent):
        return _own_folder_checked(root, rel, where)  # no link on the way
    resolved = Path(parent)
    if resolved != root and root not in resolved.parents:
        link = _first_link(root, rel)
        raise PathOutsideRepoError(
            f"{where}: {rel} leads outside the repo through the link {link} "
            f"(-> {os.path.realpath(root / link)})",
            "Solvent never writes outside the repo; make that link a folder, or change the path",
        )
    inner = PurePosixPath(resolved.relative_to(root).as_posix()) / rel.name
    return _own_folder_checked(root, inner, where)


def _own_folder_checked(root: Path, rel: PurePosixPath, where: str) -> Path:
    if rel.parts and rel.parts[0] in (".solvent", ".git"):
        raise PathOutsideRepoError(f"{where}: {rel} is inside Solvent's or git's own folder")
    return root / rel


def _first_link(root: Path, rel: PurePosixPath) -> PurePosixPath:
    """The first leading part of ``rel`` that resolves outside ``root`` (a link, or a link
    to one)."""
    for n in range(1, len(rel.parts)):
        part = PurePosixPath(*rel.parts[:n])
        real = Path(os.path.realpath(root / part))
        if real != root and root not in real.parents:
            return part
    return rel.parent


def check_remote_folder(root: Path, url: str) -> None:
    """A folder remote must lie outside the repo: pushing into the workspace (``.``, or any
    folder inside) would write objects among the user's files."""
    if "://" in url or not url.strip():
        return
    real = Path(os.path.realpath(url if os.path.isabs(url) else root / url))
    top = Path(os.path.realpath(root))
    if real == top or top in real.parents:
        raise PathOutsideRepoError(
            f"remote URL {url!r} is a folder inside the repo ({real})",
            "a remote keeps copies away from the workspace: use a folder outside the repo",
        )
