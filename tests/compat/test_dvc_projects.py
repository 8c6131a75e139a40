"""DVC projects as their users write them, run by DVC and by Solvent side by side.

Each folder in ``projects/`` is a small pipeline in the shape of a public DVC project: dvclive
evaluation with top-level ``metrics:``/``plots:``/``params:``, the ``export PYTHONPATH=src/pkg:
$PYTHONPATH`` idiom, nested params read through ``--config=params.yaml``, and ``from src.x
import …`` under ``PYTHONPATH=$PWD``. One git repo is made of it and copied: DVC runs one copy,
Solvent another, and they must agree on what ran, what was written (byte for byte,
``.gitignore`` files included), what a second run does (nothing), what a param edit makes
stale and reruns. A third copy, taken right after DVC's first run (``dvc.lock`` and outs
included), must be adopted by Solvent without running anything.

Skipped where DVC is not installed: set ``SOLVENT_DVC_PYTHON`` to a Python that has DVC (and
dvclive), or run ``make dvc-venv`` (CI's ``.ci/run`` does).
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from tests.compat.harness import (
    ACTED,
    Tool,
    differences,
    dvc,
    dvc_python,
    dvc_ran,
    edit_line,
    git,
    has_module,
    make_repo,
    metrics,
    solvent,
    solvent_acted,
    solvent_outcomes,
    solvent_stale,
    stamped,
    tool_env,
    workspace,
)

PROJECTS_DIR = Path(__file__).resolve().parent / "projects"
PROJECTS = sorted(p.name for p in PROJECTS_DIR.iterdir() if (p / "dvc.yaml").is_file())
DVC_PYTHON = dvc_python()
pytestmark = pytest.mark.skipif(
    DVC_PYTHON is None,
    reason="no DVC: `make dvc-venv` installs it into bench/.venv-dvc (or set SOLVENT_DVC_PYTHON)",
)


@dataclass(frozen=True)
class Edit:
    """A line of params.yaml replaced, and what DVC then says is stale and reruns."""

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


@dataclass
class Half:
    """What one tool did to its copy: per repro, the stages that ran (stage -> outcome) and
    the files left; the git refs and metrics after the first run; the stale stages after
    the edit."""

    tool: Tool
    ran: list[dict[str, str]] = field(default_factory=list)
    files: list[dict[str, bytes]] = field(default_factory=list)
    refs: list[str] = field(default_factory=list)
    metrics: object = None
    stale_after_edit: set[str] = field(default_factory=set)

    @property
    def story(self) -> str:
        return self.tool.story()


@dataclass
class Adoption:
    """Solvent on a copy of the project right after DVC's first run."""

    tool: Tool
    stale: set[str] = field(default_factory=set)
    outcomes: dict[str, str] = field(default_factory=dict)
    before: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    after: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    lock: str | None = None


@dataclass
class Scenario:
    stages: list[str]
    dvc: Half
    solvent: Half
    adoption: Adoption


def run_dvc(half: Half, edit: Edit, adopt: Path) -> None:
    """DVC's half: the reference, so every command must succeed."""
    tool = half.tool
    for step in range(3):
        if step == 2:
            edit_line(tool.root / "params.yaml", edit.old, edit.new)
            status = tool("status", "--json")
            assert status.returncode == 0, half.story
            half.stale_after_edit = set(yaml.safe_load(status.stdout))
        proc = tool("repro")
        assert proc.returncode == 0, half.story
        half.ran.append(dvc_ran(proc))
        half.files.append(workspace(tool.root))
        if step == 0:
            half.refs = git(tool.root, "for-each-ref", "--format=%(refname)").split()
            half.metrics = metrics(tool("metrics", "show", "--json"))
            shutil.copytree(tool.root, adopt, symlinks=True)


def run_solvent(half: Half, edit: Edit) -> None:
    """Solvent's half, recorded and not asserted: the tests compare it with DVC's."""
    tool = half.tool
    tool("init")
    for step in range(3):
        if step == 2:
            edit_line(tool.root / "params.yaml", edit.old, edit.new)
            half.stale_after_edit = solvent_stale(tool("status", "--json"))
        half.ran.append(solvent_acted(tool("repro", "--json")))
        half.files.append(workspace(tool.root))
        if step == 0:
            half.refs = git(tool.root, "for-each-ref", "--format=%(refname)").split()
            half.metrics = metrics(tool("metrics", "show", "--json"))


def run_adoption(tool: Tool) -> Adoption:
    adoption = Adoption(tool, before=stamped(tool.root))
    tool("init")
    adoption.stale = solvent_stale(tool("status", "--json"))
    adoption.outcomes = solvent_outcomes(tool("repro", "--json"))
    adoption.after = stamped(tool.root)
    lock = tool.root / "solvent.lock"
    adoption.lock = lock.read_text() if lock.exists() else None
    return adoption


