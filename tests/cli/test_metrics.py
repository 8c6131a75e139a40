"""``solvent params diff``, ``metrics show`` and ``metrics diff`` end to end, in a real git repo
with a solvent.yaml written in dvc.yaml syntax."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import assert_user_error, commit_all, solvent, solvent_ok, write

SPEC = """\
stages:
  train:
    cmd: python train.py --lr ${train.lr}
    params:
      - train.lr
      - train.epochs
      - model.json:
          - tree
    outs:
      - model.bin
    metrics:
      - metrics.json:
          cache: false
  evaluate:
    cmd: python evaluate.py
    deps:
      - model.bin
    metrics:
      - eval/scores.yaml
"""


def table(out: str) -> list[list[str]]:
    """The rows of a borderless table, header first, split on runs of spaces."""
    return [line.split() for line in out.splitlines()]


@pytest.fixture
def project(repo: Path) -> Path:
    """v1 of params and metrics committed; the workspace holds v2."""
    write(repo / "solvent.yaml", SPEC)
    write(repo / "params.yaml", "train:\n  lr: 0.1\n  epochs: 10\nseed: 1\n")
    write(repo / "model.json", json.dumps({"tree": {"depth": 3}, "other": 1}))
    write(repo / "metrics.json", json.dumps({"auc": 0.9, "loss": 0.5, "f1": {"a": 0.8}}))
    commit_all(repo, "v1")
    write(repo / "params.yaml", "train:\n  lr: 0.2\n  epochs: 10\nseed: 2\n")
    write(repo / "model.json", json.dumps({"tree": {"depth": 4}, "other": 1}))
    write(repo / "metrics.json", json.dumps({"auc": 0.93, "loss": 0.45, "f1": {"a": 0.8123456}}))
    write(repo / "eval" / "scores.yaml", "precision: 0.7\n")
    return repo


def test_params_diff(project: Path) -> None:
    assert table(solvent_ok(project, "params", "diff")) == [
        ["Params:", "HEAD", "→", "workspace"],
        ["Path", "Param", "Old", "New"],
        ["model.json", "tree.depth", "3", "4"],
        ["params.yaml", "seed", "1", "2"],
        ["params.yaml", "train.lr", "0.1", "0.2"],
    ]


def test_params_diff_deps_and_all(project: Path) -> None:
    assert table(solvent_ok(project, "params", "diff", "--deps"))[2:] == [
        ["model.json", "tree.depth", "3", "4"],
        ["params.yaml", "train.lr", "0.1", "0.2"],
    ]
    assert table(solvent_ok(project, "params", "diff", "--all"))[2:] == [
        ["model.json", "other", "1", "1"],
        ["model.json", "tree.depth", "3", "4"],
        ["params.yaml", "seed", "1", "2"],
        ["params.yaml", "train.epochs", "10", "10"],
        ["params.yaml", "train.lr", "0.1", "0.2"],
    ]


def test_params_diff_json_has_dvcs_shape(project: Path) -> None:
    assert json.loads(solvent_ok(project, "params", "diff", "--deps", "--json")) == {
        "model.json": {"tree.depth": {"old": 3, "new": 4, "diff": 1}},
        "params.yaml": {"train.lr": {"old": 0.1, "new": 0.2, "diff": 0.1}},
    }


def test_params_diff_between_revisions(project: Path) -> None:
    commit_all(project, "v2")
    write(project / "params.yaml", "train:\n  lr: 0.3\n  epochs: 10\nseed: 2\n")
    out = solvent_ok(project, "params", "diff", "HEAD~1", "HEAD", "--deps")
    assert table(out)[0] == ["Params:", "HEAD~1", "→", "HEAD"]
    assert table(out)[3] == ["params.yaml", "train.lr", "0.1", "0.2"]
    assert table(solvent_ok(project, "params", "diff", "HEAD~1", "--deps"))[3] == [
        "params.yaml",
        "train.lr",
        "0.1",
        "0.3",
    ]
    commit_all(project, "v3")
    assert solvent_ok(project, "params", "diff") == (
        "No changes in params between HEAD and workspace.\n"
    )


def test_params_diff_targets_a_file_no_stage_reads(project: Path) -> None:
    write(project / "extra.toml", "[a]\nb = 1\n")
    commit_all(project, "extra")
    write(project / "extra.toml", "[a]\nb = 2\n")
    out = solvent_ok(project, "params", "diff", "--targets", "extra.toml", "--json")
    assert json.loads(out) == {"extra.toml": {"a.b": {"old": 1, "new": 2, "diff": 1}}}


def test_metrics_show(project: Path) -> None:
    assert table(solvent_ok(project, "metrics", "show")) == [
        ["Path", "Metric", "Value"],
        ["eval/scores.yaml", "precision", "0.7"],
        ["metrics.json", "auc", "0.93"],
        ["metrics.json", "loss", "0.45"],
        ["metrics.json", "f1.a", "0.81235"],
    ]
    assert table(solvent_ok(project, "metrics", "show", "--precision", "2"))[4] == [
        "metrics.json",
        "f1.a",
        "0.81",
    ]


def test_metrics_show_json_and_a_missing_file(project: Path) -> None:
    (project / "eval" / "scores.yaml").unlink()
    assert table(solvent_ok(project, "metrics", "show"))[1] == ["eval/scores.yaml", "-", "missing"]
    shown = json.loads(solvent_ok(project, "metrics", "show", "--json"))
    files = shown["workspace"]["data"]
    assert files["metrics.json"] == {"data": {"auc": 0.93, "loss": 0.45, "f1": {"a": 0.8123456}}}
    assert files["eval/scores.yaml"]["error"]["type"] == "FileNotFoundError"


def test_metrics_diff(project: Path) -> None:
    assert table(solvent_ok(project, "metrics", "diff")) == [
        ["Metrics:", "HEAD", "→", "workspace"],
        ["Path", "Metric", "Old", "New", "Change"],
        ["eval/scores.yaml", "precision", "-", "0.7", "-"],
        ["metrics.json", "auc", "0.9", "0.93", "0.03"],
        ["metrics.json", "f1.a", "0.8", "0.81235", "0.01235"],
        ["metrics.json", "loss", "0.5", "0.45", "-0.05"],
    ]


def test_metrics_diff_all_precision_and_json(project: Path) -> None:
    write(project / "metrics.json", json.dumps({"auc": 0.9, "loss": 0.25, "f1": {"a": 0.8}}))
    assert table(solvent_ok(project, "metrics", "diff", "--all", "--precision", "1"))[2:] == [
        ["eval/scores.yaml", "precision", "-", "0.7", "-"],
        ["metrics.json", "auc", "0.9", "0.9", "0.0"],
        ["metrics.json", "f1.a", "0.8", "0.8", "0.0"],
        ["metrics.json", "loss", "0.5", "0.2", "-0.2"],
    ]
    assert json.loads(solvent_ok(project, "metrics", "diff", "--json")) == {
        "eval/scores.yaml": {"precision": {"old": None, "new": 0.7}},
        "metrics.json": {"loss": {"old": 0.5, "new": 0.25, "diff": -0.25}},
    }


def test_metrics_diff_between_revisions_with_a_file_missing_at_one(project: Path) -> None:
    commit_all(project, "v2")
    out = json.loads(solvent_ok(project, "metrics", "diff", "HEAD~1", "HEAD", "--json"))
    assert out["eval/scores.yaml"] == {"precision": {"old": None, "new": 0.7}}
    assert out["metrics.json"]["auc"] == {"old": 0.9, "new": 0.93, "diff": 0.03}
    assert solvent_ok(project, "metrics", "diff") == (
        "No changes in metrics between HEAD and workspace.\n"
    )


def test_no_metrics_declared(repo: Path) -> None:
    write(repo / "solvent.yaml", "stages:\n  s:\n    cmd: 'true'\n")
    assert "No metrics files" in solvent_ok(repo, "metrics", "show")
    assert "No metrics files" in solvent_ok(repo, "metrics", "diff")
    assert json.loads(solvent_ok(repo, "metrics", "show", "--json")) == {"workspace": {"data": {}}}


@pytest.mark.parametrize(
    "args",
    [("params", "diff", "nope"), ("metrics", "diff", "HEAD", "nope")],
)
def test_an_unknown_revision_is_a_user_error(project: Path, args: tuple[str, ...]) -> None:
    assert_user_error(solvent(project, *args), "unknown git revision 'nope'")


def test_an_unparsable_file_is_a_user_error(project: Path) -> None:
    write(project / "metrics.json", '{"auc": ')
    proc = solvent(project, "metrics", "show")
    assert_user_error(proc, "metrics.json:1:")
    assert "hint: fix the file" in proc.stderr
    write(project / "params.yaml", "train: [\n")
    assert_user_error(solvent(project, "params", "diff", "--targets", "params.yaml"), "params.yaml")


def test_a_target_outside_the_repo_is_a_user_error(project: Path) -> None:
    assert_user_error(solvent(project, "metrics", "show", "../elsewhere.json"), "outside the repo")
