"""Adopting ``dvc.lock``: a stage that DVC ran, and whose deps, outs and params are still what
``dvc.lock`` records, is up to date for Solvent too, and its first ``repro`` records it in
``solvent.lock`` without running it.

Matching is by DVC's own md5s (``hashing``) and params by value. Only stages with no
``solvent.lock`` entry are looked at, so md5s are computed until the first ``repro`` records
the stage, and then never again (and, meanwhile, once per file: ``Md5Cache``).
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from solvent.dvc.hashing import Md5Cache
from solvent.dvc.lockfile import DVC_LOCK, DvcPath, DvcPointer, DvcStageLock, read_dvc_lock
from solvent.errors import MalformedFileError
from solvent.pipeline.planning.lock import StageLock
from solvent.pipeline.planning.plan import StageState, StaleReason, Why, flatten
from solvent.pipeline.spec.model import Stage
from solvent.repo import RepoLayout


def _join(wdir: PurePosixPath, path: str) -> PurePosixPath:
    return PurePosixPath(posixpath.normpath(str(wdir / path)))


def _params(doc: dict[str, dict[str, Any]], wdir: PurePosixPath) -> dict[str, dict[str, Any]]:
    return {str(_join(wdir, f)): flatten(v) for f, v in doc.items() if v}


def mismatch(
    layout: RepoLayout, stage: Stage, entry: DvcStageLock, params: dict[str, dict[str, Any]],
    md5s: Md5Cache,
) -> str | None:  # fmt: skip
    """Why ``stage`` does not match its ``dvc.lock`` entry; None when it does."""
    if entry.cmd != stage.cmd:
        return "its cmd differs from dvc.lock"
    deps = {_join(stage.wdir, d.path): d for d in entry.deps}
    if set(deps) != set(stage.deps):
        return "its deps differ from dvc.lock"
    outs = {_join(stage.wdir, o.path): o for o in entry.outs}
    if set(outs) != {o.path for o in stage.outs}:
        return "its outs differ from dvc.lock"
    was, now = _params(entry.params, stage.wdir), _params(params, PurePosixPath("."))
    if was != now:
        return _param_change(was, now)
    for path, locked in (*sorted(deps.items()), *sorted(outs.items())):
        why = _path_mismatch(layout, path, locked, md5s)
        if why is not None:
            return why
    return None


def _param_change(was: dict[str, dict[str, Any]], now: dict[str, dict[str, Any]]) -> str:
    for file in sorted(set(was) | set(now)):
        a, b = was.get(file, {}), now.get(file, {})
        for key in sorted(set(a) | set(b)):
            if a.get(key, _NONE) != b.get(key, _NONE):
                show = [
                    repr(v) if v is not _NONE else "(none)"
                    for v in (a.get(key, _NONE), b.get(key, _NONE))
                ]
                return f"param {file}:{key} is {show[1]}, dvc.lock has {show[0]}"
    return "its params differ from dvc.lock"


_NONE = object()


def _path_mismatch(
    layout: RepoLayout, path: PurePosixPath, locked: DvcPath, md5s: Md5Cache
) -> str | None:
    if locked.hash is None:
        return f"dvc.lock has no md5 for {path}"
    now = md5s.path(str(layout.abs(path)), locked.legacy)
    if now is None:
        return f"{path} is missing ('solvent checkout' restores it from DVC's cache)"
    if now.md5 != locked.hash.md5:
        return f"{path} changed since DVC ran the stage"
    return None


def adopted_entry(stage: Stage, state: StageState) -> StageLock:
    """The ``solvent.lock`` entry of a stage that matched ``dvc.lock``: what is there now."""
    deps = tuple(d for d in state.deps.values() if d is not None)
    outs = tuple(o for o in state.outs.values() if o is not None)
    code = tuple(c for c in state.code.values() if c is not None)
    return StageLock(stage.cmd, deps, state.params, outs, code, state.env or {})


@dataclass(frozen=True, slots=True)
class Adoption:
    stage: str
    adopted: bool
    why_not: str | None = None  # when not adopted


class DvcLock:
    """``dvc.lock`` of a repo, read on first use, with one md5 cache for the command."""

    def __init__(self, layout: RepoLayout) -> None:
        self.layout = layout
        self._entries: dict[str, DvcStageLock] | None = None
        self._md5s: Md5Cache | None = None
        self.why_not: dict[str, str] = {}  # stages of dvc.lock ``adopt`` refused, and why
        self.unreadable: str | None = None

    @property
    def present(self) -> bool:
        return (self.layout.root / DVC_LOCK).is_file()

    @property
    def entries(self) -> dict[str, DvcStageLock]:
        """An unreadable dvc.lock (DVC 1's format, broken YAML) adopts nothing: the stages
        just run, and ``unreadable`` says why (status and repro must not fail over it)."""
        if self._entries is None:
            try:
                self._entries = read_dvc_lock(self.layout.root) if self.present else {}
            except MalformedFileError as e:
                self._entries, self.unreadable = {}, e.message
        return self._entries

    def check(self, stage: Stage, state: StageState) -> Adoption:
        entry = self.entries.get(stage.name)
        if entry is None:
            return Adoption(stage.name, False, self.unreadable or "not in dvc.lock")
        if self._md5s is None:
            self._md5s = Md5Cache(self.layout.dot / "state.db", self.layout.root)
        why = mismatch(self.layout, stage, entry, state.params, self._md5s)
        return Adoption(stage.name, why is None, why)

    def adopt(self, stage: Stage, state: StageState) -> StageLock | None:
        """A ``solvent.lock`` entry for ``stage`` if ``dvc.lock`` says it is up to date."""
        if stage.name not in self.entries:
            if self.unreadable:
                self.why_not[stage.name] = self.unreadable
            return None
        verdict = self.check(stage, state)
        if not verdict.adopted:
            self.why_not[stage.name] = verdict.why_not or "it differs from dvc.lock"
            return None
        self.remember(stage, self.entries[stage.name], state)
        return adopted_entry(stage, state)

    def remember(self, stage: Stage, entry: DvcStageLock, state: StageState) -> None:
        """md5 → Solvent id of each matched path: lineage then knows a ``.dvc`` file's data."""
        from solvent.dvc.objects import IdMap, md5_key

        now = {**state.deps, **state.outs}
        ids = IdMap(self.layout.dot / "state.db")
        try:
            for item in (*entry.deps, *entry.outs):
                found = now.get(_join(stage.wdir, item.path))
                if item.hash is not None and found is not None:
                    ids.put(md5_key(item.hash.md5, item.legacy), found.id)
        finally:
            ids.close()

    def close(self) -> None:
        if self._md5s is not None:
            self._md5s.close()


def with_adopted(
    layout: RepoLayout, stages: list[Stage], lock: dict[str, StageLock],
    states: dict[str, StageState],
) -> tuple[dict[str, StageLock], dict[str, str]]:  # fmt: skip
    """``lock`` plus an entry for each stage it lacks that ``dvc.lock`` shows up to date, and
    why each other stage of ``dvc.lock`` was not adopted."""
    missing = [s for s in stages if s.name not in lock]
    if not missing:
        return lock, {}
    dvc = DvcLock(layout)
    if not dvc.present:
        return lock, {}
    found: dict[str, StageLock] = {}
    why_not: dict[str, str] = {}
    try:
        for stage in missing:
            if stage.name not in dvc.entries:
                if dvc.unreadable:
                    why_not[stage.name] = dvc.unreadable
                continue
            verdict = dvc.check(stage, states[stage.name])
            if verdict.adopted:
                dvc.remember(stage, dvc.entries[stage.name], states[stage.name])
                found[stage.name] = adopted_entry(stage, states[stage.name])
            elif verdict.why_not:
                why_not[stage.name] = verdict.why_not
    finally:
        dvc.close()
    return {**lock, **found}, why_not


def explained(reasons: tuple[StaleReason, ...], why_not: str | None) -> tuple[StaleReason, ...]:
    """ "never run" of a stage ``dvc.lock`` has, saying why that entry was not adopted."""
    if why_not is None:
        return reasons
    told = StaleReason(Why.NEVER_RUN, f"dvc.lock not adopted, {why_not}")
    return tuple(told if r.why is Why.NEVER_RUN else r for r in reasons)


def unadopted_outs(
    layout: RepoLayout, stages: list[Stage], lock: dict[str, StageLock]
) -> list[DvcPointer]:
    """The cached outs ``dvc.lock`` records for stages ``solvent.lock`` does not have yet, as
    pointers: what ``dvc checkout`` would restore (then the stage can be adopted)."""
    dvc = DvcLock(layout)
    if not dvc.present:
        return []
    found = []
    where = PurePosixPath(DVC_LOCK)
    for stage in stages:
        entry = dvc.entries.get(stage.name)
        if stage.name in lock or entry is None:
            continue
        cached = {o.path for o in stage.outs if o.cache}
        for out in entry.outs:
            path = _join(stage.wdir, out.path)
            if out.hash is not None and path in cached:
                found.append(DvcPointer(where, path, out.hash, out.legacy, out.executable))
    return found
