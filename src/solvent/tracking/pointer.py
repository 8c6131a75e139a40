"""Pointer files (``<path>.solvent``): the small, committed record of a tracked path."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

import yaml

from solvent.errors import MalformedFileError, PathOutsideRepoError
from solvent.git import POINTER_SUFFIX
from solvent.paths import check_relative
from solvent.storage.ids import ObjectId

PointerKind = Literal["file", "dir"]
HEADER = (
    "# Data tracked by Solvent. The bytes are in the cache: 'solvent checkout' restores them.\n"
)
_KEYS = {"path", "id", "kind", "size", "files"}
_OPTIONAL = {"executable"}


@dataclass(frozen=True, slots=True)
class Pointer:
    """``where`` is the pointer file's repo-relative path; ``path`` the data's."""

    where: PurePosixPath
    path: PurePosixPath
    id: ObjectId
    kind: PointerKind
    size: int
    files: int
    executable: bool = False  # single files only; a folder's bits are in its tree

    def render(self) -> str:
        doc: dict[str, object] = {
            "path": self.path.name,
            "id": str(self.id),
            "kind": self.kind,
            "size": self.size,
            "files": self.files,
        }
        if self.executable:
            doc["executable"] = True
        return HEADER + yaml.safe_dump(doc, sort_keys=False)


def pointer_path_for(data: PurePosixPath) -> PurePosixPath:
    return data.with_name(data.name + POINTER_SUFFIX)


def parse_pointer(where: PurePosixPath, text: bytes) -> Pointer:
    """Validate a pointer file; every error names the file and what to fix."""
    try:
        doc = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f", line {mark.line + 1}" if mark is not None else ""
        raise MalformedFileError(
            f"{where}{line}: not valid YAML", "restore it with 'git checkout -- FILE'"
        ) from None
    if not isinstance(doc, dict):
        raise MalformedFileError(f"{where}: expected keys {sorted(_KEYS)}")
    unknown = set(doc) - _KEYS - _OPTIONAL
    missing = _KEYS - set(doc)
    if unknown or missing:
        what = "; ".join(
            part
            for part in (
                f"unknown key(s) {sorted(map(str, unknown))}" if unknown else "",
                f"missing key(s) {sorted(missing)}" if missing else "",
            )
            if part
        )
        raise MalformedFileError(f"{where}: {what}", "restore it with 'git checkout -- FILE'")
    try:
        oid = ObjectId.parse(str(doc["id"]))
    except ValueError as e:
        raise MalformedFileError(f"{where}: {e}") from None
    kind = doc["kind"]
    if kind not in ("file", "dir"):
        raise MalformedFileError(f"{where}: kind must be 'file' or 'dir', not {kind!r}")
    for key in ("size", "files"):
        if not isinstance(doc[key], int) or isinstance(doc[key], bool) or doc[key] < 0:
            raise MalformedFileError(f"{where}: {key} must be a non-negative integer")
    if not isinstance(doc["path"], str):
        raise MalformedFileError(f"{where}: path must be a string")
    try:
        path = check_relative(str(where.parent / doc["path"]), str(where))
    except PathOutsideRepoError as e:
        raise PathOutsideRepoError(
            f"{e.message} (the path in a pointer file must stay inside the repo)",
            "restore the pointer file with 'git checkout -- FILE'",
        ) from None
    if path in where.parents:  # e.g. 'path: .': the data would hold its own pointer file
        raise MalformedFileError(
            f"{where}: path {doc['path']!r} names the folder holding this pointer file",
            "restore the pointer file with 'git checkout -- FILE'",
        )
    executable = doc.get("executable", False)
    if not isinstance(executable, bool):
        raise MalformedFileError(f"{where}: executable must be true or false")
    return Pointer(where, path, oid, kind, doc["size"], doc["files"], executable)


def read_pointer(root: Path, where: PurePosixPath) -> Pointer:
    try:
        text = (root / where).read_bytes()
    except OSError as e:
        raise MalformedFileError(f"{where}: cannot read ({e.strerror})") from None
    return parse_pointer(where, text)


_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
