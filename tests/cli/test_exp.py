"""``solvent exp``: sweeps in isolated workspaces, in parallel, compared and applied back."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    assert_user_error,
    blake3_id,
    commit_all,
    disk_state,
    object_path,
    solvent,
    solvent_ok,
    write,
)

PY = sys.executable
TRAIN = """\
import json, os, time, yaml
p = yaml.safe_load(open("params.yaml"))["train"]
if p["lr"] == 0:
    raise SystemExit("lr must not be 0")
time.sleep(0.15)  # long enough for parallel experiments to overlap
open("model.txt", "w").write(f"{open('data.txt').read()} lr={p['lr']} depth={p['depth']}\\n")
json.dump({"score": p["lr"] * p["depth"]}, open("metrics.json", "w"))
"""
SPEC = f"""\
stages:
  train:
    cmd: {PY} train.py
    deps: [data.txt]
    params: [train.lr, train.depth]
    outs: [model.txt]
    metrics: [{{metrics.json: {{cache: false}}}}]
"""


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


def show(root: Path, *args: str) -> list[dict[str, Any]]:
    found = json.loads(solvent_ok(root, "exp", "show", "--json", *args))
    assert isinstance(found, list)
    return found


def model_by_params(root: Path, names: set[str]) -> dict[tuple[object, ...], tuple[str, Any]]:
    """(lr, depth) → (model.txt's id, metrics) of the named experiments, from the ledger."""
    exps = {e["exp_id"]: e for e in show(root) if e["name"] in names}
    runs = json.loads(solvent_ok(root, "runs", "--json"))
    found = {}
    for r in runs:
        if r["experiment"] in exps:
            p = r["params"]["params.yaml"]
            found[p["train.lr"], p["train.depth"]] = (r["outs"]["model.txt"], r["metrics"])
    assert len(found) == len(names)
    return found


def test_a_parallel_sweep_gives_what_a_sequential_one_gives_and_leaves_the_workspace(
    project: Path,
) -> None:
    before = disk_state(project / "params.yaml") | disk_state(project, with_state=False)
    before = {k: v for k, v in before.items() if not k.startswith(".solvent")}
    out = solvent_ok(project, "exp", "run", "-S", "train.lr=0.5,0.25", "-S", "train.depth=2",
                     "-n", "seq")  # fmt: skip
    assert "seq-1" in out and "seq-2" in out and "done" in out
    solvent_ok(project, "exp", "run", "-S", "train.lr=0.5,0.25", "-S", "train.depth=2",
               "-n", "par", "--queue")  # fmt: skip
    assert {e["status"] for e in show(project) if e["name"].startswith("par")} == {"queued"}
    solvent_ok(project, "exp", "run", "--run-all", "-j", "2")
    seq = model_by_params(project, {"seq-1", "seq-2"})
    par = model_by_params(project, {"par-1", "par-2"})
    assert seq == par
    # Each experiment's model holds its own params: none wrote another's files.
    for (lr, depth), (oid, metrics) in par.items():
        text = object_path(project, oid).read_text()
        assert text == f"raw lr={lr} depth={depth}\n"
        assert metrics == {"metrics.json": {"score": lr * depth}}
    after = {k: v for k, v in disk_state(project, with_state=False).items()
             if not k.startswith(".solvent")}  # fmt: skip
    assert after == before
    assert solvent_ok(project, "status") == "Data and pipelines are up to date.\n"
    assert not list((project / ".solvent/exps").glob("*/"))  # workspaces are cleaned up


def test_show_sorts_filters_and_exports(project: Path) -> None:
    solvent_ok(project, "exp", "run", "-S", "train.lr=0.5,0.25", "-S", "train.depth=2",
               "-n", "grid", "-j", "2")  # fmt: skip
    solvent_ok(project, "exp", "run", "-S", "train.lr=0.5", "-S", "train.depth=2", "-n", "same")
    rows = show(project, "--sort-by", "score", "--desc")
    assert [(r["name"], r["columns"]["score"]) for r in rows] == [
        ("grid-1", 1.0), ("same", 1.0), ("grid-2", 0.5)]  # fmt: skip
    table = solvent_ok(project, "exp", "show")
    assert " lr " in table and "score" in table and "grid-2" in table
    csv = solvent_ok(project, "exp", "show", "--csv").splitlines()
    assert csv[0] == "name,id,status,train.depth,train.lr,score"
    assert len(csv) == 6  # the header, workspace, main and three experiments
    assert "train.depth" not in show(project, "--only-changed")[0]["columns"]  # all 2
    diff = json.loads(solvent_ok(project, "exp", "diff", "grid-1", "grid-2", "--json"))
    assert {d["key"] for d in diff} == {"train.lr", "score"}
    assert "the same params and metrics" in solvent_ok(project, "exp", "diff", "grid-1", "same")
    solvent_ok(project, "exp", "remove", "same", "grid-1")
    assert [r["name"] for r in show(project)] == ["grid-2"]
    assert len(list((project / ".solvent/exps").glob("*.log"))) == 1


def test_apply_brings_back_byte_identical_outputs_and_params(project: Path) -> None:
    solvent_ok(project, "exp", "run", "-S", "train.lr=0.25", "-S", "train.depth=4", "-n", "best")
    (best,) = model_by_params(project, {"best"}).values()
    solvent_ok(project, "exp", "apply", "best")
    assert blake3_id((project / "model.txt").read_bytes()) == best[0]
    assert (project / "model.txt").read_text() == "raw lr=0.25 depth=4\n"
    assert json.loads((project / "metrics.json").read_text()) == {"score": 1.0}
    assert "lr: 0.25" in (project / "params.yaml").read_text()
    assert solvent_ok(project, "status") == "Data and pipelines are up to date.\n"


def test_a_failed_experiment_is_recorded_and_exits_non_zero(project: Path) -> None:
    proc = solvent(project, "exp", "run", "-S", "train.lr=0", "-n", "bad")
    assert proc.returncode == 1 and "failed" in proc.stdout
    (bad,) = show(project)
    assert bad["status"] == "failed" and "exit code 1" in bad["error"]
    assert_user_error(solvent(project, "exp", "apply", "bad"), "is failed, not done")


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["run", "-S", "train.lr"], "expected KEY=VALUE"),
        (["apply", "nope"], "no experiment 'nope'"),
        (["show", "--sort-by", "nope"], "--sort-by nope: no such column"),
        (["diff", "a", "b"], "no experiment 'a'"),
    ],
)
def test_bad_input_is_a_user_error(repo: Path, args: list[str], needle: str) -> None:
    before = disk_state(repo, with_state=False)
    assert_user_error(solvent(repo, "exp", *args), needle)
    assert disk_state(repo, with_state=False) == before


