"""Stage states and the two views (stages, files) every renderer draws."""

from __future__ import annotations

import pytest

from solvent.pipeline.planning.plan import Plan, StagePlan
from solvent.viz.model import State, build_view, stage_states, topo_order
from tests.viz.pipelines import EXPECTED_STATES, graph, six_stage_plan, six_stages, stage


def test_states_come_from_the_plan_and_the_last_outcomes() -> None:
    g = six_stages()
    plan, outcomes = six_stage_plan(g)
    states = stage_states(plan, outcomes)
    assert {name: s.value for name, s in states.items()} == EXPECTED_STATES


def test_without_outcomes_a_stale_stage_is_stale_not_failed() -> None:
    g = six_stages()
    plan, _ = six_stage_plan(g)
    assert stage_states(plan, {})["train@lr-0.01"] is State.STALE


def test_a_frozen_stage_with_no_reasons_is_frozen() -> None:
    s = stage("fixed", (), ("a",), frozen=True)
    assert stage_states(Plan((StagePlan(s),)), {}) == {"fixed": State.FROZEN}


def test_stage_view_has_every_stage_once_in_upstream_first_order() -> None:
    g = six_stages()
    view = build_view(g)
    ids = [n.id for n in view.nodes]
    assert sorted(ids) == sorted(s.name for s in g.pipeline.stages)
    for link in view.links:
        assert ids.index(link.source) < ids.index(link.target)
    assert {(link.source, link.target) for link in view.links} == {
        ("prepare", "featurize"),
        ("featurize", "train@lr-0.1"),
        ("featurize", "train@lr-0.01"),
        ("train@lr-0.1", "evaluate"),
        ("train@lr-0.01", "evaluate"),
        ("prepare", "evaluate"),  # data/prepared/test.csv is inside prepare's out folder
    }
    assert all(n.state is None for n in view.nodes)  # no plan given: no colours


def test_stage_view_details_name_cmd_deps_params_outs_and_reasons() -> None:
    g = six_stages()
    plan, outcomes = six_stage_plan(g)
    node = build_view(g, plan, outcomes).node("featurize")
    details = dict(node.details)
    assert details["cmd"] == ("python src/featurize.py",)
    assert details["deps"] == ("data/prepared", "params.yaml:features.n")
    assert details["outs"] == ("data/features.csv",)
    assert details["why stale"] == ("param features.n 10 → 20",)
    assert node.summary == "stale: param features.n 10 → 20"
    for text in ("python src/featurize.py", "params.yaml:features.n", "10 → 20"):
        assert text in node.tooltip


def test_never_run_is_the_headline_reason() -> None:
    g = six_stages()
    plan, outcomes = six_stage_plan(g)
    node = build_view(g, plan, outcomes).node("train@lr-0.01")
    assert node.reasons == ("never run", "cmd changed")
    assert node.summary == "failed: never run (+1 more)"


def test_up_to_date_and_frozen_stages_carry_no_reasons() -> None:
    g = six_stages()
    plan, outcomes = six_stage_plan(g)
    view = build_view(g, plan, outcomes)
    assert view.node("export").reasons == ()
    assert view.node("export").summary == "frozen"
    assert view.node("prepare").summary == "up to date"


def test_names_restrict_the_view() -> None:
    g = six_stages()
    view = build_view(g, names={"prepare", "featurize"})
    assert [n.id for n in view.nodes] == ["prepare", "featurize"]
    assert [(link.source, link.target) for link in view.links] == [("prepare", "featurize")]


def test_outs_view_draws_files_with_arrows_through_the_stage() -> None:
    g = six_stages()
    plan, outcomes = six_stage_plan(g)
    view = build_view(g, plan, outcomes, outs=True)
    assert view.kind == "outs"
    arrows = {(link.source, link.target): link.label for link in view.links}
    assert arrows == {
        ("data/raw.csv", "data/prepared"): "prepare",
        ("data/prepared", "data/features.csv"): "featurize",
        ("data/features.csv", "models/lr-0.1.pkl"): "train@lr-0.1",
        ("data/features.csv", "models/lr-0.01.pkl"): "train@lr-0.01",
        ("models/lr-0.1.pkl", "metrics.json"): "evaluate",
        ("models/lr-0.01.pkl", "metrics.json"): "evaluate",
        ("data/prepared", "metrics.json"): "evaluate",  # a dep inside an out folder
        ("data/raw.csv", "export/legacy.parquet"): "export",
    }
    raw = view.node("data/raw.csv")
    assert raw.source and raw.state is None and raw.summary == "source"
    assert view.node("models/lr-0.01.pkl").state is State.FAILED  # its writer's state
    assert view.node("export/legacy.parquet").state is State.FROZEN
    assert dict(view.node("metrics.json").details)["written by"] == ("evaluate",)


def test_outs_view_links_a_dep_folder_to_the_outs_inside_it() -> None:
    g = graph(
        stage("a", (), ("models/a.pkl",)),
        stage("b", (), ("models/b.pkl",)),
        stage("publish", ("models",), ("site",)),
    )
    view = build_view(g, outs=True)
    assert {(link.source, link.target) for link in view.links} == {
        ("models/a.pkl", "site"),
        ("models/b.pkl", "site"),
    }
    assert "models" not in [n.id for n in view.nodes]


def test_outs_view_merges_stages_that_make_one_arrow() -> None:
    g = graph(stage("a", ("x",), ("y", "z")))
    view = build_view(g, outs=True)
    assert [n.id for n in view.nodes] == ["x", "y", "z"]
    assert [link.label for link in view.links] == ["a", "a"]


def test_topo_order_follows_the_file_among_ready_nodes() -> None:
    assert topo_order(["c", "a", "b"], [("a", "b")]) == ["c", "a", "b"]
    assert topo_order(["b", "a"], [("a", "b")]) == ["a", "b"]
    with pytest.raises(ValueError, match="cycle"):
        topo_order(["a", "b"], [("a", "b"), ("b", "a")])
