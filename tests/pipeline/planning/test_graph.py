from __future__ import annotations

import pytest

from solvent.errors import MalformedFileError, UsageError
from solvent.pipeline.planning.graph import Graph, build_graph, select
from solvent.pipeline.spec.model import Stage
from tests.pipeline.builders import pipeline, stage


def names(stages: list[Stage]) -> list[str]:
    return [s.name for s in stages]


def diamond() -> Graph:
    return build_graph(
        pipeline(
            stage("prepare", deps=("data/raw.csv",), outs=("data/prepared",)),
            stage("features", deps=("data/prepared/train.csv",), outs=("features.npy",)),
            stage("train_a", deps=("features.npy",), outs=("a.pkl",)),
            stage("train_b", deps=("features.npy",), outs=("b.pkl",)),
            stage("evaluate", deps=("a.pkl", "b.pkl"), outs=("metrics.json",)),
        )
    )


def test_edges_follow_outs_to_deps_including_a_dep_inside_an_out_folder() -> None:
    g = build_graph(
        pipeline(
            stage("prepare", outs=("data/prepared",)),
            stage("features", deps=("data/prepared/train.csv",), outs=("f.npy",)),
            stage("everything", deps=("data",)),  # a dep folder holding an out
        )
    )
    assert g.upstream("features") == {"prepare"}
    assert g.upstream("everything") == {"prepare"}
    assert g.downstream("prepare") == {"features", "everything"}


def test_order_and_layers() -> None:
    g = diamond()
    assert names(g.order()) == ["prepare", "features", "train_a", "train_b", "evaluate"]
    assert g.layers() == [["prepare"], ["features"], ["train_a", "train_b"], ["evaluate"]]


def test_cycle_is_reported_with_its_path() -> None:
    with pytest.raises(MalformedFileError, match=r"cycle: .*a → .*b") as e:
        build_graph(
            pipeline(stage("a", deps=("y",), outs=("x",)), stage("b", deps=("x",), outs=("y",)))
        )
    assert "→" in e.value.message


@pytest.mark.parametrize(
    ("first", "second"), [("out.csv", "out.csv"), ("data", "data/part.csv"), ("data/x", "data")]
)
def test_two_stages_writing_overlapping_outs_are_refused(first: str, second: str) -> None:
    with pytest.raises(MalformedFileError, match="'a' and 'b' both write"):
        build_graph(pipeline(stage("a", outs=(first,)), stage("b", outs=(second,))))


def test_a_stage_reading_its_own_out_is_refused() -> None:
    with pytest.raises(MalformedFileError, match="also writes"):
        build_graph(pipeline(stage("a", deps=("x/y",), outs=("x",))))


def test_select_upstream_downstream_single_item_globs_and_paths() -> None:
    g = diamond()
    assert names(select(g, ["train_a"])) == ["prepare", "features", "train_a"]
    assert names(select(g, ["train_a"], single_item=True)) == ["train_a"]
    assert names(select(g, ["features"], downstream=True)) == [
        "features", "train_a", "train_b", "evaluate",
    ]  # fmt: skip
    assert names(select(g, ["train_*"], single_item=True)) == ["train_a", "train_b"]
    assert names(select(g, ["b.pkl"], single_item=True)) == ["train_b"]


def test_select_unknown_target_suggests_the_closest_stage() -> None:
    with pytest.raises(UsageError, match="no stage or out named 'trian_a'") as e:
        select(diamond(), ["trian_a"])
    assert e.value.hint is not None and "train_a" in e.value.hint
