"""What a stage's commands are told: the variables ``dvc repro`` sets for every stage, so that
DVC-aware libraries (dvclive) behave as they do under DVC."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.dvc.dvcrun import DVC_PYTHON, needs_dvc
from tests.helpers import commit_all, git, solvent_ok

PY = sys.executable
DUMP = """\
    import json, os, sys
    seen = {k: v for k, v in os.environ.items() if k.startswith("DVC_")}
    open(sys.argv[1], "w").write(json.dumps(seen, sort_keys=True))
    """


def write(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(textwrap.dedent(text))


def has_dvclive() -> bool:
    if DVC_PYTHON is None:
        return False
    probe = subprocess.run([DVC_PYTHON, "-c", "import dvclive"], capture_output=True, check=False)
    return probe.returncode == 0


def without_dvc_vars() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("DVC_")}


def test_every_stage_is_told_the_repo_root_and_its_name(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key in [k for k in os.environ if k.startswith("DVC_")]:
        monkeypatch.delenv(key)
    write(repo, "dump.py", DUMP)
    write(repo, "sub/.keep", "")
    write(repo, "solvent.yaml", f"""\
        stages:
          top:
            cmd: {PY} dump.py top.json
            outs: [top.json]
          each:
            foreach: [a]
            do:
              wdir: sub
              cmd: {PY} ../dump.py each-${{item}}.json
              outs: ['each-${{item}}.json']
        """)  # fmt: skip
    solvent_ok(repo, "repro")
    root = str(repo)
    assert json.loads((repo / "top.json").read_text()) == {"DVC_ROOT": root, "DVC_STAGE": "top"}
    assert json.loads((repo / "sub/each-a.json").read_text()) == {
        "DVC_ROOT": root,  # the repo's root, not the stage's wdir
        "DVC_STAGE": "each@a",
    }
    # As in DVC, a DVC_ROOT already set (Solvent run by a DVC stage) is kept.
    solvent_ok(repo, "repro", "-f", "top", env={"DVC_ROOT": "/elsewhere"})
    assert json.loads((repo / "top.json").read_text())["DVC_ROOT"] == "/elsewhere"


@needs_dvc
def test_the_variables_are_those_dvc_repro_sets(git_repo: Path) -> None:
    """One project run by DVC and by Solvent: each stage sees the same DVC_* variables."""
    env = {**without_dvc_vars(), "DVC_NO_ANALYTICS": "1"}
    dvc = [str(DVC_PYTHON), "-m", "dvc"]
    subprocess.run([*dvc, "init", "-q"], cwd=git_repo, env=env, check=True)
    write(git_repo, "dump.py", DUMP)
    write(git_repo, "dvc.yaml", f"""\
        stages:
          dump:
            cmd: {PY} dump.py env.json
            deps: [dump.py]
            outs: [env.json]
          fan:
            foreach: [x, y]
            do:
              cmd: {PY} dump.py fan-${{item}}.json
              outs: ['fan-${{item}}.json']
        """)  # fmt: skip
    commit_all(git_repo, "a DVC project")
    done = subprocess.run([*dvc, "repro"], cwd=git_repo, env=env, capture_output=True, text=True,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    names = ("env.json", "fan-x.json", "fan-y.json")
    under_dvc = {n: json.loads((git_repo / n).read_text()) for n in names}
    assert under_dvc["env.json"]["DVC_STAGE"] == "dump"  # DVC's own view, as a check
    for name in names:
        (git_repo / name).unlink()
    solvent_ok(git_repo, "init")
    solvent_ok(git_repo, "repro", env={"DVC_NO_ANALYTICS": "1"})
    under_solvent = {n: json.loads((git_repo / n).read_text()) for n in names}
    assert under_solvent == under_dvc


@pytest.mark.skipif(not has_dvclive(), reason="dvclive is not installed in bench/.venv-dvc")
def test_dvclive_in_a_stage_saves_no_experiment_of_its_own(git_repo: Path) -> None:
    """The get-started shape: a training script logging with dvclive in a committed DVC repo.
    Outside a pipeline dvclive saves an experiment (refs in git, dvc.lock); run by a pipeline
    it must leave git alone, as it does under ``dvc repro``."""
    env = {**without_dvc_vars(), "DVC_NO_ANALYTICS": "1"}
    subprocess.run([str(DVC_PYTHON), "-m", "dvc", "init", "-q"], cwd=git_repo, env=env, check=True)
    write(git_repo, "train.py", """\
        from dvclive import Live

        with Live() as live:
            live.log_param("lr", 0.1)
            for epoch in range(2):
                live.log_metric("acc", 0.5 + epoch / 10)
                live.next_step()
        """)  # fmt: skip
    write(git_repo, "dvc.yaml", f"""\
        stages:
          train:
            cmd: {DVC_PYTHON} train.py
            deps: [train.py]
        """)  # fmt: skip
    solvent_ok(git_repo, "init")
    commit_all(git_repo, "a dvclive project")
    out = solvent_ok(git_repo, "repro", env={"DVC_NO_ANALYTICS": "1"})
    assert "Ignoring `save_dvc_exp` because `dvc repro` is running" in out  # dvclive knows
    assert "SCM error" not in out
    assert git(git_repo, "for-each-ref", "refs/exps") == ""  # no experiment refs
    assert not (git_repo / "dvc.lock").exists()
    assert ".gitignore" not in git(git_repo, "status", "--porcelain")
    assert json.loads((git_repo / "dvclive" / "metrics.json").read_text())["acc"] == 0.6
