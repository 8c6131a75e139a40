"""Everything ``doctor`` looks at, loaded once: the pipeline, the lock, the ledger, the
experiments, git's view of the files, and the stages' Python code (parsed on demand).

Scanners read a ``Project`` and return findings; none of them writes anything.
"""

from __future__ import annotations

import ast
import subprocess
from collections.abc import Callable
from functools import cached_property
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, TypeVar

from solvent.pipeline.spec.model import Out, Pipeline, Stage

T = TypeVar("T")

if TYPE_CHECKING:
    from solvent.pipeline.planning.codedeps import CodeDeps
    from solvent.pipeline.planning.graph import Graph
    from solvent.pipeline.planning.lock import StageLock
    from solvent.repo import RepoLayout
    from solvent.runs.experiments import Experiment
    from solvent.runs.ledger import Ledger, RunRecord

# Outs that are models when a stage does not say ``type:`` (by extension, lower case)...
MODEL_SUFFIXES = frozenset(
    {".pt", ".pth", ".ckpt", ".keras", ".onnx", ".cbm", ".safetensors", ".model", ".lgb",
     ".xgb", ".ubj"}
)  # fmt: skip
# ...and these only when the name says so (``models/forest.pkl``), as features, scalers and
# tables are pickled and stored in HDF5 too; XGBoost and LightGBM save models as JSON and text.
MAYBE_MODEL_SUFFIXES = frozenset(
    {".pkl", ".pickle", ".joblib", ".h5", ".hdf5", ".bin", ".json", ".txt"}
)


