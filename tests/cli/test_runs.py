"""``solvent runs``: the ledger a repro writes, and the ledger travelling through a remote."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import commit_all, git, solvent, solvent_ok, write

PY = sys.executable
SPEC = f"""\
stages:
  prepare:
    cmd: {PY} prepare.py
    deps: [raw.txt]
    outs: [prepared.txt]
  train:
    cmd: {PY} train.py
    deps: [prepared.txt]
    params: [train.lr]
    outs: [model.txt]
    metrics: [{{metrics.json: {{cache: false}}}}]
"""
PREPARE = "open('prepared.txt', 'w').write(open('raw.txt').read().upper())\n"
TRAIN = (
    "import json, yaml\n"
    "lr = yaml.safe_load(open('params.yaml'))['train']['lr']\n"
    "open('model.txt', 'w').write(open('prepared.txt').read() + str(lr))\n"
    "json.dump({'acc': lr * 2}, open('metrics.json', 'w'))\n"
)


@pytest.fixture
def project(repo: Path) -> Path:
    write(repo / "solvent.yaml", SPEC)
    write(repo / "prepare.py", PREPARE)
    write(repo / "train.py", TRAIN)
    write(repo / "params.yaml", "train:\n  lr: 0.5\n")
    write(repo / "raw.txt", "raw v1\n")
    solvent_ok(repo, "add", "raw.txt")
    commit_all(repo, "project")
    return repo


def runs(root: Path, *args: str) -> list[dict[str, object]]:
    found = json.loads(solvent_ok(root, "runs", "--json", *args))
    assert isinstance(found, list)
    return found


def test_each_stage_run_is_a_row_with_what_it_read_and_wrote(project: Path) -> None:
    head = git(project, "rev-parse", "HEAD").strip()
    solvent_ok(project, "repro")
    prepare, train = runs(project)
    assert (prepare["stage"], train["stage"]) == ("prepare", "train")
    lock = (project / "solvent.lock").read_text()
    assert train["status"] == "ran" and train["git_commit"] == head
    assert train["git_dirty"] is False  # the lock the repro writes does not count
    assert set(train["deps"]) == {"prepared.txt"}  # type: ignore[arg-type]
    assert train["outs"]["model.txt"] in lock  # type: ignore[index]
    assert train["params"] == {"params.yaml": {"train.lr": 0.5}}
    assert train["metrics"] == {"metrics.json": {"acc": 1.0}}
    assert set(train["code"]) == {"train.py"}  # type: ignore[arg-type]
    env = train["env"]
    assert isinstance(env, dict) and env["python"] == ".".join(map(str, sys.version_info[:3]))
    assert train["ended"] >= train["started"]  # type: ignore[operator]
    assert [r["stage"] for r in runs(project, "--stage", "tr*")] == ["train"]
    table = solvent_ok(project, "runs")
    assert "prepare" in table and "train" in table and head[:8] in table


def test_a_failed_run_is_recorded_with_its_error(project: Path) -> None:
    write(project / "train.py", "raise SystemExit(3)\n")
    assert solvent(project, "repro").returncode != 0
    failed = runs(project, "--stage", "train")[-1]
    assert failed["status"] == "failed" and "exit code 3" in str(failed["error"])
    assert failed["outs"] == {}


def test_no_runs_yet(project: Path) -> None:
    assert "No runs recorded" in solvent_ok(project, "runs")
    assert runs(project) == []


def test_the_ledger_travels_with_the_data_and_teammates_merge(
    project: Path, tmp_path: Path
) -> None:
    remote = tmp_path / "remote"
    solvent_ok(project, "remote", "add", "--default", "origin", str(remote))
    solvent_ok(project, "repro")
    commit_all(project, "ran")
    assert "2 run(s)" in solvent_ok(project, "push")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(project), str(clone)], check=True)
    solvent_ok(clone, "pull")
    assert [r["run_id"] for r in runs(clone)] == [r["run_id"] for r in runs(project)]
    # Both teammates run something new and push; neither overwrites the other.
    write(clone / "params.yaml", "train:\n  lr: 0.25\n")
    solvent_ok(clone, "repro")
    write(project / "params.yaml", "train:\n  lr: 0.75\n")
    solvent_ok(project, "repro")
    solvent_ok(clone, "push")
    solvent_ok(project, "push")
    solvent_ok(project, "fetch")
    solvent_ok(clone, "fetch")
    mine, theirs = runs(project), runs(clone)
    assert len(mine) == 4 and {r["run_id"] for r in mine} == {r["run_id"] for r in theirs}
    assert len(list((remote / "runs").glob("*.json"))) == 4
    assert "0 run(s)" not in solvent_ok(project, "push")


def test_the_ledger_travels_through_s3(project: Path, tmp_path: Path, s3_bucket: str) -> None:
    solvent_ok(project, "remote", "add", "--default", "origin", f"{s3_bucket}/store")
    solvent_ok(project, "repro")
    commit_all(project, "ran")
    assert "2 run(s)" in solvent_ok(project, "push")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(project), str(clone)], check=True)
    assert "2 run(s)" in solvent_ok(clone, "fetch")
    assert {r["run_id"] for r in runs(clone)} == {r["run_id"] for r in runs(project)}
