"""``dvc.lock`` and ``.dvc`` pointer files, read as typed values.

Paths stay as DVC wrote them (relative to the stage's ``wdir``, or to the ``.dvc`` file's
folder); the caller joins them. An entry without ``hash: md5`` is from DVC 2 (``legacy``:
its md5s are md5-dos2unix).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from solvent.dvc.hashing import DvcHash
from solvent.errors import MalformedFileError
from solvent.paths import check_relative

DVC_LOCK = "dvc.lock"


@dataclass(frozen=True, slots=True)
class DvcPath:
    path: str
    hash: DvcHash | None  # None: not an md5 (a URL's etag, a checksum): Solvent cannot compare
    legacy: bool = False
    executable: bool = False  # DVC's ``isexec``


@dataclass(frozen=True, slots=True)
class DvcStageLock:
    cmd: tuple[str, ...]
    deps: tuple[DvcPath, ...] = ()
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    outs: tuple[DvcPath, ...] = ()


def _load_yaml(text: bytes, where: str) -> Any:
    """As DVC reads it: ruamel, YAML 1.2 (``1e-05`` is a float)."""
    from solvent.pipeline.spec.files import parse_data_file
    from solvent.pipeline.spec.interpolate import ResolveError

    try:
        return parse_data_file(PurePosixPath(where), ".yaml", text)
    except ResolveError as e:
        raise MalformedFileError(e.message, f"restore it with 'git checkout -- {where}'") from None


def _path(item: Any, where: str) -> DvcPath:
    if not isinstance(item, dict) or not isinstance(item.get("path"), str):
        raise ValueError(f"an entry without a path: {item!r}")
    md5 = item.get("md5")
    legacy = item.get("hash") != "md5"
    if not isinstance(md5, str) or (item.get("hash") not in (None, "md5")):
        return DvcPath(item["path"], None, legacy)
    nfiles = item.get("nfiles")
    size = item.get("size")
    return DvcPath(
        item["path"],
        DvcHash(md5, int(size) if isinstance(size, int) else -1,
                int(nfiles) if isinstance(nfiles, int) else None),
        legacy,
        item.get("isexec") is True and not md5.endswith(".dir"),
    )  # fmt: skip


def read_dvc_lock(root: Path) -> dict[str, DvcStageLock]:
    """Stage name → what ``dvc.lock`` records; empty when there is no ``dvc.lock``."""
    try:
        text = (root / DVC_LOCK).read_bytes()
    except FileNotFoundError:
        return {}
    return parse_dvc_lock(text, DVC_LOCK)


def parse_dvc_lock(text: bytes, where: str) -> dict[str, DvcStageLock]:
    doc = _load_yaml(text, where)
    if not doc:
        return {}
    if str(doc.get("schema")) != "2.0":
        raise MalformedFileError(
            f"{where}: not a DVC 2/3 lock file (schema '2.0')",
            "run 'dvc repro' once with DVC 2 or later to rewrite it, or delete it",
        )
    found: dict[str, DvcStageLock] = {}
    try:
        for name, body in (doc.get("stages") or {}).items():
            cmd = body["cmd"]
            params = body.get("params") or {}
            if not all(isinstance(v, dict) for v in params.values()):
                raise ValueError("params must map files to {key: value}")
            found[str(name)] = DvcStageLock(
                tuple(str(c) for c in cmd) if isinstance(cmd, list) else (str(cmd),),
                tuple(_path(d, where) for d in body.get("deps") or ()),
                {str(f): dict(v) for f, v in params.items()},
                tuple(_path(o, where) for o in body.get("outs") or ()),
            )
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        raise MalformedFileError(
            f"{where}: malformed lock file ({e})", f"restore it with 'git checkout -- {where}'"
        ) from None
    return found


@dataclass(frozen=True, slots=True)
class DvcPointer:
    """One out of a ``.dvc`` file (``dvc add``): ``where`` is the file, ``path`` the data,
    both repo-relative."""

    where: PurePosixPath
    path: PurePosixPath
    hash: DvcHash
    legacy: bool = False
    executable: bool = False  # DVC's ``isexec``: a file with its executable bit


def parse_dvc_file(
    where: PurePosixPath, text: bytes, skip_imports: bool = False
) -> list[DvcPointer]:
    """The outs of a ``.dvc`` file; an import (``deps:``) or a non-md5 out is refused (with
    ``skip_imports``, an import has no outs for Solvent: it stays DVC's)."""
    doc = _load_yaml(text, str(where))
    hint = f"restore it with 'git checkout -- {where}'"
    if not isinstance(doc, dict) or not isinstance(doc.get("outs"), list):
        raise MalformedFileError(f"{where}: a .dvc file needs a list of outs", hint)
    if doc.get("deps") and skip_imports:
        return []
    if doc.get("deps"):
        raise MalformedFileError(
            f"{where}: an import ('dvc import'/'import-url'); Solvent reads only 'dvc add' files",
            "import it again with 'solvent import', or keep using DVC for it",
        )
    pointers = []
    for item in doc["outs"]:
        try:
            entry = _path(item, str(where))
        except ValueError as e:
            raise MalformedFileError(f"{where}: {e}", hint) from None
        if entry.hash is None:
            raise MalformedFileError(f"{where}: out {entry.path!r} has no md5", hint)
        path = check_relative(str(where.parent / entry.path), str(where))
        pointers.append(DvcPointer(where, path, entry.hash, entry.legacy, entry.executable))
    return pointers
