"""Pipelines for the drawing tests, built as values (no yaml), with plans that give every state."""

from __future__ import annotations

from pathlib import PurePosixPath

from solvent.pipeline.planning.graph import Graph, build_graph
from solvent.pipeline.planning.plan import Plan, StagePlan, StaleReason, Why
from solvent.pipeline.spec.model import Out, ParamRef, Pipeline, Stage

P = PurePosixPath


def stage(
    name: str,
    deps: tuple[str, ...] = (),
    outs: tuple[str, ...] = (),
    cmd: str | None = None,
    **kw: object,
) -> Stage:
    return Stage(
        name=name,
        cmd=(cmd or f"python src/{name.split('@')[0]}.py",),
        wdir=P("."),
        deps=tuple(P(d) for d in deps),
        outs=tuple(Out(P(o)) for o in outs),
        **kw,  # type: ignore[arg-type]
    )


def graph(*stages: Stage) -> Graph:
    return build_graph(Pipeline(P("solvent.yaml"), stages))


def six_stages() -> Graph:
    """prepare → featurize → two models trained in parallel → evaluate; a frozen export.

    ``evaluate`` also reads a file inside prepare's out folder."""
    return graph(
        stage("prepare", ("data/raw.csv",), ("data/prepared",)),
        stage(
            "featurize",
            ("data/prepared",),
            ("data/features.csv",),
            params=(ParamRef(P("params.yaml"), "features.n"),),
        ),
        stage("train@lr-0.1", ("data/features.csv",), ("models/lr-0.1.pkl",)),
        stage("train@lr-0.01", ("data/features.csv",), ("models/lr-0.01.pkl",)),
        stage(
            "evaluate",
            ("models/lr-0.1.pkl", "models/lr-0.01.pkl", "data/prepared/test.csv"),
            ("metrics.json",),
        ),
        stage("export", ("data/raw.csv",), ("export/legacy.parquet",), frozen=True),
    )


def six_stage_plan(g: Graph) -> tuple[Plan, dict[str, str]]:
    """prepare up to date, featurize stale (a param), train@lr-0.01 failed last time and is
    still stale, the rest stale downstream, export frozen."""
    why = {
        "featurize": (StaleReason(Why.PARAM_CHANGED, "features.n", 10, 20),),
        "train@lr-0.1": (StaleReason(Why.UPSTREAM_STALE, "featurize"),),
        "train@lr-0.01": (StaleReason(Why.CMD_CHANGED), StaleReason(Why.NEVER_RUN)),
        "evaluate": (StaleReason(Why.UPSTREAM_STALE, "train@lr-0.1"),),
        "export": (StaleReason(Why.NEVER_RUN),),
    }
    plan = Plan(tuple(StagePlan(s, why.get(s.name, ())) for s in g.pipeline.stages))
    return plan, {"train@lr-0.01": "failed", "prepare": "failed", "export": "failed"}


EXPECTED_STATES = {
    "prepare": "up to date",  # failed once, but up to date now
    "featurize": "stale",
    "train@lr-0.1": "stale",
    "train@lr-0.01": "failed",
    "evaluate": "stale",
    "export": "frozen",  # frozen wins over a failed last run
}
