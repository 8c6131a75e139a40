"""``doctor --reproduce``: rerun stages on their locked inputs and compare what they make.

Each selected stage reruns in a scratch copy of the project under ``.solvent/doctor/<id>/``
(the experiments' workspace: the git-visible files as they are now, the cache shared): the
main lock is put back and ``solvent checkout`` restores its inputs before each stage, so every
stage sees exactly the inputs its lock names, never a rerun upstream's. An out whose id
differs from the lock is nondeterministic. The user's workspace, lock, ledger and run-cache
are never written (the rerun's objects land in the shared cache, where gc finds them).

Verdicts are kept in ``.solvent/doctor/reproduce.json``, per stage, with the locked out ids
they were about: a later plain ``solvent doctor`` still reports a nondeterministic out, and
counts a reproduced model toward the ML Test Score, for as long as the lock names those outs.

By default the model stages rerun (training is what the ML Test Score asks to be
reproducible, and rerunning every stage costs as much as the whole pipeline); ``-s`` names
any others.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from solvent.doctor.findings import Finding
from solvent.doctor.project import Project
from solvent.errors import MalformedFileError, UsageError
from solvent.pipeline.planning.lock import LOCK_FILE, StageLock, read_lock
from solvent.pipeline.spec.model import Stage
from solvent.repo import RepoLayout, ensure_ignored

Verdict = Literal["reproducible", "differs", "inputs-changed", "failed"]
RECORD = "reproduce.json"
SCHEMA = 1

FIX = (
    "make the stage deterministic: seed every source of randomness (random.seed(N), "
    "np.random.default_rng(N), random_state=N, torch.manual_seed(N); PYTHONHASHSEED=0 for "
    "set and dict order), sort what is read in no fixed order (sets, os.listdir, glob), and "
    "drop timestamps, run ids and absolute paths from the output; then check again with "
    "'solvent doctor --reproduce -s {stage}'"
)


@dataclass(frozen=True, slots=True)
class OutCompare:
    locked: str
    rerun: str | None  # None: the rerun did not lock it

    @property
    def same(self) -> bool:
        return self.locked == self.rerun


@dataclass(frozen=True, slots=True)
class StageVerdict:
    """One stage rerun on its locked inputs: what came out, against the lock."""

    stage: str
    verdict: Verdict
    at: float  # when it reran (epoch seconds)
    seconds: float
    outs: dict[str, OutCompare] = field(default_factory=dict)
    note: str = ""  # why it could not be compared (inputs-changed, failed)

    @property
    def differing(self) -> dict[str, OutCompare]:
        return {p: c for p, c in self.outs.items() if not c.same}

    def to_doc(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> StageVerdict:
        outs = {str(p): OutCompare(str(c["locked"]), c.get("rerun")) for p, c in
                doc.get("outs", {}).items()}  # fmt: skip
        return cls(str(doc["stage"]), doc["verdict"], float(doc["at"]),
                   float(doc.get("seconds", 0.0)), outs, str(doc.get("note", "")))  # fmt: skip


# -- selection ---------------------------------------------------------------------------


def select(project: Project, names: list[str]) -> list[Stage]:
    """The stages to rerun, in pipeline order: ``names``, or every locked model stage."""
    if project.pipeline is None:
        raise UsageError(f"no solvent.yaml or dvc.yaml in {project.root}",
                         "declare stages before checking that they reproduce")  # fmt: skip
    known = {s.name: s for s in project.stages}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise UsageError(f"no stage {unknown[0]!r} in {project.pipeline.file}",
                         f"stages: {', '.join(known)}")  # fmt: skip
    if names:
        chosen = [s for s in project.stages if s.name in names]
    else:
        chosen = [s for s in project.model_stages if s.name in project.lock]
        if not chosen:
            raise UsageError(
                "no locked model stage to rerun",
                "name the stages: 'solvent doctor --reproduce -s STAGE' (or mark a stage "
                "'type: model' in solvent.yaml and run it once)",
            )
    never = [s.name for s in chosen if s.name not in project.lock]
    if never:
        raise UsageError(f"stage {never[0]!r} is not in {LOCK_FILE}: it never ran",
                         f"run it first: 'solvent repro {never[0]}'")  # fmt: skip
    return chosen


# -- rerunning ---------------------------------------------------------------------------


def reproduce(
    project: Project, stages: list[Stage], progress: Callable[[str], None] | None = None
) -> list[StageVerdict]:
    """Rerun ``stages`` one by one on their locked inputs in a scratch workspace; record the
    verdicts in ``.solvent/doctor/reproduce.json`` and return them."""
    from solvent.runs.experiments import make_workspace

    root, layout = project.root, project.layout
    if not layout.uses_git:
        raise UsageError(f"{root} is not a git repo: the rerun copies the files git sees",
                         "run 'git init' and commit the project")  # fmt: skip
    main_lock = (root / LOCK_FILE).read_text()
    doctor_dir = layout.dot / "doctor"
    doctor_dir.mkdir(parents=True, exist_ok=True)
    ensure_ignored(layout.dot, "/doctor/")
    ws = doctor_dir / uuid.uuid4().hex[:10]
    log = doctor_dir / "reproduce.log"
    log.write_text("")
    verdicts: list[StageVerdict] = []
    try:
        make_workspace(root, ws)
        _own_runcache(ws)
        for stage in stages:
            if progress is not None:
                progress(stage.name)
            verdicts.append(_rerun(ws, main_lock, stage, project.lock[stage.name], log))
    finally:
        shutil.rmtree(ws, ignore_errors=True)
    save(layout, verdicts)
    return verdicts


def _own_runcache(ws: Path) -> None:
    """The rerun must not add entries to the repo's run-cache (nor restore from it)."""
    link = ws / ".solvent" / "runcache"
    if link.is_symlink():
        link.unlink()
    link.mkdir(exist_ok=True)


