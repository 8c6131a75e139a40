"""Lineage from the run ledger, both ways, as a small graph of data versions and runs.

Backward: the run that wrote this version of a path, the versions it read (and the runs
that wrote those), down to raw data no recorded run produced. Forward: every run that read this
version, what those runs wrote, and so on. A data node is a (path, id) pair, so the answers are
about versions, not file names: ``model.pkl`` trained on last month's data is another node.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any, Literal

from solvent.runs.ledger import Ledger, Role, RunRecord

# (folder, the folder's id, a path inside it) → that path's id in that version of the folder
Inside = Callable[[str, str, str], str | None]
DataRole = Literal["target", "produced", "raw", "source", "code"]  # source: a git file


@dataclass(frozen=True, slots=True)
class DataNode:
    key: str
    path: str
    id: str
    role: DataRole
    tracked_in: str | None = None  # raw data, source: the git commit that tracked this version


@dataclass(frozen=True, slots=True)
class RunNode:
    key: str
    run_id: str
    stage: str
    status: str
    cmd: tuple[str, ...]
    params: dict[str, dict[str, Any]]
    git_commit: str | None
    git_dirty: bool
    started: float
    env: dict[str, str]


@dataclass
class Lineage:
    direction: Literal["backward", "forward"]
    target: DataNode
    data: dict[str, DataNode] = field(default_factory=dict)
    runs: dict[str, RunNode] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)  # data → run: read; run → data

    def children(self, key: str) -> list[str]:
        """What a node leads to in the direction asked about."""
        if self.direction == "forward":
            return [b for a, b in self.edges if a == key]
        return [a for a, b in self.edges if b == key]


def _key(path: str, oid: str) -> str:
    return f"{path}@{oid.partition(':')[2][:10]}"


def _run_node(r: RunRecord) -> RunNode:
    return RunNode(r.run_id, r.run_id, r.stage, r.status, r.cmd, r.params, r.git_commit,
                   r.git_dirty, r.started, r.env)  # fmt: skip


def _latest(runs: list[RunRecord]) -> RunRecord | None:
    """The run to credit: the latest that really ran, else the latest restore."""
    ok = [r for r in runs if r.status == "ran"] or [r for r in runs if r.status == "restored"]
    return ok[-1] if ok else None


def _runs_with(
    ledger: Ledger, role: Role, path: str, oid: str, inside: Inside | None
) -> list[RunRecord]:
    """Runs that read (or wrote) this version of ``path``: by name, or as part of a folder
    whose version holds it (a stage that reads ``data/`` read ``data/a.csv``)."""
    found = ledger.with_path(role, oid, path)
    if inside is None:
        return found
    p = PurePosixPath(path)
    for folder in (f for f in p.parents if f.name):
        rel = str(p.relative_to(folder))
        for run in ledger.at_path(role, str(folder)):
            paths = {"dep": run.deps, "out": run.outs, "code": run.code}[role]
            folder_id = paths.get(str(folder))
            if folder_id and inside(str(folder), folder_id, rel) == oid:
                found.append(run)
    return sorted({r.run_id: r for r in found}.values(), key=lambda r: (r.started, r.run_id))


def backward(
    ledger: Ledger, path: str, oid: str, origin: Callable[[str, str], tuple[str | None, bool]],
    inside: Inside | None = None,
) -> Lineage | None:  # fmt: skip
    """None when no recorded run wrote this version of ``path``. ``origin(path, id)`` says
    which commit tracked a version no run wrote, and whether Solvent tracks it (raw data) or
    git does (a source file)."""
    first = _latest(_runs_with(ledger, "out", path, oid, inside))
    if first is None:
        return None
    target = DataNode(_key(path, oid), path, oid, "target")
    lineage = Lineage("backward", target, {target.key: target})
    todo = [(target.key, first)]
    while todo:
        key, run = todo.pop()
        lineage.edges.append((run.run_id, key))
        if run.run_id in lineage.runs:
            continue
        lineage.runs[run.run_id] = _run_node(run)
        for role, items in (("dep", run.deps), ("code", run.code)):
            for dep_path, dep_id in sorted(items.items()):
                dep_key = _key(dep_path, dep_id)
                lineage.edges.append((dep_key, run.run_id))
                if dep_key in lineage.data:
                    continue
                producer = (
                    _latest(ledger.with_path("out", dep_id, dep_path)) if role == "dep" else None
                )
                kind: DataRole = "code" if role == "code" else "produced" if producer else "raw"
                commit = None
                if kind == "raw":
                    commit, is_data = origin(dep_path, dep_id)
                    kind = "raw" if is_data else "source"
                lineage.data[dep_key] = DataNode(dep_key, dep_path, dep_id, kind, commit)
                if producer is not None:
                    todo.append((dep_key, producer))
    return lineage


def forward(ledger: Ledger, path: str, oid: str, inside: Inside | None = None) -> Lineage:
    """Every run that read this version (as a dep or as code), and what they wrote, onward."""
    target = DataNode(_key(path, oid), path, oid, "target")
    lineage = Lineage("forward", target, {target.key: target})
    todo = [target]
    while todo:
        node = todo.pop()
        folders = inside if node is target else None  # outputs are recorded by name
        users = _runs_with(ledger, "dep", node.path, node.id, folders) + ledger.with_path(
            "code", node.id, node.path
        )
        for run in users:
            if run.status == "failed":
                continue
            lineage.edges.append((node.key, run.run_id))
            if run.run_id in lineage.runs:
                continue
            lineage.runs[run.run_id] = _run_node(run)
            for out_path, out_id in sorted(run.outs.items()):
                key = _key(out_path, out_id)
                lineage.edges.append((run.run_id, key))
                if key not in lineage.data:
                    lineage.data[key] = DataNode(key, out_path, out_id, "produced")
                    todo.append(lineage.data[key])
    return lineage


def to_mermaid(lineage: Lineage) -> str:
    """A Mermaid flowchart: data versions as boxes, runs as rounded nodes, left to right."""
    names: dict[str, str] = {}

    def name(key: str) -> str:
        return names.setdefault(key, f"n{len(names)}")

    lines = ["flowchart LR"]
    for d in lineage.data.values():
        note = f"<br/>tracked in {d.tracked_in[:8]}" if d.tracked_in else ""
        label = f"{d.path}<br/>{d.id.partition(':')[2][:10]}{note}"
        lines.append(f'    {name(d.key)}["{_quote(label)}"]')
    for r in lineage.runs.values():
        lines.append(f'    {name(r.key)}(["{_quote(r.stage)}<br/>run {r.run_id[:8]}"])')
    for a, b in dict.fromkeys(lineage.edges):
        lines.append(f"    {name(a)} --> {name(b)}")
    lines.append(f"    style {name(lineage.target.key)} stroke-width:3px")
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return text.replace('"', "#quot;")
