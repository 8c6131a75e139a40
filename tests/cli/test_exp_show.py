"""``solvent exp show``: the workspace and the baseline commit above the experiments, numbers
rounded as ``metrics show`` rounds them; the same values as ``dvc exp show``."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from tests.dvc_cli import dvc_ok, dvc_repo, needs_dvc
from tests.helpers import commit_all, git, solvent_ok, write

TRAIN = """\
import json, yaml
lr = yaml.safe_load(open("params.yaml"))["train"]["lr"]
json.dump({"score": lr / 3, "acc": {"top1": 0.123456789}}, open("metrics.json", "w"))
"""
SPEC = f"""\
stages:
  train:
    cmd: {sys.executable} train.py
    params: [train.lr]
    metrics: [{{metrics.json: {{cache: false}}}}]
"""


def project(root: Path, spec: str) -> Path:
    write(root / "train.py", TRAIN)
    write(root / spec, SPEC)
    write(root / "params.yaml", "train:\n  lr: 0.1\n")
    return root


def rows(root: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(solvent_ok(root, "exp", "show", "--csv"))))


def test_workspace_and_baseline_rows_come_first_and_numbers_are_rounded(repo: Path) -> None:
    project(repo, "solvent.yaml")
    solvent_ok(repo, "repro")
    commit_all(repo, "baseline")
    head = git(repo, "rev-parse", "HEAD").strip()
    solvent_ok(repo, "exp", "run", "-S", "train.lr=0.5", "-n", "big")
    write(repo / "params.yaml", "train:\n  lr: 0.2\n")  # edited, not run
    table = solvent_ok(repo, "exp", "show").splitlines()
    assert table[0].split() == ["name", "id", "status", "lr", "top1", "score"]
    assert table[1].split() == ["workspace", "workspace", "0.2", "0.12346", "0.03333"]
    assert table[2].split() == ["main", head[:8], "baseline", "0.1", "0.12346", "0.03333"]
    assert table[3].split()[0] == "big" and table[3].split()[-1] == "0.16667"
    assert solvent_ok(repo, "exp", "show", "--precision", "2").splitlines()[3].split()[-1] == "0.17"
    by_name = {r["name"]: r for r in rows(repo)}
    assert by_name["workspace"]["score"] == str(0.1 / 3)  # CSV keeps every digit
    sorted_rows = solvent_ok(repo, "exp", "show", "--sort-by", "score").splitlines()
    assert [r.split()[0] for r in sorted_rows[1:3]] == ["workspace", "main"]  # always on top


def test_without_experiments_the_reference_rows_still_show(repo: Path) -> None:
    project(repo, "solvent.yaml")
    solvent_ok(repo, "repro")
    out = solvent_ok(repo, "exp", "show").splitlines()
    assert out[1].split() == ["workspace", "workspace", "0.12346", "0.03333"]
    assert out[2].split()[2:] == ["baseline", "-", "-"]  # no metrics committed yet
    assert out[-1].startswith("No experiments.")


@needs_dvc
def test_reference_rows_hold_dvcs_values(tmp_path: Path) -> None:
    ours = project(tmp_path / "ours", "solvent.yaml")
    theirs = project(dvc_repo(tmp_path / "theirs"), "dvc.yaml")
    git(ours, "init", "-q", "-b", "main")
    solvent_ok(ours, "init")
    solvent_ok(ours, "repro")
    dvc_ok(theirs, "repro", "-q")
    for root in (ours, theirs):
        commit_all(root, "baseline")
        write(root / "params.yaml", "train:\n  lr: 0.2\n")
    solvent_ok(ours, "exp", "run", "-S", "train.lr=0.3")  # so train.lr is a column
    dvc_rows = list(csv.DictReader(io.StringIO(dvc_ok(theirs, "exp", "show", "--csv"))))
    ours_rows = rows(ours)
    assert [r["rev"] for r in dvc_rows] == ["workspace", "main"]
    assert [r["name"] for r in ours_rows[:2]] == ["workspace", "main"]
    for d, o in zip(dvc_rows, ours_rows[:2], strict=True):
        assert (o["train.lr"], o["score"], o["acc.top1"]) == (
            d["train.lr"], d["score"], d["acc.top1"],
        )  # fmt: skip
