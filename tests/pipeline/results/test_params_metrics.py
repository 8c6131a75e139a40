"""Params and metrics compared between git revisions and the workspace, as DVC compares them."""

from __future__ import annotations

import json
import math
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solvent.errors import GitError, MalformedFileError, UsageError
from solvent.pipeline.results.params_metrics import (
    Row,
    ValuesDiff,
    _change,
    metrics_diff,
    metrics_files,
    metrics_show,
    params_diff,
    params_files,
)
from solvent.pipeline.spec.model import Out, ParamRef, Pipeline, Stage
from solvent.repo import RepoLayout
from tests.helpers import commit_all, git, solvent_ok, write

P = PurePosixPath


def stage(
    name: str, params: tuple[tuple[str, str | None], ...] = (), metrics: tuple[str, ...] = ()
) -> Stage:
    return Stage(
        name=name,
        cmd=("true",),
        wdir=P("."),
        params=tuple(ParamRef(P(f), k) for f, k in params),
        outs=tuple(Out(P(m), kind="metric", cache=False) for m in metrics),
    )


TRAIN = stage(
    "train",
    params=(("params.yaml", "train.lr"), ("params.yaml", "train.epochs"), ("model.json", "tree")),
    metrics=("metrics.json",),
)
EVALUATE = stage("evaluate", metrics=("eval/scores.yaml", "metrics.json"))
PIPELINE = Pipeline(P("solvent.yaml"), (TRAIN, EVALUATE))


def rows(result: ValuesDiff) -> list[tuple[str, str, str, object, object]]:
    return [(r.path, r.key, r.state, r.old, r.new) for r in result.rows]


@pytest.fixture
def params_repo(repo: Path) -> Path:
    """params.yaml and model.json committed at v1; the workspace holds v2."""
    write(repo / "params.yaml", "train:\n  lr: 0.1\n  epochs: 10\n  unused: a\nseed: 1\n")
    write(repo / "model.json", json.dumps({"tree": {"depth": 3, "kind": "gbm"}, "other": 1}))
    commit_all(repo, "params v1")
    write(repo / "params.yaml", "train:\n  lr: 0.2\n  epochs: 10\n  unused: b\nseed: 1\nnew: x\n")
    write(repo / "model.json", json.dumps({"tree": {"depth": 4, "kind": "gbm"}, "other": 2}))
    return repo


@pytest.fixture
def metrics_repo(repo: Path) -> Path:
    """metrics.json committed at v1 (eval/scores.yaml not yet); the workspace holds v2."""
    v1 = {"auc": 0.9, "loss": 0.5, "f1": {"a": 0.8, "b": 0.7}, "name": "run1", "curve": [1, 2]}
    write(repo / "metrics.json", json.dumps(v1))
    commit_all(repo, "metrics v1")
    v2 = {"auc": 0.93, "loss": 0.45, "f1": {"a": 0.8, "b": 0.75}, "name": "run2", "n": 7}
    write(repo / "metrics.json", json.dumps(v2))
    write(repo / "eval" / "scores.yaml", "precision: 0.7\nrecall: null\n")
    return repo


# -- which files and keys ------------------------------------------------------------------


def test_params_files_are_whole_files_plus_params_yaml_like_dvc() -> None:
    assert params_files(PIPELINE) == {P("params.yaml"): None, P("model.json"): None}
    assert params_files(None) == {P("params.yaml"): None}


def test_params_files_with_deps_only_are_the_declared_keys() -> None:
    whole = stage("all", params=(("other.toml", None), ("other.toml", "x")))
    found = params_files(Pipeline(P("solvent.yaml"), (TRAIN, whole)), deps_only=True)
    assert found == {
        P("params.yaml"): frozenset({"train.lr", "train.epochs"}),
        P("model.json"): frozenset({"tree"}),
        P("other.toml"): None,
    }


def test_metrics_files_are_the_metric_outs_once_each() -> None:
    plain_out = Stage("s", ("true",), P("."), outs=(Out(P("model.bin")),))
    pipeline = Pipeline(P("solvent.yaml"), (TRAIN, EVALUATE, plain_out))
    assert metrics_files(pipeline) == [P("eval/scores.yaml"), P("metrics.json")]
    assert metrics_files(None) == []


