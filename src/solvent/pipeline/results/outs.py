"""Pipeline outs as checkout targets: what ``solvent checkout`` restores besides pointer files."""

from __future__ import annotations

import fnmatch
from pathlib import PurePosixPath

from solvent.pipeline.planning.graph import Graph, select
from solvent.pipeline.planning.lock import LockedPath, read_lock
from solvent.pipeline.spec.model import Stage
from solvent.repo import RepoLayout
from solvent.tracking.pointer import Pointer, PointerKind, pointer_path_for


def locked_out_pointers(layout: RepoLayout, graph: Graph, stages: list[Stage]) -> list[Pointer]:
    """The cached outs of ``stages`` as the lock last recorded them (never-run stages and
    ``cache: false`` outs have nothing to restore)."""
    lock = read_lock(layout.root)
    pointers = []
    for stage in stages:
        entry = lock.get(stage.name)
        if entry is None:
            continue
        cached = {o.path for o in stage.outs if o.cache}
        for out in entry.outs:
            if out.path in cached:
                pointers.append(locked_pointer(out))
    return pointers


def targeted_out_pointers(
    layout: RepoLayout, graph: Graph, targets: list[str]
) -> tuple[list[Pointer], list[str]]:
    """The locked outs ``targets`` name, and the targets that name none (tracked data).

    A target that names a stage (or a glob of names) restores all of that stage's outs and is
    never read as a path, even where an out has the same name (stage ``model`` writing
    ``model``); only a target that names no stage is matched against out paths, and restores
    that out alone."""
    names = [s.name for s in graph.pipeline.stages]
    by_name = [t for t in targets if any(fnmatch.fnmatchcase(n, t) for n in names)]
    outs = {o.path for s in graph.pipeline.stages for o in s.outs}
    by_path = {
        PurePosixPath(t.rstrip("/"))
        for t in targets
        if t not in by_name and PurePosixPath(t.rstrip("/")) in outs
    }
    rest = [t for t in targets if t not in by_name and PurePosixPath(t.rstrip("/")) not in by_path]
    found = []
    if by_name:
        found = locked_out_pointers(layout, graph, select(graph, by_name, single_item=True))
    if by_path:
        owners = [s for s in graph.pipeline.stages if any(o.path in by_path for o in s.outs)]
        found += [p for p in locked_out_pointers(layout, graph, owners) if p.path in by_path]
    unique = {p.path: p for p in found}
    return list(unique.values()), rest


def locked_pointer(out: LockedPath) -> Pointer:
    """A lock's record of a path, as a pointer that checkout, fetch and push understand."""
    kind: PointerKind = "file" if out.files is None else "dir"
    return Pointer(pointer_path_for(out.path), out.path, out.id, kind, out.size, out.files or 1,
                   out.executable)  # fmt: skip