def _rerun(ws: Path, main_lock: str, stage: Stage, locked: StageLock, log: Path) -> StageVerdict:
    start = time.time()
    (ws / LOCK_FILE).write_text(main_lock)  # the previous stage's rerun changed it
    checkout = _solvent(ws, log, "checkout", "--force")
    proc = _solvent(ws, log, "repro", "--force", "--no-run-cache", "--single-item", "-j", "1",
                    stage.name)  # fmt: skip
    seconds = time.time() - start
    if proc.returncode != 0:
        tail = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines() if ln.strip()]
        if checkout.returncode != 0:
            tail = [*(checkout.stderr.strip().splitlines()[:1]), *tail]
        note = tail[0] if tail else f"repro exited {proc.returncode}"
        note += f" (log: {log})"
        return StageVerdict(stage.name, "failed", start, seconds, note=note)
    rerun = read_lock(ws).get(stage.name)
    if rerun is None:
        return StageVerdict(stage.name, "failed", start, seconds, note="the rerun locked nothing")
    changed = _changed_inputs(locked, rerun)
    outs = {str(o.path): OutCompare(str(o.id), None) for o in locked.outs}
    for o in rerun.outs:
        if str(o.path) in outs:
            outs[str(o.path)] = OutCompare(outs[str(o.path)].locked, str(o.id))
    if changed:
        note = (f"its inputs differ from the lock ({', '.join(changed)}): run "
                f"'solvent repro {stage.name}' first, then check again")  # fmt: skip
        return StageVerdict(stage.name, "inputs-changed", start, seconds, outs, note)
    verdict: Verdict = "reproducible" if all(c.same for c in outs.values()) else "differs"
    return StageVerdict(stage.name, verdict, start, seconds, outs)


def _changed_inputs(locked: StageLock, rerun: StageLock) -> list[str]:
    """What the rerun ran with that the lock does not name: the workspace's code or params
    were edited since the stage last ran, so the comparison says nothing."""
    changed = []
    if locked.cmd != rerun.cmd:
        changed.append("cmd")
    for kind, a, b in (("dep", locked.deps, rerun.deps), ("code", locked.code, rerun.code)):
        ids = {str(p.path): str(p.id) for p in a}
        for p in b:
            if ids.get(str(p.path), str(p.id)) != str(p.id):
                changed.append(f"{kind} {p.path}")
    if locked.params != rerun.params:
        changed.append("params")
    return changed


def _solvent(cwd: Path, log: Path, *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "solvent", *args], cwd=cwd, text=True,
                          capture_output=True, check=False)  # fmt: skip
    with log.open("a") as f:
        f.write(f"$ solvent {' '.join(args)}\n{proc.stdout}{proc.stderr}")
    return proc


# -- the record --------------------------------------------------------------------------


def record_path(layout: RepoLayout) -> Path:
    return layout.dot / "doctor" / RECORD


def load(layout: RepoLayout) -> dict[str, StageVerdict]:
    """The latest verdict of each stage ever rerun; {} when none was."""
    path = record_path(layout)
    try:
        doc = json.loads(path.read_text())
        return {name: StageVerdict.from_doc(v) for name, v in doc["stages"].items()}
    except FileNotFoundError:
        return {}
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        raise MalformedFileError(
            f"{path}: not a reproduce record ({e})",
            "delete it and run 'solvent doctor --reproduce' again",
        ) from None


def save(layout: RepoLayout, verdicts: list[StageVerdict]) -> None:
    """Merge ``verdicts`` into the record: a stage's new verdict replaces its old one."""
    from solvent.storage.fsutil import atomic_write_text

    kept = load(layout)
    kept.update({v.stage: v for v in verdicts})
    doc = {"schema": SCHEMA, "updated": time.time(),
           "stages": {name: kept[name].to_doc() for name in sorted(kept)}}  # fmt: skip
    path = record_path(layout)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(doc, indent=2, sort_keys=True) + "\n")


def current(project: Project) -> dict[str, StageVerdict]:
    """Stored verdicts still about the locked outs: a stage that ran again since (new out
    ids in the lock) or is gone is left out."""
    found = {}
    for name, v in load(project.layout).items():
        locked = project.lock.get(name)
        if locked is None or not v.outs or name not in {s.name for s in project.stages}:
            continue
        ids = {str(o.path): str(o.id) for o in locked.outs}
        if all(ids.get(p) == c.locked for p, c in v.outs.items()):
            found[name] = v
    return found


def scan(project: Project) -> list[Finding]:
    """A nondeterministic-out finding for each out a stored verdict found different."""
    stages = {s.name: s for s in project.stages}
    found: list[Finding] = []
    for name, v in sorted(current(project).items()):
        stage = stages[name]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(v.at))
        if v.verdict != "differs":
            continue
        for path, compared in sorted(v.differing.items()):
            found.append(
                Finding(
                    "reproducibility", "nondeterministic-out", "error",
                    f"rerun on its locked inputs ({when}), stage '{name}' wrote a different "
                    f"{path}: the locked one cannot be reproduced",
                    FIX.format(stage=name), file=project.stage_file(stage),
                    line=stage.where.line, stage=name,
                    ids={path: f"{compared.locked} → {compared.rerun or 'not made'}"},
                )
            )  # fmt: skip
    return found