# -- params diff ---------------------------------------------------------------------------


def test_params_diff_shows_changed_keys_of_whole_files(params_repo: Path) -> None:
    result = params_diff(RepoLayout(params_repo), PIPELINE)
    assert (result.a, result.b) == ("HEAD", "workspace")
    assert result.files == ("model.json", "params.yaml")
    assert rows(result) == [
        ("model.json", "other", "modified", 1, 2),
        ("model.json", "tree.depth", "modified", 3, 4),
        ("params.yaml", "new", "added", None, "x"),
        ("params.yaml", "train.lr", "modified", 0.1, 0.2),
        ("params.yaml", "train.unused", "modified", "a", "b"),
    ]


def test_params_diff_unchanged_shows_every_key(params_repo: Path) -> None:
    result = params_diff(RepoLayout(params_repo), PIPELINE, unchanged=True)
    unchanged = [(r.path, r.key, r.old) for r in result.rows if r.state == "unchanged"]
    assert unchanged == [
        ("model.json", "tree.kind", "gbm"),
        ("params.yaml", "seed", 1),
        ("params.yaml", "train.epochs", 10),
    ]
    assert len(result.rows) == 8


def test_params_diff_deps_only_flattens_a_declared_section(params_repo: Path) -> None:
    result = params_diff(RepoLayout(params_repo), PIPELINE, deps_only=True)
    assert rows(result) == [
        ("model.json", "tree.depth", "modified", 3, 4),
        ("params.yaml", "train.lr", "modified", 0.1, 0.2),
    ]


def test_params_diff_between_two_revisions_both_ways(params_repo: Path) -> None:
    commit_all(params_repo, "params v2")
    write(params_repo / "params.yaml", "train:\n  lr: 9\n")  # the workspace is not read
    forward = params_diff(RepoLayout(params_repo), PIPELINE, "HEAD~1", "HEAD", deps_only=True)
    assert (forward.a, forward.b) == ("HEAD~1", "HEAD")
    assert [(r.key, r.old, r.new) for r in forward.rows] == [
        ("tree.depth", 3, 4),
        ("train.lr", 0.1, 0.2),
    ]
    back = params_diff(RepoLayout(params_repo), PIPELINE, "HEAD", "HEAD~1", deps_only=True)
    assert [(r.key, r.old, r.new) for r in back.rows] == [
        ("tree.depth", 4, 3),
        ("train.lr", 0.2, 0.1),
    ]


def test_a_key_or_file_missing_on_one_side_is_added_or_deleted(repo: Path) -> None:
    write(repo / "params.yaml", "train:\n  lr: 0.1\n")
    commit_all(repo, "only lr")
    write(repo / "params.yaml", "train:\n  epochs: 5\n")
    write(repo / "model.json", '{"tree": 1}')
    result = params_diff(RepoLayout(repo), PIPELINE, deps_only=True)
    assert rows(result) == [
        ("model.json", "tree", "added", None, 1),
        ("params.yaml", "train.epochs", "added", None, 5),
        ("params.yaml", "train.lr", "deleted", 0.1, None),
    ]
    assert result.to_json() == {
        "model.json": {"tree": {"old": None, "new": 1}},
        "params.yaml": {
            "train.epochs": {"old": None, "new": 5},
            "train.lr": {"old": 0.1, "new": None},
        },
    }


def test_values_are_typed_as_dvc_types_them(repo: Path) -> None:
    """YAML 1.2 as DVC reads params: 1e-5 is a float, yes is a string; TOML and JSON too."""
    write(repo / "params.yaml", "lr: 1e-4\nflag: 'no'\nday: 2024-01-01\n")
    write(repo / "cfg.toml", "[opt]\nmomentum = 0.8\n")
    commit_all(repo, "v1")
    write(repo / "params.yaml", "lr: 1e-5\nflag: yes\nday: 2024-01-02\n")
    write(repo / "cfg.toml", "[opt]\nmomentum = 0.9\n")
    toml = stage("t", params=(("cfg.toml", "opt.momentum"),))
    result = params_diff(RepoLayout(repo), Pipeline(P("solvent.yaml"), (toml,)))
    assert rows(result) == [
        ("cfg.toml", "opt.momentum", "modified", 0.8, 0.9),
        ("params.yaml", "day", "modified", "2024-01-01", "2024-01-02"),
        ("params.yaml", "flag", "modified", "no", "yes"),
        ("params.yaml", "lr", "modified", 1e-4, 1e-5),
    ]


