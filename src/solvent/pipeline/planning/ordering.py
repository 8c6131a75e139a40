"""Order the spec does not give: how many stages run at once, and edges learned from traces.

Pipelines written for DVC were only ever run one stage at a time, in file order, so a stage
that reads another stage's out without declaring it worked there by luck of the order. Run in
parallel it races. Two guards:

- a ``dvc.yaml`` pipeline runs one stage at a time unless ``-j`` or ``[repro] jobs`` in
  ``.solvent/config.toml`` says otherwise (a ``solvent.yaml`` one runs stages in parallel);
- when the tracer sees a stage read another stage's out undeclared, the pair is kept in
  ``.solvent/learned-edges.json`` and later runs start the reader after the writer, so the
  same race cannot happen twice. A learned edge only orders: it does not make the reader
  stale when the writer reruns (declaring the dep does that), and it is dropped once the dep
  is declared, or when either stage or the out is gone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

from solvent.errors import UsageError
from solvent.pipeline.planning.graph import Edge, Graph
from solvent.repo import RepoLayout, ensure_ignored
from solvent.storage.fsutil import atomic_write_text

LEARNED = PurePosixPath(".solvent/learned-edges.json")


def stages_at_once(
    layout: RepoLayout, pipeline_file: PurePosixPath, asked: int | None, local: bool = True
) -> int | None:
    """``asked`` (``-j``), else ``[repro] jobs`` (``config.local.toml`` over ``config.toml``),
    else 1 for a ``dvc.yaml`` pipeline run here; None: as many as the jobs."""
    if asked:
        return asked
    from solvent.config import read_toml

    for name in ("config.local.toml", "config.toml"):
        table = read_toml(layout.dot / name).get("repro", {})
        value = table.get("jobs") if isinstance(table, dict) else None
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise UsageError(
                f".solvent/{name}: [repro] jobs must be a whole number of stages, 1 or more "
                f"(it is {value!r})",
                f"set it to e.g. 'jobs = 1' or 'jobs = 4' in .solvent/{name}",
            )
        return value
    return 1 if local and pipeline_file.name == "dvc.yaml" else None


def read_learned(layout: RepoLayout) -> tuple[Edge, ...]:
    """The stored edges; a missing or malformed file is no edges (it is only a hint)."""
    try:
        doc = json.loads(layout.abs(LEARNED).read_text())
    except (OSError, ValueError):
        return ()
    found = doc.get("edges") if isinstance(doc, dict) else None
    edges: list[Edge] = []
    for item in found if isinstance(found, list) else ():
        if not isinstance(item, dict):
            continue
        up, stage, path = item.get("upstream"), item.get("stage"), item.get("path")
        if isinstance(up, str) and isinstance(stage, str) and isinstance(path, str) and path:
            edges.append(Edge(up, stage, PurePosixPath(path)))
    return tuple(edges)


def _holds(graph: Graph, edge: Edge) -> bool:
    """The edge still says something: both stages exist, the writer still writes the path and
    the reader does not declare it (which makes a real edge)."""
    names = {s.name for s in graph.pipeline.stages}
    return (
        edge.upstream in names
        and edge.stage in names
        and graph.writer_of(edge.path) == edge.upstream
        and edge.upstream not in graph.upstream(edge.stage)
    )


def _reaches(after: Mapping[str, set[str]], start: str, goal: str) -> bool:
    """``goal`` runs before ``start`` through ``after`` (stage → the stages it waits for)."""
    seen, frontier = {start}, [start]
    while frontier:
        for other in after.get(frontier.pop(), ()):
            if other == goal:
                return True
            if other not in seen:
                seen.add(other)
                frontier.append(other)
    return False


def run_after(graph: Graph, learned: Iterable[Edge]) -> dict[str, set[str]]:
    """Stage → the stages it must wait for: its declared upstreams and the learned edges
    that still hold and close no cycle."""
    after = {s.name: set(graph.upstream(s.name)) for s in graph.pipeline.stages}
    for edge in learned:
        if _holds(graph, edge) and not _reaches(after, edge.upstream, edge.stage):
            after[edge.stage].add(edge.upstream)
    return after


def learn(layout: RepoLayout, graph: Graph, stage: str, reads: Iterable[str]) -> list[Edge]:
    """Keep an edge for each path ``stage`` read undeclared that another stage writes, unless
    an order already exists; returns the new ones (for the warning)."""
    stored = read_learned(layout)
    known = [e for e in stored if _holds(graph, e)]
    after = run_after(graph, known)
    new: list[Edge] = []
    for read in reads:
        path = PurePosixPath(read)
        writer = graph.writer_of(path)
        if writer is None or writer == stage or writer in after.get(stage, set()):
            continue
        if _reaches(after, writer, stage):  # the writer waits for this stage: no order fits
            continue
        edge = Edge(writer, stage, path)
        new.append(edge)
        after.setdefault(stage, set()).add(writer)
    if new or len(known) != len(stored):
        edges = sorted({*known, *new}, key=lambda e: (e.stage, e.upstream, str(e.path)))
        doc = {"edges": [{"upstream": e.upstream, "stage": e.stage, "path": str(e.path)}
                         for e in edges]}  # fmt: skip
        target = layout.abs(LEARNED)
        target.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(target, json.dumps(doc, indent=1) + "\n")
        ensure_ignored(layout.dot, f"/{LEARNED.name}")
    return new