class Project:
    def __init__(self, layout: RepoLayout, pipeline: Pipeline | None) -> None:
        self.layout = layout
        self.root = layout.root
        self.pipeline = pipeline
        self.stages: tuple[Stage, ...] = pipeline.stages if pipeline else ()
        self._sources: dict[PurePosixPath, str | None] = {}
        self._trees: dict[PurePosixPath, ast.Module | None] = {}
        self.committed_ids: dict[tuple[str, str], str | None] = {}  # (rev, path) → id

    # -- the pipeline ----------------------------------------------------------------------

    @cached_property
    def graph(self) -> Graph | None:
        from solvent.pipeline.planning.graph import build_graph

        return build_graph(self.pipeline) if self.pipeline else None

    @cached_property
    def lock(self) -> dict[str, StageLock]:
        from solvent.pipeline.planning.lock import read_lock

        return read_lock(self.root) if self.pipeline else {}

    @cached_property
    def spec_lines(self) -> list[str]:
        if self.pipeline is None:
            return []
        return self.text(self.pipeline.file).splitlines()

    def stage_file(self, stage: Stage) -> str:
        return str(stage.where.file)

    def line_in_stage(self, stage: Stage, needle: str) -> int | None:
        """The first line at or after the stage's own that mentions ``needle`` (an out, a
        dep), within that stage's block; the stage's line when none does."""
        start = stage.where.line
        if start is None or str(stage.where.file) != str(self.pipeline_file):
            return start
        lines = self.spec_lines
        indent = _indent(lines[start - 1]) if start - 1 < len(lines) else 0
        for n in range(start, len(lines)):
            text = lines[n]
            if text.strip() and _indent(text) <= indent and not text.lstrip().startswith("#"):
                break  # the next stage
            if needle in text:
                return n + 1
        return start

    @property
    def pipeline_file(self) -> PurePosixPath | None:
        return self.pipeline.file if self.pipeline else None

    def is_model(self, stage: Stage) -> bool:
        """``type: model`` says so; ``type: data`` says not; otherwise a model-like out."""
        if stage.type is not None:
            return stage.type == "model"
        return any(is_model_out(o) for o in stage.outs)

    @cached_property
    def model_stages(self) -> list[Stage]:
        return [s for s in self.stages if self.is_model(s)]

    def reach(self, name: str, *, downstream: bool = False) -> set[str]:
        """The stage and every stage before it (or after it)."""
        graph = self.graph
        return graph.reach({name}, downstream=downstream) if graph else {name}

    # -- runs and experiments --------------------------------------------------------------

    def _ledger(self, read: Callable[[Ledger], list[T]]) -> list[T]:
        """What ``read`` finds in the run ledger; nothing when there is none yet."""
        from solvent.runs.ledger import Ledger

        if not (self.layout.dot / "runs.db").exists():
            return []
        ledger = Ledger(self.layout.dot)
        try:
            return read(ledger)
        finally:
            ledger.close()

    @cached_property
    def runs(self) -> list[RunRecord]:
        return self._ledger(lambda ledger: ledger.runs())

    @cached_property
    def experiments(self) -> list[Experiment]:
        from solvent.runs.experiments import all_experiments

        return self._ledger(all_experiments)

    @cached_property
    def _runs_by_stage(self) -> dict[str, list[RunRecord]]:
        """This workspace's runs (not experiments'), by stage, oldest first."""
        found: dict[str, list[RunRecord]] = {}
        for r in self.runs:
            if not r.experiment:
                found.setdefault(r.stage, []).append(r)
        return found

    def runs_of(self, stage: str) -> list[RunRecord]:
        return self._runs_by_stage.get(stage, [])

    def last_run(self, stage: str) -> RunRecord | None:
        """The stage's latest run that ran its command (not a restore), in this workspace."""
        ran = [r for r in self.runs_of(stage) if r.status == "ran"]
        return ran[-1] if ran else None

    @cached_property
    def _deps(self) -> tuple[set[PurePosixPath], set[PurePosixPath]]:
        """Every dep of every stage, and every folder holding one."""
        deps = {d for s in self.stages for d in s.deps}
        return deps, {p for d in deps for p in d.parents}

    def is_read(self, path: PurePosixPath) -> bool:
        """Whether some stage reads ``path``: as a dep, a part of one, or inside a dep folder."""
        deps, holders = self._deps
        return path in deps or path in holders or any(p in deps for p in path.parents)

    # -- code ------------------------------------------------------------------------------

    def code_of(self, stage: Stage) -> tuple[PurePosixPath, ...]:
        """The project's Python files a stage runs: its scripts and what they import."""
        return self._code.code_of(stage)

    @cached_property
    def _code(self) -> CodeDeps:
        from solvent.pipeline.planning.codedeps import CodeDeps

        return CodeDeps(self.layout, still=True)

    def text(self, rel: PurePosixPath | str) -> str:
        rel = PurePosixPath(rel)
        if rel not in self._sources:
            try:
                self._sources[rel] = self.layout.abs(rel).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError, ValueError):
                self._sources[rel] = None
        return self._sources[rel] or ""

    def tree(self, rel: PurePosixPath) -> ast.Module | None:
        if rel not in self._trees:
            try:
                self._trees[rel] = ast.parse(self.text(rel), filename=str(rel))
            except (SyntaxError, ValueError):
                self._trees[rel] = None
        return self._trees[rel]

    # -- git -------------------------------------------------------------------------------

    @cached_property
    def git_files(self) -> set[str] | None:
        """The files git tracks; None without git."""
        if not self.layout.uses_git:
            return None
        proc = subprocess.run(
            ["git", "ls-files", "-z"], cwd=self.root, capture_output=True, check=False
        )
        if proc.returncode != 0:
            return None
        return {p for p in proc.stdout.decode(errors="replace").split("\0") if p}

    def close(self) -> None:
        if "_code" in self.__dict__:
            self._code.memo.close()


def is_model_out(out: Out) -> bool:
    suffix = PurePosixPath(out.path).suffix.lower()
    if out.kind != "out":
        return False
    if suffix in MODEL_SUFFIXES:
        return True
    return suffix in MAYBE_MODEL_SUFFIXES and "model" in str(out.path).lower()


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())