def test_equal_values_of_another_type_count_as_changed(repo: Path) -> None:
    write(repo / "params.yaml", "a: 1\nb: .nan\nc: [1, 2]\n")
    commit_all(repo, "v1")
    write(repo / "params.yaml", "a: 1.0\nb: .nan\nc: [1, 2]\n")
    assert rows(params_diff(RepoLayout(repo), None)) == [("params.yaml", "a", "modified", 1, 1.0)]


def test_targets_compare_named_files(params_repo: Path) -> None:
    result = params_diff(RepoLayout(params_repo), PIPELINE, targets=[P("model.json")])
    assert result.files == ("model.json",)
    assert [r.key for r in result.rows] == ["other", "tree.depth"]


# -- metrics -------------------------------------------------------------------------------


def test_metrics_show_keeps_numbers_and_strings(metrics_repo: Path) -> None:
    shown = metrics_show(RepoLayout(metrics_repo), PIPELINE)
    assert shown.rev == "workspace"
    scores, metrics = shown.files
    assert scores.path == "eval/scores.yaml"
    assert scores.values == {"precision": 0.7}  # null dropped, as DVC does
    assert metrics.values == {
        "auc": 0.93,
        "loss": 0.45,
        "f1.a": 0.8,
        "f1.b": 0.75,
        "name": "run2",
        "n": 7,
    }
    assert shown.to_json()["workspace"]["data"]["metrics.json"] == {"data": metrics.data}
    assert metrics.data is not None and metrics.data["f1"] == {"a": 0.8, "b": 0.75}


def test_metrics_show_reports_a_missing_file(metrics_repo: Path) -> None:
    (metrics_repo / "metrics.json").unlink()
    shown = metrics_show(RepoLayout(metrics_repo), PIPELINE)
    missing = shown.files[1]
    assert (missing.path, missing.data, missing.values) == ("metrics.json", None, {})
    error = shown.to_json()["workspace"]["data"]["metrics.json"]["error"]
    assert error["type"] == "FileNotFoundError"
    assert "metrics.json" in error["msg"]


def test_metrics_show_at_a_revision(metrics_repo: Path) -> None:
    shown = metrics_show(RepoLayout(metrics_repo), PIPELINE, rev="HEAD")
    assert shown.rev == "HEAD"
    assert [(f.path, f.data is None) for f in shown.files] == [
        ("eval/scores.yaml", True),
        ("metrics.json", False),
    ]
    assert shown.files[1].values["auc"] == 0.9


def test_metrics_diff_with_changes(metrics_repo: Path) -> None:
    result = metrics_diff(RepoLayout(metrics_repo), PIPELINE)
    assert [(r.path, r.key, r.state, r.old, r.new, r.change) for r in result.rows] == [
        ("eval/scores.yaml", "precision", "added", None, 0.7, None),
        ("metrics.json", "auc", "modified", 0.9, 0.93, 0.03),
        ("metrics.json", "f1.b", "modified", 0.7, 0.75, 0.05),
        ("metrics.json", "loss", "modified", 0.5, 0.45, -0.05),
        ("metrics.json", "n", "added", None, 7, None),
        ("metrics.json", "name", "modified", "run1", "run2", None),
    ]
    as_json = result.to_json()
    assert as_json["metrics.json"]["auc"] == {"old": 0.9, "new": 0.93, "diff": 0.03}
    assert as_json["metrics.json"]["name"] == {"old": "run1", "new": "run2"}
    assert as_json["eval/scores.yaml"]["precision"] == {"old": None, "new": 0.7}