def play(name: str, root: Path, python: Path) -> Scenario:
    env = tool_env(python, root)
    base = root / "base"
    make_repo(PROJECTS_DIR / name, base)
    stages = sorted(yaml.safe_load((base / "dvc.yaml").read_text())["stages"])
    edit = EDITS[name]
    for copy in ("dvc", "solvent"):
        shutil.copytree(base, root / copy, symlinks=True)
    theirs = Half(dvc(python, root / "dvc", env))
    ours = Half(solvent(root / "solvent", env))
    with ThreadPoolExecutor(1) as pool:
        ours_done = pool.submit(run_solvent, ours, edit)
        run_dvc(theirs, edit, root / "adopt")
        ours_done.result()
    # What the comparisons rest on: DVC itself does what the project's author meant.
    expected = [dict.fromkeys(stages, "ran"), {}, dict.fromkeys(edit.reruns, "ran")]
    assert theirs.ran == expected, theirs.story
    assert theirs.stale_after_edit == edit.stale, theirs.story
    return Scenario(stages, theirs, ours, run_adoption(solvent(root / "adopt", env)))


@pytest.fixture(scope="module")
def scenarios(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Scenario | str | Exception]:
    """Per project, played all at once (one thread each; the threads mostly wait on the tools'
    processes): its scenario, why it was skipped, or what failed in DVC's half or the harness."""
    assert DVC_PYTHON is not None
    python = DVC_PYTHON
    found: dict[str, Scenario | str | Exception] = {}
    if "dvclive_eval" in PROJECTS and not has_module(python, "dvclive"):
        found["dvclive_eval"] = f"no dvclive beside DVC: {python} -m pip install dvclive"
    todo = [name for name in PROJECTS if name not in found]
    roots = {name: tmp_path_factory.mktemp(name) for name in todo}
    with ThreadPoolExecutor(max(1, len(todo))) as pool:
        futures = {name: pool.submit(play, name, roots[name], python) for name in todo}
    for name, future in futures.items():
        error = future.exception()
        found[name] = error if isinstance(error, Exception) else future.result()
    return found


@pytest.fixture(params=PROJECTS)
def scenario(
    request: pytest.FixtureRequest, scenarios: dict[str, Scenario | str | Exception]
) -> Scenario:
    played = scenarios[request.param]
    if isinstance(played, str):
        pytest.skip(played)
    if isinstance(played, Exception):
        raise played
    return played


def test_every_project_has_an_edit() -> None:
    assert sorted(EDITS) == PROJECTS
    assert len(PROJECTS) >= 4


def test_first_run_runs_the_same_stages(scenario: Scenario) -> None:
    assert scenario.solvent.ran[0] == scenario.dvc.ran[0], scenario.solvent.story


def test_first_run_writes_the_same_files(scenario: Scenario) -> None:
    ours, theirs = scenario.solvent.files[0], scenario.dvc.files[0]
    assert ours == theirs, differences(ours, theirs) + "\n\n" + scenario.solvent.story


def test_first_run_leaves_git_refs_and_dvc_lock_alone(scenario: Scenario) -> None:
    """dvclive outside a pipeline saves an experiment (refs/exps/…, dvc.lock); inside one,
    as DVC's stages are, it does not."""
    assert scenario.solvent.refs == scenario.dvc.refs, scenario.solvent.story
    assert not (scenario.solvent.tool.root / "dvc.lock").exists(), scenario.solvent.story


def test_metrics_show_finds_the_same_metrics(scenario: Scenario) -> None:
    """Stage metrics and the top-level ``metrics:`` of dvc.yaml alike."""
    assert scenario.solvent.metrics == scenario.dvc.metrics, scenario.solvent.story


def test_second_run_runs_nothing(scenario: Scenario) -> None:
    assert scenario.solvent.ran[1] == {}, scenario.solvent.story


def test_param_edit_makes_the_same_stages_stale(scenario: Scenario) -> None:
    ours, theirs = scenario.solvent.stale_after_edit, scenario.dvc.stale_after_edit
    assert ours == theirs, scenario.solvent.story


def test_param_edit_reruns_the_same_stages_and_writes_the_same_files(
    scenario: Scenario,
) -> None:
    assert scenario.solvent.ran[2] == scenario.dvc.ran[2], scenario.solvent.story
    ours, theirs = scenario.solvent.files[2], scenario.dvc.files[2]
    assert ours == theirs, differences(ours, theirs) + "\n\n" + scenario.solvent.story


def test_dvc_lock_is_adopted_without_a_run(scenario: Scenario) -> None:
    """Nothing stale, nothing runs, every file keeps its bytes and mtime, and
    ``solvent.lock`` then holds every stage."""
    adoption = scenario.adoption
    story = adoption.tool.story()
    assert adoption.stale == set(), story
    assert sorted(adoption.outcomes) == scenario.stages, story
    acted = {s: o for s, o in adoption.outcomes.items() if o in ACTED}
    assert acted == {}, story
    changed = sorted(
        p
        for p in adoption.before.keys() | adoption.after.keys()
        if adoption.before.get(p) != adoption.after.get(p)
    )
    assert changed == [], story
    assert adoption.lock is not None, story
    assert sorted(yaml.safe_load(adoption.lock)["stages"]) == scenario.stages, adoption.lock
