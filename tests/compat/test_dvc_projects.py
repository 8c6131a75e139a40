"""DVC projects as their users write them, run by DVC and by Solvent side by side.

Each folder in ``projects/`` is a small pipeline in the shape of a public DVC project: dvclive
evaluation with top-level ``metrics:``/``plots:``/``params:``, the ``export PYTHONPATH=src/pkg:
$PYTHONPATH`` idiom, nested params read through ``--config=params.yaml``, and ``from src.x
import …`` under ``PYTHONPATH=$PWD``. One git repo is made of it (``git init``, ``dvc init``,
one commit) and copied: DVC runs one copy, Solvent another, and they must agree on what ran,
what was written (byte for byte, ``.gitignore`` files included), what a second run does
(nothing), what a param edit makes stale and reruns. A third copy, taken right after DVC's
first run, must be adopted by Solvent from ``dvc.lock`` without running anything.

Stages run with ``python3`` from DVC's venv (dvclive needs DVC) under both tools. Skipped
where DVC is not installed: set ``SOLVENT_DVC_PYTHON`` to a Python that has DVC, or create
``bench/.venv-dvc`` (``make compat``, ``.ci/run``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
PROJECTS_DIR = HERE / "projects"
PROJECTS = sorted(p.name for p in PROJECTS_DIR.iterdir() if (p / "dvc.yaml").is_file())
# Files only one of the two tools writes: its metadata, its lock, Python's byte code.
TOOL_FILES = re.compile(r"^(\.git|\.dvc|\.solvent)/|^(dvc|solvent)\.lock$|(^|/)__pycache__/")
# Outcomes of ``solvent repro --json`` where a stage ran, tried to, or was kept from it.
ACTED = {"ran", "failed", "restored from run-cache", "skipped", "not run"}


@dataclass(frozen=True)
class Edit:
    """One param edit: a line of params.yaml replaced, and what DVC then says and does."""

    old: str
    new: str
    stale: frozenset[str]
    reruns: frozenset[str]


EDITS = {
    "config_params": Edit(
        "      alpha: 0.9", "      alpha: 0.5", frozenset({"train_and_evaluate"}),
        frozenset({"train_and_evaluate"}),
    ),
    "dvclive_eval": Edit(
        "  lr: 0.5", "  lr: 0.25", frozenset({"train"}), frozenset({"train", "evaluate"})
    ),
    "export_pythonpath": Edit(
        "  top: 5", "  top: 3", frozenset({"train"}), frozenset({"train", "report"})
    ),
    "src_imports": Edit(
        "  log_km: true", "  log_km: false", frozenset({"build_features"}),
        frozenset({"build_features", "train"}),
    ),
}  # fmt: skip


def dvc_python() -> Path | None:
    configured = os.environ.get("SOLVENT_DVC_PYTHON")
    if configured:
        return Path(configured)
    candidate = REPO_ROOT / "bench" / ".venv-dvc" / "bin" / "python"
    return candidate if candidate.exists() else None


DVC_PYTHON = dvc_python()
pytestmark = pytest.mark.skipif(
    DVC_PYTHON is None, reason="no DVC: set SOLVENT_DVC_PYTHON or create bench/.venv-dvc"
)


def has_module(python: Path, module: str) -> bool:
    found = subprocess.run(
        [str(python), "-c", f"import {module}"], capture_output=True, check=False, timeout=120
    )
    return found.returncode == 0


@dataclass
class Half:
    """What one tool did to its copy of a project."""

    root: Path
    log: list[str] = field(default_factory=list)
    ran: list[dict[str, str]] = field(default_factory=list)  # per repro: stage -> outcome
    files: list[dict[str, bytes]] = field(default_factory=list)  # after each repro
    refs: list[str] = field(default_factory=list)
    stale_after_edit: set[str] = field(default_factory=set)

    def record(self, proc: subprocess.CompletedProcess[str]) -> None:
        cmd = " ".join(Path(a).name if "/" in a else a for a in proc.args)
        self.log.append(f"$ {cmd}  (exit {proc.returncode})\n{proc.stdout}{proc.stderr}")

    def story(self) -> str:
        return "\n".join(self.log)


@dataclass
class Adoption:
    """Solvent on a copy of the DVC-run project, dvc.lock and outs included."""

    root: Path
    log: list[str] = field(default_factory=list)
    stale_before: set[str] = field(default_factory=set)
    outcomes: dict[str, str] = field(default_factory=dict)
    before: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    after: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    lock: str | None = None


@dataclass
class Scenario:
    name: str
    edit: Edit
    stages: list[str]
    dvc: Half
    solvent: Half
    adoption: Adoption


def tool_env(tmp: Path) -> dict[str, str]:
    """The same environment for both tools: DVC's venv first on PATH (its ``python3`` runs the
    stages), no PYTHONPATH (the idioms under test rely on it being unset), DVC's config, site
    cache and analytics kept out of the user's home."""
    assert DVC_PYTHON is not None
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env = {k: v for k, v in env.items() if not k.startswith("DVC_")}
    env["PATH"] = f"{DVC_PYTHON.parent}{os.pathsep}{env.get('PATH', '')}"
    env["DVC_NO_ANALYTICS"] = "1"
    for var, folder in (
        ("DVC_GLOBAL_CONFIG_DIR", "dvc-global"),
        ("DVC_SYSTEM_CONFIG_DIR", "dvc-system"),
        ("DVC_SITE_CACHE_DIR", "dvc-site"),
    ):
        env[var] = str(tmp / folder)
    return env