def test_metrics_diff_unchanged_and_revisions(metrics_repo: Path) -> None:
    result = metrics_diff(RepoLayout(metrics_repo), PIPELINE, unchanged=True)
    assert Row("metrics.json", "f1.a", "unchanged", 0.8, 0.8, 0.0) in result.rows
    commit_all(metrics_repo, "metrics v2")
    (metrics_repo / "metrics.json").unlink()
    gone = metrics_diff(RepoLayout(metrics_repo), PIPELINE)
    assert {(r.path, r.state) for r in gone.rows} == {("metrics.json", "deleted")}
    between = metrics_diff(RepoLayout(metrics_repo), PIPELINE, "HEAD~1", "HEAD")
    assert [r.key for r in between.rows] == ["precision", "auc", "f1.b", "loss", "n", "name"]


# -- mistakes ------------------------------------------------------------------------------


def test_an_unknown_revision_names_it(params_repo: Path) -> None:
    with pytest.raises(GitError, match="unknown git revision 'nope'") as e:
        params_diff(RepoLayout(params_repo), PIPELINE, "nope")
    assert e.value.hint is not None


def test_an_unparsable_file_names_file_line_and_revision(metrics_repo: Path) -> None:
    write(metrics_repo / "metrics.json", '{"auc": 0.9,\n')
    with pytest.raises(MalformedFileError, match=r"^metrics.json:2: ") as e:
        metrics_diff(RepoLayout(metrics_repo), PIPELINE)
    assert e.value.hint == "fix the file, or rerun the stage that writes it"
    commit_all(metrics_repo, "broken")
    write(metrics_repo / "metrics.json", "{}")
    with pytest.raises(MalformedFileError, match=r"^metrics.json:2 \(at HEAD\): ") as e:
        metrics_diff(RepoLayout(metrics_repo), PIPELINE)
    assert "another revision" in (e.value.hint or "")


@pytest.mark.parametrize(
    ("name", "text", "needle"),
    [
        ("params.yaml", "a: [1\n", "params.yaml:2: "),
        ("params.yaml", "- 1\n- 2\n", "expected a mapping"),
        ("params.toml", "a = \n", "params.toml: "),
        ("params.yaml", b"\xff\xfe", "not UTF-8"),
    ],
)
def test_unparsable_params(repo: Path, name: str, text: str | bytes, needle: str) -> None:
    write(repo / name, text)
    with pytest.raises(MalformedFileError, match=needle):
        params_diff(RepoLayout(repo), None, targets=[P(name)])


def test_a_folder_is_refused(metrics_repo: Path) -> None:
    with pytest.raises(UsageError, match="eval is a folder"):
        metrics_show(RepoLayout(metrics_repo), None, targets=[P("eval")])
    commit_all(metrics_repo, "eval")
    with pytest.raises(UsageError, match="eval at HEAD is a folder"):
        metrics_diff(RepoLayout(metrics_repo), None, targets=[P("eval")])


def test_without_git_show_works_and_revisions_are_refused(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    root.mkdir()
    solvent_ok(root, "init", "--no-git")
    write(root / "metrics.json", '{"auc": 1}')
    assert metrics_show(RepoLayout(root), PIPELINE).files[1].values == {"auc": 1}
    with pytest.raises(UsageError, match="not a git repo"):
        metrics_diff(RepoLayout(root), PIPELINE)


def test_reading_at_a_revision_does_not_touch_the_workspace(params_repo: Path) -> None:
    before = git(params_repo, "status", "--porcelain")
    params_diff(RepoLayout(params_repo), PIPELINE, "HEAD", "HEAD")
    assert git(params_repo, "status", "--porcelain") == before


# -- the change column ---------------------------------------------------------------------


def test_change_is_only_for_two_numbers() -> None:
    assert _change(1, 3) == 2
    assert _change(0.9, 0.93) == 0.03
    assert _change(1000.0, 1000.1) == 0.1
    assert _change(True, 2) is None
    assert _change("a", 1) is None
    assert _change(None, 1) is None
    assert _change(math.inf, math.inf) is None


@given(
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
)
def test_change_stays_within_float_noise_of_the_difference(old: float, new: float) -> None:
    change = _change(old, new)
    exact = new - old
    if not math.isfinite(exact):
        assert change is None
        return
    assert change is not None
    assert abs(change - exact) <= 1e-14 * max(abs(old), abs(new))
    json.dumps(change, allow_nan=False)
