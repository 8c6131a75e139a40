"""The pipeline as small immutable values: what a spec resolves to, before anything runs.

Every path here is repo-relative and normalised (``paths.check_relative``); a stage's ``wdir``
has already been applied, so ``deps`` and ``outs`` name files from the repo root.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

OutKind = Literal["out", "metric", "plot"]
CheckKind = Literal["schema", "drift", "rows", "no_duplicates", "disjoint"]
EnvPolicy = Literal["strict", "warn", "ignore"]  # what a changed environment does to a stage
StageType = Literal["model", "data"]  # None: doctor infers it from the outs


@dataclass(frozen=True, slots=True)
class Location:
    """Where a thing was written, for error messages: ``solvent.yaml:12``."""

    file: PurePosixPath
    line: int | None = None

    def __str__(self) -> str:
        return f"{self.file}:{self.line}" if self.line is not None else str(self.file)


@dataclass(frozen=True, slots=True)
class Out:
    path: PurePosixPath
    kind: OutKind = "out"
    cache: bool = True
    persist: bool = False


@dataclass(frozen=True, slots=True)
class ParamRef:
    """One parameter a stage reads: a dotted ``key`` in a YAML/JSON/TOML ``file``.

    ``key`` None means every key of the file (DVC's ``- params.yaml:`` form)."""

    file: PurePosixPath
    key: str | None


@dataclass(frozen=True, slots=True)
class Check:
    """A data check that gates a stage (``checks:`` in solvent.yaml; see spec_checks)."""

    kind: CheckKind
    paths: tuple[PurePosixPath, ...]
    limit: float | None = None  # drift: the share of drifted columns allowed
    min_rows: int | None = None
    max_rows: int | None = None
    key: tuple[str, ...] = ()  # disjoint: columns that identify a row (default: all)


@dataclass(frozen=True, slots=True)
class Resources:
    """What one run of a stage needs of a worker (``resources:``); None means not asked."""

    cpus: int | None = None
    memory: int | None = None  # bytes
    gpus: int | None = None

    def as_dict(self) -> dict[str, float]:
        """The Dask worker resources to ask for: only those named."""
        asked = {"cpus": self.cpus, "memory": self.memory, "gpus": self.gpus}
        return {k: float(v) for k, v in asked.items() if v}


@dataclass(frozen=True, slots=True)
class Stage:
    name: str  # as DVC names it: "train", "train@lr-0.1", "train@0"
    cmd: tuple[str, ...]  # resolved commands, run one after another with the shell
    wdir: PurePosixPath  # where the commands run, repo-relative ("." for the root)
    deps: tuple[PurePosixPath, ...] = ()
    outs: tuple[Out, ...] = ()
    params: tuple[ParamRef, ...] = ()
    frozen: bool = False
    always_changed: bool = False
    desc: str | None = None
    checks: tuple[Check, ...] = ()
    env: EnvPolicy = "warn"
    resources: Resources | None = None
    type: StageType | None = None
    where: Location = field(default=Location(PurePosixPath("solvent.yaml")), compare=False)


@dataclass(frozen=True, slots=True)
class TopPlot:
    """One entry of the spec's top-level ``plots:`` (DVC's plot definitions).

    ``name`` is the id as written. When ``y`` maps files to fields, the id is only a name and
    ``files`` are the files ``x`` and ``y`` name; otherwise the id is the path of the data (a
    file or a folder of them). ``props`` is the definition as resolved (template, x, y,
    titles), with the files in ``x``/``y`` as written."""

    name: str
    files: tuple[PurePosixPath, ...]
    props: dict[str, Any] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class Pipeline:
    """Stages in the order the file declares them, and the spec's top-level ``metrics:``,
    ``params:`` and ``plots:`` (files no stage declares that DVC still shows and compares:
    dvclive writes its metrics.json and params.yaml there)."""

    file: PurePosixPath
    stages: tuple[Stage, ...]
    metrics: tuple[PurePosixPath, ...] = ()
    params: tuple[PurePosixPath, ...] = ()
    plots: tuple[TopPlot, ...] = ()

    def top_level_paths(self) -> tuple[PurePosixPath, ...]:
        """Every path the top-level sections name, in the order written, once each."""
        plots = (f for p in self.plots for f in p.files)
        return tuple(dict.fromkeys((*self.metrics, *self.params, *plots)))

    def stage(self, name: str) -> Stage:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(name)