def run(cwd: Path, args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def dvc(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    assert DVC_PYTHON is not None
    return run(cwd, [str(DVC_PYTHON), "-m", "dvc", *args], env)


def solvent(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return run(cwd, [sys.executable, "-m", "solvent", *args], env)


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"git {' '.join(args)} failed: {proc.stderr}"
    return proc.stdout


def workspace(root: Path) -> dict[str, bytes]:
    """Every file either tool's stages or bookkeeping may leave, minus each tool's own files."""
    found: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not TOOL_FILES.search(rel):
            found[rel] = path.read_bytes()
    return found


def stamped(root: Path) -> dict[str, tuple[bytes, int]]:
    """``workspace`` with each file's mtime: a stage that ran rewrote its outs."""
    return {rel: (data, (root / rel).stat().st_mtime_ns) for rel, data in workspace(root).items()}


def differences(ours: dict[str, bytes], theirs: dict[str, bytes]) -> str:
    lines = [f"only under Solvent: {p}" for p in sorted(ours.keys() - theirs.keys())]
    lines += [f"only under DVC: {p}" for p in sorted(theirs.keys() - ours.keys())]
    for p in sorted(ours.keys() & theirs.keys()):
        if ours[p] != theirs[p]:
            lines.append(
                f"differs: {p}\n  Solvent: {ours[p][:300]!r}\n  DVC:     {theirs[p][:300]!r}"
            )
    return "\n".join(lines)


def make_base(name: str, root: Path, env: dict[str, str]) -> Path:
    """The project as a DVC user's repo: git, ``dvc init``, everything committed."""
    base = root / "base"
    shutil.copytree(PROJECTS_DIR / name, base, ignore=shutil.ignore_patterns("__pycache__"))
    git(base, "init", "-q", "-b", "main")
    init = dvc(base, env, "init", "-q")
    assert init.returncode == 0, init.stderr
    with (base / ".dvc" / "config").open("a") as f:
        f.write("[core]\n    analytics = false\n    check_update = false\n")
    git(base, "add", "-A")
    git(base, "commit", "-q", "-m", f"{name}: a DVC project")
    return base


def edit_params(root: Path, edit: Edit) -> None:
    params = root / "params.yaml"
    text = params.read_text()
    assert text.count(edit.old + "\n") == 1, f"{edit.old!r} is not one line of {params}"
    params.write_text(text.replace(edit.old + "\n", edit.new + "\n"))


def dvc_ran(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    return {s: "ran" for s in re.findall(r"^Running stage '([^']+)':", proc.stdout, re.M)}


def solvent_report(proc: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Stage name -> outcome from ``repro --json``; empty when it printed no report."""
    try:
        report: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {}
    return {s["stage"]: s["outcome"] for s in report.get("stages", [])}


def solvent_stale(proc: subprocess.CompletedProcess[str]) -> set[str]:
    """Stages stale for a reason of their own (DVC's status leaves out those stale only
    because an upstream stage is)."""
    try:
        status: dict[str, Any] = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return {f"<no JSON from solvent status: {proc.stdout[-300:]}{proc.stderr[-300:]}>"}
    return {
        s["stage"]["name"]
        for s in status.get("stages", [])
        if any(r.get("why") != "upstream stale" for r in s.get("reasons", []))
    }


def run_dvc(half: Half, edit: Edit, env: dict[str, str], adopt: Path) -> None:
    """DVC's half; it is the reference, so every step must succeed."""
    for step in range(3):
        if step == 2:
            edit_params(half.root, edit)
            status = dvc(half.root, env, "status", "--json")
            half.record(status)
            assert status.returncode == 0, half.story()
            half.stale_after_edit = set(json.loads(status.stdout))
        proc = dvc(half.root, env, "repro")
        half.record(proc)
        assert proc.returncode == 0, half.story()
        half.ran.append(dvc_ran(proc))
        half.files.append(workspace(half.root))
        if step == 0:
            half.refs = git(half.root, "for-each-ref", "--format=%(refname)").split()
            shutil.copytree(half.root, adopt, symlinks=True)


def run_solvent(half: Half, edit: Edit, env: dict[str, str]) -> None:
    """Solvent's half: recorded, not asserted (the tests compare it with DVC's)."""
    half.record(solvent(half.root, env, "init"))
    for step in range(3):
        if step == 2:
            edit_params(half.root, edit)
            status = solvent(half.root, env, "status", "--json")
            half.record(status)
            half.stale_after_edit = solvent_stale(status)
        proc = solvent(half.root, env, "repro", "--json")
        half.record(proc)
        outcomes = solvent_report(proc) or {"<no report>": proc.stderr[-500:]}
        half.ran.append({s: o for s, o in outcomes.items() if o in ACTED or s == "<no report>"})
        half.files.append(workspace(half.root))
        if step == 0:
            half.refs = git(half.root, "for-each-ref", "--format=%(refname)").split()


def run_adoption(adoption: Adoption, env: dict[str, str]) -> None:
    root = adoption.root
    adoption.before = stamped(root)
    for args in (["init"], ["status", "--json"], ["repro", "--json"]):
        proc = solvent(root, env, *args)
        adoption.log.append(f"$ solvent {' '.join(args)}  (exit {proc.returncode})\n"
                            f"{proc.stdout}{proc.stderr}")  # fmt: skip
        if args[0] == "status":
            adoption.stale_before = solvent_stale(proc)
        elif args[0] == "repro":
            adoption.outcomes = solvent_report(proc) or {"<no report>": proc.stderr[-500:]}
    adoption.after = stamped(root)
    lock = root / "solvent.lock"
    adoption.lock = lock.read_text() if lock.exists() else None


@pytest.fixture(scope="module", params=PROJECTS)
def scenario(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    name: str = request.param
    assert DVC_PYTHON is not None
    if name == "dvclive_eval" and not has_module(DVC_PYTHON, "dvclive"):
        pytest.skip(f"dvclive is not installed beside DVC: {DVC_PYTHON} -m pip install dvclive")
    root = tmp_path_factory.mktemp(name)
    env = tool_env(root)
    base = make_base(name, root, env)
    stages = sorted(re.findall(r"^  (\w+):$", (base / "dvc.yaml").read_text(), re.MULTILINE))
    edit = EDITS[name]
    ours, theirs = Half(root / "solvent"), Half(root / "dvc")
    shutil.copytree(base, ours.root, symlinks=True)
    shutil.copytree(base, theirs.root, symlinks=True)
    adoption = Adoption(root / "adopt")

    run_dvc(theirs, edit, env, adoption.root)
    # What the comparisons rest on: DVC itself behaves as the project's author meant.
    assert theirs.ran == [dict.fromkeys(stages, "ran"), {}, dict.fromkeys(edit.reruns, "ran")], (
        theirs.story()
    )
    assert theirs.stale_after_edit == edit.stale, theirs.story()
    run_solvent(ours, edit, env)
    run_adoption(adoption, env)
    return Scenario(name, edit, stages, theirs, ours, adoption)


def test_every_project_has_an_edit() -> None:
    assert sorted(EDITS) == PROJECTS
    assert len(PROJECTS) >= 4


def test_first_run_runs_the_same_stages(scenario: Scenario) -> None:
    assert scenario.solvent.ran[0] == scenario.dvc.ran[0], scenario.solvent.story()


def test_first_run_writes_the_same_files(scenario: Scenario) -> None:
    ours, theirs = scenario.solvent.files[0], scenario.dvc.files[0]
    assert ours == theirs, differences(ours, theirs) + "\n\n" + scenario.solvent.story()


def test_first_run_makes_the_same_git_refs(scenario: Scenario) -> None:
    """dvclive outside a pipeline saves an experiment (refs/exps/…); inside one it must not."""
    assert scenario.solvent.refs == scenario.dvc.refs, scenario.solvent.story()


def test_second_run_runs_nothing(scenario: Scenario) -> None:
    assert scenario.solvent.ran[1] == {}, scenario.solvent.story()


def test_param_edit_makes_the_same_stages_stale(scenario: Scenario) -> None:
    assert scenario.solvent.stale_after_edit == scenario.dvc.stale_after_edit, (
        scenario.solvent.story()
    )


def test_param_edit_reruns_the_same_stages_and_writes_the_same_files(
    scenario: Scenario,
) -> None:
    assert scenario.solvent.ran[2] == scenario.dvc.ran[2], scenario.solvent.story()
    ours, theirs = scenario.solvent.files[2], scenario.dvc.files[2]
    assert ours == theirs, differences(ours, theirs) + "\n\n" + scenario.solvent.story()


def test_dvc_lock_is_adopted_without_a_run(scenario: Scenario) -> None:
    """A copy of the project right after ``dvc repro``: nothing stale, nothing runs, every
    file keeps its bytes and mtime, and ``solvent.lock`` names every stage."""
    adoption = scenario.adoption
    story = "\n".join(adoption.log)
    assert adoption.stale_before == set(), story
    assert sorted(adoption.outcomes) == scenario.stages, story
    ran = {s: o for s, o in adoption.outcomes.items() if o in ACTED or s == "<no report>"}
    assert ran == {}, story
    changed = sorted(p for p in adoption.before.keys() | adoption.after.keys()
                     if adoption.before.get(p) != adoption.after.get(p))  # fmt: skip
    assert changed == [], story
    assert adoption.lock is not None, story
    assert sorted(yaml.safe_load(adoption.lock)["stages"]) == scenario.stages, adoption.lock
