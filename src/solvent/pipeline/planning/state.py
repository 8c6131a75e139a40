"""Reading what the workspace holds for a stage: dep and out ids, param values."""

from __future__ import annotations

from pathlib import Path, PurePosixPath
from typing import Any

from solvent.errors import UsageError
from solvent.pipeline.planning.codedeps import CodeDeps
from solvent.pipeline.planning.lock import LockedPath
from solvent.pipeline.planning.plan import StageState, flatten
from solvent.pipeline.spec.files import load_data_file
from solvent.pipeline.spec.interpolate import ResolveError
from solvent.pipeline.spec.model import ParamRef, Stage
from solvent.repo import RepoLayout
from solvent.tracking.snapshot import snapshot


def path_state(
    layout: RepoLayout,
    path: PurePosixPath,
    *,
    save: bool = False,
    jobs: int = 1,
    links_out: bool = False,
) -> LockedPath | None:
    """The id of a file or folder (None if missing); with ``save``, its objects are cached.
    ``links_out``: a dep, which may be a link to data outside the repo (never an out)."""
    snap = snapshot(layout, path, save=save, jobs=jobs, links_out=links_out)
    if snap.entry is None:
        return None
    if snap.entry.kind == "tree":
        return LockedPath(path, snap.entry.id, snap.entry.size, snap.entry.files)
    return LockedPath(path, snap.entry.id, snap.entry.size, None, snap.entry.executable)


class ParamReader:
    """Parses each params file once per command."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._docs: dict[PurePosixPath, dict[str, Any]] = {}

    def doc(self, file: PurePosixPath, stage: str) -> dict[str, Any]:
        if file not in self._docs:
            self._docs[file] = _load(self.root, file, stage)
        return self._docs[file]

    def values(self, stage: Stage) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for ref in stage.params:
            doc = self.doc(ref.file, stage.name)
            into = found.setdefault(str(ref.file), {})
            if ref.key is None:
                into.update(flatten(doc))
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


def _load(root: Path, rel: PurePosixPath, stage: str) -> dict[str, Any]:
    """Read as the spec reads vars (YAML 1.2, JSON, TOML), so ``1e-5`` is one value in both."""
    try:
        return load_data_file(root, rel)
    except ResolveError as e:
        raise UsageError(f"stage '{stage}': params file {e.message}", e.hint) from None


def stage_state(
    layout: RepoLayout, stage: Stage, params: ParamReader, jobs: int = 1,
    code: CodeDeps | None = None,
) -> StageState:  # fmt: skip
    """``code`` finds implicit code deps (pass one per command: it memoises what it parsed)."""
    from solvent.runs.envprint import fingerprint

    code = code or CodeDeps(layout)
    code_deps = code.for_stage(stage)
    return StageState(
        deps={d: path_state(layout, d, jobs=jobs, links_out=True) for d in stage.deps},
        outs={o.path: path_state(layout, o.path, jobs=jobs) for o in stage.outs},
        params=params.values(stage),
        code={c: code.state(c) for c in code_deps},
        env=None if stage.env == "ignore" else fingerprint(layout.root),
    )
