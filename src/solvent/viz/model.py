"""What a DAG drawing shows, independent of the format it is drawn in.

A ``DagView`` is a list of nodes in an order that puts every upstream first, and the arrows
between them. The stage view has one node per stage; the ``outs`` view has one node per file
(every out, and every dep no stage writes) with an arrow from each dep to each out of the
stage that reads and writes them. Every renderer takes a ``DagView``, so both views come out
of every format.
"""

from __future__ import annotations

import heapq
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import PurePosixPath
from typing import Literal, TypeVar

from solvent.pipeline.planning.graph import Graph
from solvent.pipeline.planning.plan import Plan, StaleReason, Why
from solvent.pipeline.spec.model import Stage

NodeKind = Literal["stage", "file"]


class State(Enum):
    UP_TO_DATE = "up to date"
    STALE = "stale"
    FAILED = "failed"
    FROZEN = "frozen"

    @property
    def slug(self) -> str:
        """A name valid as a CSS class, a Mermaid class and a DOT attribute value."""
        return self.value.replace(" ", "_")


@dataclass(frozen=True, slots=True)
class Colors:
    line: str  # border, arrowheads, legend swatch
    fill: str  # background
    text: str  # the state line under the name


# One palette for every format; distinguishable with the common colour-vision deficiencies
# (green/amber/red differ in lightness too) and each state is also spelled out in words.
PALETTE = {
    State.UP_TO_DATE: Colors("#2f9e5f", "#e8f6ee", "#1f7a47"),
    State.STALE: Colors("#d48806", "#fff4dc", "#8a5a00"),
    State.FAILED: Colors("#d64545", "#fdeaea", "#a12b2b"),
    State.FROZEN: Colors("#4a78c2", "#e8f0fb", "#2f5a9e"),
    None: Colors("#8c96a8", "#f3f5f8", "#5b6578"),  # source files, or no plan given
}


@dataclass(frozen=True, slots=True)
class Node:
    id: str  # the stage name, or the file's repo-relative path
    kind: NodeKind
    state: State | None  # None: no plan was given, or a file no stage writes
    reasons: tuple[str, ...] = ()  # why the stage (or the stage writing the file) is stale
    details: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (heading, lines) for tooltips
    source: bool = False  # a file no stage writes: raw data, code, params

    @property
    def summary(self) -> str:
        """One short line under the name: the state and the first reason."""
        if self.state is None:
            return "source" if self.source else ""
        if not self.reasons or self.state is State.FROZEN:
            return self.state.value
        more = f" (+{len(self.reasons) - 1} more)" if len(self.reasons) > 1 else ""
        return f"{self.state.value}: {self.reasons[0]}{more}"

    @property
    def tooltip(self) -> str:
        lines = [self.id]
        for heading, items in self.details:
            lines.append(f"{heading}:")
            lines.extend(f"  {item}" for item in items)
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class Link:
    source: str
    target: str
    label: str | None = None  # outs view: the stage(s) that turn source into target


@dataclass(frozen=True, slots=True)
class DagView:
    kind: Literal["stages", "outs"]
    nodes: tuple[Node, ...]  # every upstream before its downstream
    links: tuple[Link, ...]
    file: str = "solvent.yaml"

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def parents(self, node_id: str) -> list[str]:
        return [link.source for link in self.links if link.target == node_id]

    def children(self, node_id: str) -> list[str]:
        return [link.target for link in self.links if link.source == node_id]


def stage_states(plan: Plan, outcomes: Mapping[str, str]) -> dict[str, State]:
    """The state of every planned stage.

    ``outcomes`` is the last repro's outcome per stage (``read_last_outcomes``). A stage that
    failed and is still stale is failed; once something made it up to date, it is not.
    """
    states = {}
    for p in plan.stages:
        if p.stage.frozen:
            state = State.FROZEN
        elif p.stale:
            state = State.FAILED if outcomes.get(p.stage.name) == "failed" else State.STALE
        else:
            state = State.UP_TO_DATE
        states[p.stage.name] = state
    return states


def build_view(
    graph: Graph,
    plan: Plan | None = None,
    outcomes: Mapping[str, str] | None = None,
    *,
    names: Collection[str] | None = None,
    outs: bool = False,
) -> DagView:
    """The drawing of ``graph`` (only the stages in ``names``, when given), coloured by
    ``plan`` and the last repro's ``outcomes`` when given."""
    chosen = [s for s in graph.pipeline.stages if names is None or s.name in names]
    states = stage_states(plan, outcomes or {}) if plan is not None else {}
    reasons = {p.stage.name: _headline_first(p.reasons) for p in plan.stages} if plan else {}
    file = str(graph.pipeline.file)
    if outs:
        return _outs_view(graph, chosen, states, reasons, file)
    keep = {s.name for s in chosen}
    links = [Link(e.upstream, e.stage) for e in graph.edges if {e.upstream, e.stage} <= keep]
    nodes = {
        s.name: Node(
            s.name,
            "stage",
            states.get(s.name),
            reasons.get(s.name, ()) if states.get(s.name) in _STALE else (),
            _stage_details(s, reasons.get(s.name, ()), states.get(s.name)),
        )
        for s in chosen
    }
    order = topo_order(list(nodes), [(link.source, link.target) for link in links])
    return DagView("stages", tuple(nodes[n] for n in order), tuple(_unique(links)), file)


