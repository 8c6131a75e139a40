"""Pipeline outs as checkout targets: what ``solvent checkout`` restores besides pointer files."""

from __future__ import annotations

from solvent.pipeline.graph import Graph
from solvent.pipeline.lock import LockedPath, read_lock
from solvent.pipeline.model import Stage
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


def locked_pointer(out: LockedPath) -> Pointer:
    """A lock's record of a path, as a pointer that checkout, fetch and push understand."""
    kind: PointerKind = "file" if out.files is None else "dir"
    return Pointer(pointer_path_for(out.path), out.path, out.id, kind, out.size, out.files or 1,
                   out.executable)  # fmt: skip
