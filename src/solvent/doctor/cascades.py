"""Correction cascades (§2.2): a model trained on what another model produced."""

from __future__ import annotations

from solvent.doctor.findings import Finding
from solvent.doctor.project import Project


def scan(project: Project) -> list[Finding]:
    graph = project.graph
    if graph is None:
        return []
    models = {s.name for s in project.model_stages}
    found: list[Finding] = []
    for stage in project.model_stages:
        for upstream, path in _nearest_models(project, stage.name, models):
            found.append(
                Finding(
                    "cascade",
                    "correction-cascade",
                    "warning",
                    f"model stage '{stage.name}' trains on {path}, which comes from model "
                    f"stage '{upstream}'",
                    f"train '{stage.name}' on the inputs '{upstream}' uses (or add them as "
                    f"features of one model) instead of '{upstream}''s predictions; if the "
                    "cascade is meant, accept it in .solvent/config.toml: [doctor] ignore = "
                    f'["correction-cascade:{stage.name}"], with a comment saying why',
                    file=project.stage_file(stage),
                    line=project.line_in_stage(stage, str(path)),
                    stage=stage.name,
                    subject=upstream,
                )
            )
    return found


def _nearest_models(project: Project, name: str, models: set[str]) -> list[tuple[str, str]]:
    """The model stages upstream of ``name`` with no other model between, each with the dep
    of ``name`` its data arrives through."""
    graph = project.graph
    assert graph is not None
    found: dict[str, str] = {}
    for edge in graph.edges:
        if edge.stage != name:
            continue
        todo, seen = [edge.upstream], set()
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            if current in models:
                found.setdefault(current, str(edge.path))
                continue  # a model further up is this model's cascade, not ours
            todo.extend(graph.upstream(current))
    return sorted(found.items())
