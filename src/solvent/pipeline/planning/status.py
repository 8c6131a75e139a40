"""The pipeline half of ``solvent status`` and ``repro --dry``: a plan for the whole DAG."""

from __future__ import annotations

from solvent.pipeline.planning.codedeps import CodeDeps
from solvent.pipeline.planning.graph import Graph
from solvent.pipeline.planning.lock import read_lock
from solvent.pipeline.planning.plan import Plan, StagePlan, StageState, plan
from solvent.pipeline.planning.state import ParamReader, stage_state
from solvent.pipeline.spec.model import Stage
from solvent.repo import RepoLayout


def pipeline_plan(
    layout: RepoLayout, graph: Graph, stages: list[Stage], forced: set[str] | None = None,
    jobs: int = 1,
) -> Plan:  # fmt: skip
    params, code = ParamReader(layout.root), CodeDeps(layout, still=True)
    states: dict[str, StageState] = {
        s.name: stage_state(layout, s, params, jobs, code) for s in stages
    }
    lock = read_lock(layout.root)
    if not (layout.root / "dvc.lock").is_file():
        return plan(graph, stages, lock, states, forced)
    from solvent.dvc.adopt import with_adopted  # a stage DVC ran is up to date as dvc.lock says

    lock, why_not = with_adopted(layout, stages, lock, states)
    found = plan(graph, stages, lock, states, forced)
    if not why_not:
        return found
    from dataclasses import replace

    from solvent.dvc.adopt import explained

    def told(p: StagePlan) -> StagePlan:  # "never run" by Solvent: say why dvc.lock is not used
        return replace(p, reasons=explained(p.reasons, why_not.get(p.stage.name)))

    return replace(found, stages=tuple(told(p) for p in found.stages))