_STALE = (State.STALE, State.FAILED)


def _headline_first(reasons: Iterable[StaleReason]) -> tuple[str, ...]:
    """Reasons as text, "never run" first: a missing dep of a stage that never ran is news
    about its upstream, not about the stage."""
    ordered = sorted(reasons, key=lambda r: r.why is not Why.NEVER_RUN)
    return tuple(map(str, ordered))


def _stage_details(
    s: Stage, reasons: tuple[str, ...], state: State | None
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    sections: list[tuple[str, tuple[str, ...]]] = []
    if s.desc:
        sections.append(("about", (s.desc,)))
    if state is not None:
        sections.append(("state", (state.value,)))
    sections.append(("cmd", s.cmd))
    if str(s.wdir) != ".":
        sections.append(("wdir", (str(s.wdir),)))
    deps = [str(d) for d in s.deps]
    deps += [f"{p.file}:{p.key}" if p.key else str(p.file) for p in s.params]
    if deps:
        sections.append(("deps", tuple(deps)))
    if s.outs:
        outs = tuple(str(o.path) if o.kind == "out" else f"{o.path} ({o.kind})" for o in s.outs)
        sections.append(("outs", outs))
    if reasons and state in _STALE:
        sections.append(("why stale", reasons))
    return tuple(sections)


def _outs_view(
    graph: Graph,
    chosen: list[Stage],
    states: Mapping[str, State],
    reasons: Mapping[str, tuple[str, ...]],
    file: str,
) -> DagView:
    writer = {str(o.path): s for s in graph.pipeline.stages for o in s.outs}
    readers: dict[str, list[str]] = {}
    links: dict[tuple[str, str], list[str]] = {}
    order: list[str] = []  # files in the order the stages mention them
    for s in chosen:
        for out in s.outs:
            order.append(str(out.path))
        for dep in s.deps:
            # A dep inside an out folder, or a folder holding outs, reads the writers' outs.
            sources = [
                p for p, w in writer.items() if w.name != s.name and _related(PurePosixPath(p), dep)
            ]
            for src in sources or [str(dep)]:
                order.append(src)
                readers.setdefault(src, []).append(s.name)
                for out in s.outs:
                    links.setdefault((src, str(out.path)), []).append(s.name)
    nodes: dict[str, Node] = {}
    for path in _unique(order):
        w = writer.get(path)
        details: list[tuple[str, tuple[str, ...]]] = []
        if w is not None:
            details.append(("written by", (w.name,)))
            kind = next(o.kind for o in w.outs if str(o.path) == path)
            if kind != "out":
                details.append(("kind", (kind,)))
        if path in readers:
            details.append(("read by", tuple(_unique(readers[path]))))
        state = states.get(w.name) if w is not None else None
        why = reasons.get(w.name, ()) if w is not None and state in _STALE else ()
        if why:
            details.append(("why stale", why))
        nodes[path] = Node(path, "file", state, why, tuple(details), source=w is None)
    ordered = topo_order(list(nodes), list(links))
    arrows = tuple(Link(a, b, ", ".join(_unique(via))) for (a, b), via in links.items())
    return DagView("outs", tuple(nodes[n] for n in ordered), arrows, file)


def _related(a: PurePosixPath, b: PurePosixPath) -> bool:
    return a == b or a in b.parents or b in a.parents


T = TypeVar("T")


def _unique(items: Iterable[T]) -> list[T]:
    return list(dict.fromkeys(items))


def topo_order(ids: Sequence[str], edges: Iterable[tuple[str, str]]) -> list[str]:
    """``ids`` with every source before its targets; among the nodes that are ready, the one
    listed first comes first, so the drawing follows the order of the file."""
    position = {n: i for i, n in enumerate(ids)}
    waiting = dict.fromkeys(ids, 0)
    after: dict[str, list[str]] = {n: [] for n in ids}
    for a, b in set(edges):
        if a in position and b in position:
            after[a].append(b)
            waiting[b] += 1
    ready = [(position[n], n) for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        _, n = heapq.heappop(ready)
        ordered.append(n)
        for m in after[n]:
            waiting[m] -= 1
            if waiting[m] == 0:
                heapq.heappush(ready, (position[m], m))
    if len(ordered) != len(ids):  # build_graph refuses cycles; never draw half a graph
        raise ValueError("the graph has a cycle")
    return ordered