def test_gc_keeps_what_experiments_made_so_apply_still_works(project: Path) -> None:
    solvent_ok(project, "exp", "run", "-S", "train.lr=0.7", "-n", "kept")
    solvent_ok(project, "gc", "--force")
    solvent_ok(project, "exp", "apply", "kept")
    assert (project / "model.txt").read_text() == "raw lr=0.7 depth=3\n"


def test_two_processes_running_experiments_share_one_sound_ledger(project: Path) -> None:
    """Two 'solvent exp run' processes at once: both repro in their own workspaces and write
    the one ledger (runs and experiments) concurrently."""
    import sqlite3
    import subprocess

    procs = [
        subprocess.Popen([PY, "-m", "solvent", "exp", "run", "-S", f"train.lr={lr}", "-n", name],
                         cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        for lr, name in ((0.5, "left"), (0.25, "right"))
    ]  # fmt: skip
    for p in procs:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0, out.decode()
    assert {e["name"]: e["status"] for e in show(project)} == {"left": "done", "right": "done"}
    assert len(model_by_params(project, {"left", "right"})) == 2
    db = sqlite3.connect(project / ".solvent" / "runs.db")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


FEATURIZE = """\
import yaml
n = yaml.safe_load(open("params.yaml"))["feat"]["n"]
open("features", "w").write(f"features n={n}\\n")
"""
MODEL = 'open("model", "w").write("model of " + open("features").read())\n'
# The stage 'model' writes the out 'model': the name must never be taken for the path.
NAME_IS_AN_OUT = f"""\
stages:
  featurize:
    cmd: {PY} featurize.py
    deps: [featurize.py]
    params: [feat.n]
    outs: [features]
  model:
    cmd: {PY} model.py
    deps: [features, model.py]
    outs: [model]
"""


def test_apply_restores_every_out_when_a_stage_is_named_like_an_out(repo: Path) -> None:
    write(repo / "featurize.py", FEATURIZE)
    write(repo / "model.py", MODEL)
    write(repo / "dvc.yaml", NAME_IS_AN_OUT)
    write(repo / "params.yaml", "feat:\n  n: 1\n")
    solvent_ok(repo, "repro")
    commit_all(repo, "v1")
    solvent_ok(repo, "exp", "run", "-S", "feat.n=22", "-n", "wide")
    assert "Applied wide" in solvent_ok(repo, "exp", "apply", "wide")
    assert (repo / "features").read_text() == "features n=22\n"
    assert (repo / "model").read_text() == "model of features n=22\n"
    assert solvent_ok(repo, "status").strip() == "Data and pipelines are up to date."
    # checkout by stage name restores all of that stage's outs; by path, that out
    (repo / "features").unlink()
    (repo / "model").unlink()
    solvent_ok(repo, "checkout", "model")
    assert (repo / "model").is_file() and not (repo / "features").exists()
    solvent_ok(repo, "checkout", "features")
    assert (repo / "features").read_text() == "features n=22\n"
