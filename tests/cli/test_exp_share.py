"""``solvent exp save / branch / push / pull``: experiments recorded without a run, turned
into git branches, and shared between clones through a git remote and a data remote."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cli.test_exp import SPEC, TRAIN
from tests.helpers import assert_user_error, commit_all, disk_state, git, solvent, solvent_ok, write

UP_TO_DATE = "Data and pipelines are up to date.\n"


@pytest.fixture
def project(repo: Path) -> Path:
    write(repo / "train.py", TRAIN)
    write(repo / "solvent.yaml", SPEC)
    write(repo / "params.yaml", "train:\n  lr: 0.1\n  depth: 3\n")
    write(repo / "data.txt", "raw")
    solvent_ok(repo, "add", "data.txt")
    solvent_ok(repo, "repro")
    commit_all(repo, "project")
    return repo


@pytest.fixture
def clones(project: Path, tmp_path: Path) -> tuple[Path, Path]:
    """Two clones of one project sharing a bare git remote and a folder data remote."""
    bare, store = tmp_path / "origin.git", tmp_path / "store"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    solvent_ok(project, "remote", "add", "--default", "storage", str(store))
    commit_all(project, "data remote")
    git(project, "remote", "add", "origin", str(bare))
    git(project, "push", "-q", "origin", "main")
    solvent_ok(project, "push")
    other = tmp_path / "other"
    subprocess.run(["git", "clone", "-q", str(bare), str(other)], check=True)
    solvent_ok(other, "pull")
    return project, other


def show(root: Path) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in json.loads(solvent_ok(root, "exp", "show", "--json"))}


def test_an_experiment_run_in_one_clone_is_pulled_shown_and_applied_in_another(
    clones: tuple[Path, Path],
) -> None:
    a, b = clones
    solvent_ok(a, "exp", "run", "-S", "train.lr=0.5", "-n", "half")
    out = solvent_ok(a, "exp", "push", "origin")  # by default: the experiments run from HEAD
    assert "Pushed half" in out and "1 object(s) moved" in out  # model.txt
    assert "half" not in show(b)

    out = solvent_ok(b, "exp", "pull", "origin")  # by default: every one it has
    assert "Pulled half" in out and "1 object(s) moved" in out
    shown = show(b)["half"]
    assert shown["status"] == "done" and shown["metrics"] == {"metrics.json": {"score": 1.5}}
    assert shown["columns"]["train.lr"] == 0.5
    assert shown["exp_id"] == show(a)["half"]["exp_id"]

    solvent_ok(b, "exp", "apply", "half")
    assert (b / "model.txt").read_text() == "raw lr=0.5 depth=3\n"
    assert yaml.safe_load((b / "params.yaml").read_text())["train"]["lr"] == 0.5
    assert solvent_ok(b, "status") == UP_TO_DATE

    # pushing it again moves nothing and makes the same commit (the remote accepts it)
    out = solvent_ok(a, "exp", "push", "origin", "half")
    assert "0 object(s) moved" in out


def test_pulling_an_experiment_the_remote_does_not_have_names_what_it_has(
    clones: tuple[Path, Path],
) -> None:
    a, b = clones
    solvent_ok(a, "exp", "run", "-S", "train.lr=0.5", "-n", "half")
    solvent_ok(a, "exp", "push", "origin", "half")
    before = disk_state(b)
    proc = solvent(b, "exp", "pull", "origin", "double")
    assert_user_error(proc, "origin has no experiment 'double'")
    assert "it has: half" in proc.stderr
    assert disk_state(b) == before


def test_the_data_goes_before_the_git_ref(clones: tuple[Path, Path], tmp_path: Path) -> None:
    a, _b = clones
    solvent_ok(a, "exp", "run", "-S", "train.lr=0.5", "-n", "half")
    proc = solvent(a, "exp", "push", "origin", "half", "-r", "nowhere")
    assert_user_error(proc, "nowhere")
    refs = git(tmp_path / "origin.git", "for-each-ref", "refs/solvent")
    assert refs == ""


def test_exp_save_records_the_workspace_and_apply_brings_it_back(project: Path) -> None:
    write(project / "params.yaml", "train:\n  lr: 0.2\n  depth: 3\n")
    before = disk_state(project, with_state=False)
    proc = solvent(project, "exp", "save", "-n", "manual")
    assert_user_error(proc, "train", "not up to date")
    assert disk_state(project, with_state=False) == before
    assert show(project) == {}

    solvent_ok(project, "repro")
    saved_model = (project / "model.txt").read_text()
    out = solvent_ok(project, "exp", "save", "-n", "manual")
    assert out.startswith("Saved manual")
    shown = show(project)["manual"]
    assert shown["status"] == "done" and shown["overrides"] == {"train.lr": 0.2}
    assert shown["metrics"] == {"metrics.json": {"score": pytest.approx(0.6)}}

    git(project, "checkout", "--", ".")
    solvent_ok(project, "checkout")
    assert (project / "model.txt").read_text() != saved_model
    solvent_ok(project, "exp", "apply", "manual")
    assert (project / "model.txt").read_text() == saved_model
    assert yaml.safe_load((project / "params.yaml").read_text())["train"]["lr"] == 0.2
    assert solvent_ok(project, "status") == UP_TO_DATE


def test_exp_branch_makes_a_branch_that_checks_out_to_the_experiment(project: Path) -> None:
    head = git(project, "rev-parse", "HEAD").strip()
    solvent_ok(project, "exp", "run", "-S", "train.depth=5", "-n", "deep")
    out = solvent_ok(project, "exp", "branch", "deep", "try-deep")
    assert "Branch try-deep" in out
    assert git(project, "rev-parse", "try-deep^").strip() == head
    assert git(project, "status", "--porcelain") == ""  # the workspace was not touched

    git(project, "checkout", "-q", "try-deep")
    solvent_ok(project, "checkout")
    assert (project / "model.txt").read_text() == "raw lr=0.1 depth=5\n"
    assert json.loads((project / "metrics.json").read_text()) == {"score": pytest.approx(0.5)}
    assert solvent_ok(project, "status") == UP_TO_DATE

    before = disk_state(project, with_state=False)
    assert_user_error(solvent(project, "exp", "branch", "deep", "try-deep"), "exists")
    assert_user_error(solvent(project, "exp", "branch", "deep", "bad..name"), "not a valid")
    assert disk_state(project, with_state=False) == before


def test_a_pulled_experiment_never_replaces_another_of_the_same_name(
    clones: tuple[Path, Path],
) -> None:
    a, b = clones
    solvent_ok(a, "exp", "run", "-S", "train.lr=0.5", "-n", "half")
    solvent_ok(a, "exp", "push", "origin", "half")
    solvent_ok(b, "exp", "run", "-S", "train.lr=0.25", "-n", "half")
    mine = show(b)["half"]
    assert_user_error(solvent(b, "exp", "pull", "origin", "half"), "another experiment here")
    assert show(b) == {"half": mine}
    proc = solvent(b, "exp", "push", "origin", "half")
    assert_user_error(proc, "pushing experiment half to origin failed")
    assert "another experiment of this name: --force replaces it" in proc.stderr
    solvent_ok(b, "exp", "push", "--force", "origin", "half")
    solvent_ok(a, "exp", "remove", "half")
    solvent_ok(a, "exp", "pull", "origin", "half")
    assert show(a)["half"]["exp_id"] == mine["exp_id"]
