"""The stage DAG: edges from each out to the deps that read it, cycles, overlapping outs,
and selection of the stages a command works on."""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from graphlib import CycleError, TopologicalSorter
from pathlib import PurePosixPath

from solvent.errors import MalformedFileError, UsageError
from solvent.pipeline.spec.model import Pipeline, Stage


@dataclass(frozen=True, slots=True)
class Edge:
    """``stage`` reads ``path``, which ``upstream`` writes (the same path, or one inside the
    other: a dep inside an out folder, or a dep folder holding an out)."""

    upstream: str
    stage: str
    path: PurePosixPath


@dataclass(frozen=True, slots=True)
class Graph:
    pipeline: Pipeline
    edges: tuple[Edge, ...]

    def upstream(self, name: str) -> set[str]:
        return {e.upstream for e in self.edges if e.stage == name}

    def downstream(self, name: str) -> set[str]:
        return {e.stage for e in self.edges if e.upstream == name}

    def writer_of(self, path: PurePosixPath) -> str | None:
        """The stage whose out is ``path`` or a folder holding it (outs never overlap)."""
        for stage in self.pipeline.stages:
            if any(o.path == path or o.path in path.parents for o in stage.outs):
                return stage.name
        return None

    def reach(self, names: set[str], *, downstream: bool = False) -> set[str]:
        """``names`` and every stage upstream of them (or downstream), transitively."""
        step = self.downstream if downstream else self.upstream
        found, frontier = set(names), list(names)
        while frontier:
            for other in step(frontier.pop()):
                if other not in found:
                    found.add(other)
                    frontier.append(other)
        return found

    def order(self, names: set[str] | None = None) -> list[Stage]:
        """Stages in an order that runs every upstream first; file order breaks ties."""
        chosen = names if names is not None else {s.name for s in self.pipeline.stages}
        position = {s.name: i for i, s in enumerate(self.pipeline.stages)}
        sorter: TopologicalSorter[str] = TopologicalSorter()
        for name in sorted(chosen, key=position.__getitem__):
            sorter.add(name, *sorted(self.upstream(name) & chosen, key=position.__getitem__))
        sorter.prepare()
        ordered: list[str] = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready(), key=position.__getitem__)
            ordered.extend(ready)
            sorter.done(*ready)
        return [self.pipeline.stages[position[n]] for n in ordered]

    def layers(self) -> list[list[str]]:
        """Groups of stages that can run at the same time, in order."""
        sorter: TopologicalSorter[str] = TopologicalSorter()
        for s in self.pipeline.stages:
            sorter.add(s.name, *self.upstream(s.name))
        sorter.prepare()
        layers = []
        while sorter.is_active():
            ready = sorted(sorter.get_ready())
            layers.append(ready)
            sorter.done(*ready)
        return layers


def build_graph(pipeline: Pipeline) -> Graph:
    """Connect stages; refuse two stages writing one path and cycles, naming them."""
    writers: dict[PurePosixPath, str] = {}
    # Every out and its parent folders → (writer, out): finds overlaps and a dep's writers
    # in O(depth) per path instead of comparing every pair.
    by_path: dict[PurePosixPath, list[tuple[str, PurePosixPath]]] = {}
    for stage in pipeline.stages:
        for out in stage.outs:
            clash = writers.get(out.path)
            clash_path = out.path
            if clash is None:
                for parent in out.path.parents:  # an earlier out holds this one
                    if parent in writers:
                        clash, clash_path = writers[parent], parent
                        break
            if clash is None and out.path in by_path:  # this out holds an earlier one
                clash, clash_path = by_path[out.path][0]
            if clash is not None and clash != stage.name:
                both = out.path if out.path == clash_path else f"{clash_path} and {out.path}"
                raise MalformedFileError(
                    f"{stage.where}: stages '{clash}' and '{stage.name}' both write {both}",
                    "each path is written by one stage; give one of them another out",
                )
            writers[out.path] = stage.name
            for p in (out.path, *out.path.parents):
                by_path.setdefault(p, []).append((stage.name, out.path))
    edges: list[Edge] = []
    for stage in pipeline.stages:
        seen: set[str] = set()
        for dep in stage.deps:
            found = [(w, p) for w, p in by_path.get(dep, [])]  # outs at or below the dep
            found += [(writers[p], p) for p in dep.parents if p in writers]  # dep inside an out
            for writer, _path in found:
                if writer == stage.name:
                    raise MalformedFileError(
                        f"{stage.where}: stage '{stage.name}' reads {dep}, which it also writes",
                        "a stage cannot depend on its own out; split it into two stages",
                    )
                if writer not in seen:
                    seen.add(writer)
                    edges.append(Edge(writer, stage.name, dep))
    graph = Graph(pipeline, tuple(edges))
    _check_acyclic(graph)
    return graph


def _check_acyclic(graph: Graph) -> None:
    sorter: TopologicalSorter[str] = TopologicalSorter()
    for s in graph.pipeline.stages:
        sorter.add(s.name, *graph.upstream(s.name))
    try:
        sorter.prepare()
    except CycleError as e:
        cycle = list(reversed(e.args[1]))
        raise MalformedFileError(
            f"{graph.pipeline.file}: the stages form a cycle: {' → '.join(cycle)}",
            "a stage's outs cannot feed back into one of its upstream stages",
        ) from None


def select(
    graph: Graph,
    targets: list[str],
    *,
    downstream: bool = False,
    single_item: bool = False,
) -> list[Stage]:
    """The stages to work on, in run order.

    A target is a stage name or glob (``train@*``) or an out path. Without ``single_item``
    every upstream stage is included (as ``dvc repro`` does); ``downstream`` adds every stage
    that depends on a target instead.
    """
    names = [s.name for s in graph.pipeline.stages]
    if not targets:
        return graph.order()
    chosen: set[str] = set()
    for target in targets:
        matched = [n for n in names if fnmatch.fnmatchcase(n, target)]
        if not matched:
            path = PurePosixPath(target)
            matched = [s.name for s in graph.pipeline.stages if any(o.path == path for o in s.outs)]
        if not matched:
            import difflib

            close = difflib.get_close_matches(target, names, n=1)
            raise UsageError(
                f"no stage or out named {target!r} in {graph.pipeline.file}",
                f"did you mean '{close[0]}'?" if close else "'solvent dag' lists the stages",
            )
        chosen.update(matched)
    if not single_item:
        chosen = graph.reach(chosen, downstream=downstream)
    return graph.order(chosen)
