"""Top-level ``metrics:``, ``params:`` and ``plots:`` of a dvc.yaml, as dvclive and DVC's
get-started project write them: ``metrics show``, ``metrics diff`` and ``params diff`` find
them, and say what DVC itself says on the same project."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.dvc.dvcrun import dvc, needs_dvc
from tests.helpers import commit_all, solvent_ok, write

# The shape of a dvclive project: evaluate writes the dvclive folder; dvclive's metrics,
# params and plots are declared at the top level, beside one stage-level metric.
DVC_YAML = """\
stages:
  train:
    cmd: python train.py
    deps: [train.py]
    params: [train.lr]
    outs: [model.pkl]
  evaluate:
    cmd: python evaluate.py
    deps: [evaluate.py, model.pkl]
    outs: [dvclive]
    metrics:
      - scores.json:
          cache: false
metrics:
  - dvclive/metrics.json
params:
  - dvclive/params.yaml
plots:
  - dvclive/plots/metrics:
      x: step
  - ROC:
      template: simple
      x: fpr
      y:
        eval/roc.json: tpr
"""


@pytest.fixture
def dvclive_project(repo: Path) -> Path:
    """v1 committed; the workspace holds dvclive's v2 metrics and params."""
    write(repo / "dvc.yaml", DVC_YAML)
    write(repo / "params.yaml", "train:\n  lr: 0.1\n  epochs: 5\n")
    write(repo / "dvclive" / "metrics.json", '{"train": {"acc": 0.81, "loss": 0.4}, "step": 4}')
    write(repo / "dvclive" / "params.yaml", "epochs: 5\nbatch: 32\n")
    write(repo / "scores.json", '{"auc": 0.9}')
    commit_all(repo, "v1")
    write(repo / "dvclive" / "metrics.json", '{"train": {"acc": 0.85, "loss": 0.3}, "step": 9}')
    write(repo / "dvclive" / "params.yaml", "epochs: 10\nbatch: 32\n")
    return repo


def test_metrics_show_finds_top_level_metrics(dvclive_project: Path) -> None:
    shown = json.loads(solvent_ok(dvclive_project, "metrics", "show", "--json"))
    assert shown == {
        "workspace": {
            "data": {
                "dvclive/metrics.json": {"data": {"train": {"acc": 0.85, "loss": 0.3}, "step": 9}},
                "scores.json": {"data": {"auc": 0.9}},
            }
        }
    }
    diff = json.loads(solvent_ok(dvclive_project, "metrics", "diff", "--json"))
    assert diff["dvclive/metrics.json"]["step"] == {"old": 4, "new": 9, "diff": 5}


def test_params_diff_includes_a_top_level_params_file(dvclive_project: Path) -> None:
    assert json.loads(solvent_ok(dvclive_project, "params", "diff", "--json")) == {
        "dvclive/params.yaml": {"epochs": {"old": 5, "new": 10, "diff": 5}}
    }
    # --deps: only what stages declare, as in DVC (top-level params are no stage's)
    assert json.loads(solvent_ok(dvclive_project, "params", "diff", "--deps", "--json")) == {}


def _dvc(cwd: Path, *args: str) -> Any:
    return json.loads(dvc(cwd, *args))


def _rounded(doc: Any) -> Any:
    """Floats to 9 digits: DVC prints 0.85 - 0.81 as 0.039999999999999925, we as 0.04."""
    if isinstance(doc, dict):
        return {k: _rounded(v) for k, v in doc.items()}
    return round(doc, 9) if isinstance(doc, float) else doc


@needs_dvc
def test_same_answers_as_dvc(dvclive_project: Path) -> None:
    dvc(dvclive_project, "init", "-q")
    ours = json.loads(solvent_ok(dvclive_project, "metrics", "show", "--json"))
    theirs = _dvc(dvclive_project, "metrics", "show", "--json")
    assert [d["data"] for d in ours.values()] == [d["data"] for d in theirs.values()]
    for command in (["params", "diff"], ["metrics", "diff"], ["params", "diff", "--all"]):
        ours = json.loads(solvent_ok(dvclive_project, *command, "--json"))
        assert _rounded(ours) == _rounded(_dvc(dvclive_project, *command, "--json")), command
