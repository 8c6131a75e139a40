"""Reading what the workspace holds for a stage: dep and out ids, param values."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from solvent.errors import MalformedFileError, UsageError
from solvent.pipeline.lock import LockedPath
from solvent.pipeline.model import ParamRef, Stage
from solvent.pipeline.plan import StageState
from solvent.repo import RepoLayout
from solvent.tracking.snapshot import snapshot

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def path_state(
    layout: RepoLayout, path: PurePosixPath, *, save: bool = False, jobs: int = 1
) -> LockedPath | None:
    """The id of a file or folder (None if missing); with ``save``, its objects are cached."""
    snap = snapshot(layout, path, save=save, jobs=jobs)
    if snap.entry is None:
        return None
    files = snap.entry.files if snap.entry.kind == "tree" else None
    return LockedPath(path, snap.entry.id, snap.entry.size, files)


class ParamReader:
    """Parses each params file once per command."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._docs: dict[PurePosixPath, dict[str, Any]] = {}

    def doc(self, file: PurePosixPath, stage: str) -> dict[str, Any]:
        if file not in self._docs:
            self._docs[file] = _load(self.root / file, file, stage)
        return self._docs[file]

    def values(self, stage: Stage) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for ref in stage.params:
            doc = self.doc(ref.file, stage.name)
            into = found.setdefault(str(ref.file), {})
            if ref.key is None:
                into.update(_flatten(doc))
            else:
                into[ref.key] = lookup(doc, ref, stage.name)
        return found


def lookup(doc: dict[str, Any], ref: ParamRef, stage: str) -> Any:
    node: Any = doc
    assert ref.key is not None
    for part in ref.key.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise UsageError(
                f"stage '{stage}': param '{ref.key}' is not in {ref.file}",
                f"add it to {ref.file}, or remove it from the stage's params",
            )
    return node


def _flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict) and value:
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _load(path: Path, rel: PurePosixPath, stage: str) -> dict[str, Any]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(
            f"stage '{stage}': params file {rel} does not exist",
            f"create {rel}, or remove the stage's params from it",
        ) from None
    try:
        if path.suffix == ".json":
            doc = json.loads(raw)
        elif path.suffix == ".toml":
            doc = tomllib.loads(raw.decode())
        else:
            doc = yaml.load(raw, Loader=_Loader)
    except (ValueError, yaml.YAMLError) as e:
        raise MalformedFileError(f"{rel}: cannot parse ({e})") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise MalformedFileError(f"{rel}: expected a mapping of params at the top level")
    return doc


def stage_state(layout: RepoLayout, stage: Stage, params: ParamReader, jobs: int = 1) -> StageState:
    return StageState(
        deps={d: path_state(layout, d, jobs=jobs) for d in stage.deps},
        outs={o.path: path_state(layout, o.path, jobs=jobs) for o in stage.outs},
        params=params.values(stage),
    )
