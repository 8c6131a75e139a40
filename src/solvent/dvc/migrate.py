"""``solvent migrate``: what a DVC project holds and what Solvent takes over, on one screen.

Nothing here reruns a stage or rewrites a DVC file. Applied, it (1) caches the data of each
``.dvc`` pointer by blake3 (from the workspace or the DVC cache, md5 checked), so checkout
works without DVC; (2) records in ``solvent.lock`` every stage whose deps, outs and params
match ``dvc.lock``; (3) adds the remotes of ``.dvc/config`` to ``.solvent/config.toml``.
``status`` and ``repro`` adopt stages and read pointers without it: migrate does it at once.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from solvent.dvc.adopt import DvcLock
from solvent.dvc.config import DvcRemote, read_dvc_config
from solvent.dvc.hashing import Md5Cache
from solvent.dvc.objects import DvcObjects, IdMap
from solvent.dvc.pointers import Source, all_dvc_pointers, data_source, is_dvc_repo
from solvent.errors import UsageError
from solvent.repo import RepoLayout

if TYPE_CHECKING:
    from solvent.pipeline.planning.graph import Graph


@dataclass(frozen=True, slots=True)
class PointerMove:
    pointer: str  # the .dvc file
    path: str
    kind: Literal["file", "dir"]
    size: int
    files: int | None
    source: Source | None  # where its data comes from; None: nowhere here (dvc pull first)


@dataclass(frozen=True, slots=True)
class StageMove:
    stage: str
    action: Literal["adopt", "recorded", "not adopted"]  # recorded: solvent.lock has it
    why: str | None = None


@dataclass(frozen=True, slots=True)
class RemoteMove:
    name: str
    dvc_url: str
    url: str | None  # as Solvent writes it; None when it cannot be used
    default: bool
    action: Literal["add", "exists", "skip"]
    why: str | None = None  # skip: why; add: what is not taken over
    options: dict[str, str] = field(default_factory=dict)  # as Solvent names them


@dataclass(frozen=True, slots=True)
class Migration:
    dvc_repo: bool
    pipeline: str | None  # the pipeline file Solvent runs (dvc.yaml runs as is)
    pointers: tuple[PointerMove, ...] = ()
    stages: tuple[StageMove, ...] = ()
    remotes: tuple[RemoteMove, ...] = ()
    applied: bool = False
    notes: tuple[str, ...] = field(default=())


def plan_migration(layout: RepoLayout) -> Migration:
    if not is_dvc_repo(layout):
        raise UsageError(
            f"{layout.root} is not a DVC project (no .dvc/ folder)",
            "run 'solvent migrate' at the top of a DVC repo",
        )
    from solvent.pipeline import spec_file

    found = spec_file(layout.root)
    pipeline = found.name if found is not None else None
    return Migration(True, pipeline, _pointers(layout), _stages(layout), _remotes(layout))


def _pointers(layout: RepoLayout) -> tuple[PointerMove, ...]:
    md5s = Md5Cache(layout.dot / "state.db", layout.root)
    ids = IdMap(layout.dot / "state.db")
    objects = DvcObjects(layout.root)
    try:
        moves = []
        for p in all_dvc_pointers(layout):
            source = data_source(layout, p, md5s, ids, objects)
            kind: Literal["file", "dir"] = "dir" if p.hash.is_dir else "file"
            moves.append(
                PointerMove(str(p.where), str(p.path), kind, p.hash.size, p.hash.nfiles, source)
            )
        return tuple(moves)
    finally:
        md5s.close()
        ids.close()


def _graph(layout: RepoLayout) -> Graph | None:
    from solvent.pipeline import spec_file
    from solvent.pipeline.planning.graph import build_graph
    from solvent.pipeline.spec.load import load_pipeline

    if spec_file(layout.root) is None:
        return None
    pipeline = load_pipeline(layout.root)
    return build_graph(pipeline) if pipeline is not None else None


def _stages(layout: RepoLayout) -> tuple[StageMove, ...]:
    from solvent.pipeline.planning.codedeps import CodeDeps
    from solvent.pipeline.planning.lock import read_lock
    from solvent.pipeline.planning.state import ParamReader, stage_state

    graph = _graph(layout)
    if graph is None:
        return ()
    lock = read_lock(layout.root)
    dvc = DvcLock(layout)
    params, code = ParamReader(layout.root), CodeDeps(layout, still=True)
    moves = []
    try:
        for stage in graph.pipeline.stages:
            if stage.name in lock:
                moves.append(StageMove(stage.name, "recorded"))
                continue
            if stage.name not in dvc.entries:
                why = dvc.unreadable or "not in dvc.lock"
                moves.append(StageMove(stage.name, "not adopted", why))
                continue
            try:
                state = stage_state(layout, stage, params, 1, code)
            except UsageError as e:
                moves.append(StageMove(stage.name, "not adopted", e.message))
                continue
            verdict = dvc.check(stage, state)
            action: Literal["adopt", "not adopted"] = "adopt" if verdict.adopted else "not adopted"
            moves.append(StageMove(stage.name, action, verdict.why_not))
    finally:
        dvc.close()
    return tuple(moves)


def _remotes(layout: RepoLayout) -> tuple[RemoteMove, ...]:
    from solvent.remotes import list_remotes

    have = {r.name for r in list_remotes(layout.dot)}
    moves = []
    for remote in read_dvc_config(layout.root).remotes:
        url, why = _solvent_url(layout.root, remote)
        if url is None:
            moves.append(RemoteMove(remote.name, remote.url, None, remote.default, "skip", why))
        elif remote.name in have:
            moves.append(RemoteMove(remote.name, remote.url, url, remote.default, "exists"))
        else:
            options = {_OPTIONS[k]: v for k, v in remote.options.items() if k in _OPTIONS}
            left = sorted(set(remote.options) - set(_OPTIONS))
            why = f"not taken over: {', '.join(left)}" if left else None
            moves.append(RemoteMove(remote.name, remote.url, url, remote.default, "add", why,
                                    options))  # fmt: skip
    return tuple(moves)


# DVC's S3 remote options with a Solvent equivalent; credentials are left where they are
# ('solvent remote modify NAME access_key_id …' or the environment set them).
_OPTIONS = {"endpointurl": "endpoint_url", "region": "region", "profile": "profile"}


def _solvent_url(root: Path, remote: DvcRemote) -> tuple[str | None, str | None]:
    """The URL Solvent writes for a DVC remote (a folder relative to the repo, not to
    ``.dvc/``), or None and why."""
    folder = remote.folder(root / ".dvc")
    if folder is not None:
        rel = os.path.relpath(folder, root)
        return (rel if not os.path.isabs(remote.url) else str(folder)), None
    if remote.url.startswith("s3://"):
        return remote.url, None
    scheme = remote.url.split("://", 1)[0]
    return None, f"{scheme}:// remotes are not supported (folders and s3:// are)"


def apply_migration(layout: RepoLayout) -> Migration:
    """Do what ``plan_migration`` reports, under the repo lock."""
    with layout.writing():
        plan = plan_migration(layout)
        _cache_pointers(layout, plan)
        _record_stages(layout, plan)
        _add_remotes(layout, plan)
    notes = []
    skipped = [p.path for p in plan.pointers if p.source is None]
    if skipped:
        notes.append(f"not cached (no copy here; 'dvc pull' them first): {', '.join(skipped)}")
    return Migration(plan.dvc_repo, plan.pipeline, plan.pointers, plan.stages, plan.remotes,
                     True, tuple(notes))  # fmt: skip


def _cache_pointers(layout: RepoLayout, plan: Migration) -> None:
    from solvent.dvc.pointers import solvent_pointers

    wanted = {p.pointer for p in plan.pointers if p.source is not None}
    pointers = [p for p in all_dvc_pointers(layout) if str(p.where) in wanted]
    solvent_pointers(layout, pointers)


def _record_stages(layout: RepoLayout, plan: Migration) -> None:
    from solvent.dvc.adopt import adopted_entry
    from solvent.pipeline.planning.codedeps import CodeDeps
    from solvent.pipeline.planning.lock import read_lock, write_lock
    from solvent.pipeline.planning.state import ParamReader, path_state, stage_state
    from solvent.pipeline.running.recording import Recorder

    adopt = {s.stage for s in plan.stages if s.action == "adopt"}
    graph = _graph(layout)
    if not adopt or graph is None:
        return
    lock = read_lock(layout.root)
    params, code = ParamReader(layout.root), CodeDeps(layout)
    recorder = Recorder(layout)
    try:
        for stage in graph.pipeline.stages:
            if stage.name not in adopt:
                continue
            state = stage_state(layout, stage, params, 1, code)
            for out in stage.outs:  # cached, so checkout can restore them
                if out.cache:
                    path_state(layout, out.path, save=True)
            entry = adopted_entry(stage, state)
            lock[stage.name] = entry
            now = time.time()
            recorder.record(stage, state, entry, "restored", now, now)
        write_lock(layout.root, lock)
    finally:
        recorder.close()


def _add_remotes(layout: RepoLayout, plan: Migration) -> None:
    from solvent.remotes import add_remote, list_remotes, set_option

    has_default = any(r.default for r in list_remotes(layout.dot))
    for move in plan.remotes:
        if move.action == "add" and move.url is not None:
            default = move.default and not has_default
            add_remote(layout.dot, move.name, move.url, default=default, force=False)
            for key, value in move.options.items():
                set_option(layout.dot, move.name, key, value)
