"""``solvent.lock``: what each stage last ran with and produced.

Sorted by stage, one block per stage, stable key order: small diffs and few merge conflicts.
Only the scheduler writes it, after each stage finishes, so a crash loses only running stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from solvent.errors import MalformedFileError
from solvent.paths import check_relative
from solvent.storage.fsutil import atomic_write_text
from solvent.storage.ids import ObjectId
from solvent.storage.memo import memo_entry

LOCK_FILE = "solvent.lock"
SCHEMA = 1


@dataclass(frozen=True, slots=True)
class LockedPath:
    path: PurePosixPath
    id: ObjectId
    size: int
    files: int | None = None  # folders only
    executable: bool = False  # files only; a folder's bits are in its tree

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"path": str(self.path), "id": str(self.id), "size": self.size}
        if self.files is not None:
            doc["files"] = self.files
        if self.executable:
            doc["executable"] = True
        return doc


@dataclass(frozen=True, slots=True)
class StageLock:
    cmd: tuple[str, ...]
    deps: tuple[LockedPath, ...] = ()
    params: dict[str, dict[str, Any]] = field(default_factory=dict)  # file → key → value
    outs: tuple[LockedPath, ...] = ()
    code: tuple[LockedPath, ...] = ()  # implicit deps: the scripts and modules cmd runs
    env: dict[str, str] | None = None  # None: locked before environments were recorded

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"cmd": self.cmd[0] if len(self.cmd) == 1 else list(self.cmd)}
        if self.deps:
            doc["deps"] = [d.to_doc() for d in sorted(self.deps, key=lambda d: d.path)]
        if self.params:
            doc["params"] = {f: dict(sorted(v.items())) for f, v in sorted(self.params.items())}
        if self.outs:
            doc["outs"] = [o.to_doc() for o in sorted(self.outs, key=lambda o: o.path)]
        if self.code:  # path → id, one line each: every status parses the lock
            doc["code"] = {str(c.path): str(c.id) for c in sorted(self.code, key=lambda c: c.path)}
        if self.env is not None:  # one line per stage: the lock is parsed by every status
            doc["env"] = ", ".join(f"{k} {v}" for k, v in sorted(self.env.items()))
        return doc


def _doc(stages: dict[str, StageLock]) -> dict[str, Any]:
    return {
        "schema": SCHEMA,
        "stages": {name: stages[name].to_doc() for name in sorted(stages)},
    }


def render(stages: dict[str, StageLock], doc: dict[str, Any] | None = None) -> str:
    if doc is None:
        doc = _doc(stages)
    import yaml

    dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    # A wide line width: a long command stays on one line, as it was written.
    return yaml.dump(doc, Dumper=dumper, sort_keys=False, allow_unicode=True, width=1 << 16)


def write_lock(root: Path, stages: dict[str, StageLock]) -> None:
    doc = _doc(stages)
    text = render(stages, doc)
    atomic_write_text(root / LOCK_FILE, text)
    # The next command reads back what was just written: let it skip the YAML parser.
    memo = memo_entry(root, "lock", text.encode(), LOCK_FILE)
    memo.keep(doc)
    memo.save()


def read_lock(root: Path) -> dict[str, StageLock]:
    path = root / LOCK_FILE
    try:
        text = path.read_bytes()
    except FileNotFoundError:
        return {}
    memo = memo_entry(root, "lock", text, LOCK_FILE)
    doc = memo.load()
    if doc is None:
        doc = _load_yaml(text, LOCK_FILE)
        memo.keep(doc)
    stages = _stages(doc, LOCK_FILE)
    memo.save()
    return stages


def parse_lock(text: bytes, where: str) -> dict[str, StageLock]:
    return _stages(_load_yaml(text, where), where)


def _load_yaml(text: bytes, where: str) -> Any:
    from solvent.yaml_guard import LOCK_MAX_BYTES, load_pyyaml

    def error(e: Exception) -> MalformedFileError:
        return MalformedFileError(
            f"{where}: not valid YAML ({e})",
            "restore it with 'git checkout -- solvent.lock', or delete it to rerun every stage",
        )

    return load_pyyaml(text, where, error, LOCK_MAX_BYTES)


def _stages(doc: Any, where: str) -> dict[str, StageLock]:
    if doc is None:
        return {}
    try:
        if doc.get("schema") != SCHEMA:
            raise ValueError(f"unknown schema {doc.get('schema')!r}")
        return {str(name): _stage(body, where) for name, body in doc["stages"].items()}
    except (AttributeError, KeyError, TypeError, ValueError) as e:
        raise MalformedFileError(
            f"{where}: malformed lock file ({e})",
            "restore it with 'git checkout -- solvent.lock', or delete it to rerun every stage",
        ) from None


def _paths(items: Any, where: str) -> tuple[LockedPath, ...]:
    return tuple(
        LockedPath(
            check_relative(str(item["path"]), where),
            ObjectId.parse(str(item["id"])),
            _count(item["size"]),
            _count(item["files"]) if "files" in item else None,
            item.get("executable") is True,
        )
        for item in items or ()
    )


def _count(value: Any) -> int:
    """A size or a file count: a whole number from 0 to 2**63 - 1 (``.inf``, ``-1`` or 5,000
    digits are not one)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 63:
        raise ValueError(f"size {value!r} is not a whole number from 0 to 2**63 - 1")
    return value


def _stage(body: dict[str, Any], where: str) -> StageLock:
    cmd = body["cmd"]
    params = body.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(v, dict) for v in params.values()):
        raise ValueError("params must map files to {key: value}")
    return StageLock(
        tuple(cmd) if isinstance(cmd, list) else (str(cmd),),
        _paths(body.get("deps"), where),
        {str(f): dict(v) for f, v in params.items()},
        _paths(body.get("outs"), where),
        _code(body.get("code"), where),
        _env(body.get("env")),
    )


def _code(doc: Any, where: str) -> tuple[LockedPath, ...]:
    if doc is None:
        return ()
    if not isinstance(doc, dict):
        raise ValueError("code must map paths to ids")
    return tuple(
        LockedPath(check_relative(str(p), where), ObjectId.parse(str(i)), 0) for p, i in doc.items()
    )


def _env(doc: Any) -> dict[str, str] | None:
    """``packages installed:9e17…, platform linux-x86_64, python 3.11.7`` → a dict."""
    if doc is None:
        return None
    if not isinstance(doc, str):
        raise ValueError("env must be a string of 'name value' pairs")
    pairs = [part.strip().partition(" ") for part in doc.split(",") if part.strip()]
    return {k: v for k, _, v in pairs}
