"""Why each stage is stale: a pure function of the spec, the lock and the workspace state."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import PurePosixPath
from typing import Any

from solvent.pipeline.planning.graph import Graph
from solvent.pipeline.planning.lock import LockedPath, StageLock
from solvent.pipeline.spec.model import Stage


class Why(Enum):
    NEVER_RUN = "never run"
    CMD_CHANGED = "cmd changed"
    DEP_CHANGED = "dep changed"
    DEP_MISSING = "dep missing"
    DEPS_CHANGED = "deps changed"
    PARAM_CHANGED = "param changed"
    PARAMS_CHANGED = "params changed"
    OUT_MISSING = "out missing"
    OUT_MODIFIED = "out modified"
    OUTS_CHANGED = "outs changed"
    ALWAYS_CHANGED = "always changed"
    FORCED = "forced"
    UPSTREAM_STALE = "upstream stale"
    CODE_CHANGED = "code changed"
    ENV_CHANGED = "env changed"


@dataclass(frozen=True, slots=True)
class StaleReason:
    why: Why
    subject: str | None = None
    old: Any = None
    new: Any = None

    def __str__(self) -> str:
        w = self.why
        if w is Why.PARAM_CHANGED:
            return f"param {self.subject} {_show(self.old)} → {_show(self.new)}"
        if w in (Why.DEP_CHANGED, Why.DEP_MISSING):
            return f"dep {self.subject} {'changed' if w is Why.DEP_CHANGED else 'missing'}"
        if w in (Why.OUT_MISSING, Why.OUT_MODIFIED):
            return f"out {self.subject} {'missing' if w is Why.OUT_MISSING else 'modified'}"
        if w is Why.UPSTREAM_STALE:
            return f"upstream stage {self.subject} is stale"
        if self.subject:
            return f"{w.value}: {self.subject}"
        return str(w.value)


def _show(value: Any) -> str:
    return "(none)" if value is _MISSING else repr(value) if isinstance(value, str) else f"{value}"


class _Missing:
    def __repr__(self) -> str:
        return "(none)"


_MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True)
class StageState:
    """What the workspace holds for one stage right now (None: the path does not exist)."""

    deps: dict[PurePosixPath, LockedPath | None]
    outs: dict[PurePosixPath, LockedPath | None]
    params: dict[str, dict[str, Any]]  # file → key → value, as the lock stores them
    code: dict[PurePosixPath, LockedPath | None] = field(default_factory=dict)  # implicit deps
    env: dict[str, str] | None = None  # None: the stage ignores its environment


@dataclass(frozen=True, slots=True)
class StagePlan:
    stage: Stage
    reasons: tuple[StaleReason, ...] = ()
    warnings: tuple[StaleReason, ...] = ()  # changes that do not make it stale (env: warn)
    code: tuple[PurePosixPath, ...] = ()  # implicit code deps found in its commands

    @property
    def stale(self) -> bool:
        return bool(self.reasons) and not self.stage.frozen


@dataclass(frozen=True, slots=True)
class Plan:
    stages: tuple[StagePlan, ...] = field(default=())

    @property
    def stale(self) -> list[StagePlan]:
        return [p for p in self.stages if p.stale]


def stage_reasons(
    stage: Stage, locked: StageLock | None, state: StageState, forced: bool = False
) -> tuple[StaleReason, ...]:
    """Every reason ``stage`` must run; empty when it is up to date."""
    reasons: list[StaleReason] = []
    if forced:
        reasons.append(StaleReason(Why.FORCED))
    if stage.always_changed:
        reasons.append(StaleReason(Why.ALWAYS_CHANGED))
    for path, now in state.deps.items():
        if now is None:
            reasons.append(StaleReason(Why.DEP_MISSING, str(path)))
    if locked is None:
        return (*reasons, StaleReason(Why.NEVER_RUN))
    if locked.cmd != stage.cmd:
        reasons.append(StaleReason(Why.CMD_CHANGED))
    old_deps = {d.path: d for d in locked.deps}
    if set(old_deps) != set(state.deps):
        added = sorted(map(str, set(state.deps) - set(old_deps)))
        removed = sorted(map(str, set(old_deps) - set(state.deps)))
        what = ", ".join([*(f"+{p}" for p in added), *(f"-{p}" for p in removed)])
        reasons.append(StaleReason(Why.DEPS_CHANGED, what))
    for path, now in state.deps.items():
        old = old_deps.get(path)
        if now is not None and old is not None and old.id != now.id:
            reasons.append(StaleReason(Why.DEP_CHANGED, str(path)))
    reasons.extend(_param_reasons(locked.params, state.params))
    if locked.env is not None:  # a lock from before code and env were recorded: no opinion
        reasons.extend(_code_reasons(locked.code, state.code))
        if stage.env == "strict":
            reasons.extend(env_warnings(locked, state))
    old_outs = {o.path: o for o in locked.outs}
    if set(old_outs) != set(state.outs):
        reasons.append(StaleReason(Why.OUTS_CHANGED))
    for path, now in state.outs.items():
        old = old_outs.get(path)
        if now is None:
            reasons.append(StaleReason(Why.OUT_MISSING, str(path)))
        elif old is not None and (old.id, old.executable) != (now.id, now.executable):
            reasons.append(StaleReason(Why.OUT_MODIFIED, str(path)))
    return tuple(reasons)


def _code_reasons(
    old: tuple[LockedPath, ...], new: dict[PurePosixPath, LockedPath | None]
) -> list[StaleReason]:
    was = {c.path: c.id for c in old}
    now = {p: (c.id if c else None) for p, c in new.items()}
    return [
        StaleReason(Why.CODE_CHANGED, str(p))
        for p in sorted(set(was) | set(now))
        if was.get(p) != now.get(p)
    ]


def env_warnings(locked: StageLock | None, state: StageState) -> tuple[StaleReason, ...]:
    """The environment the stage last ran in, if it differs from this one."""
    if locked is None or locked.env is None or state.env is None or locked.env == state.env:
        return ()
    from solvent.runs.envprint import describe_change

    return (StaleReason(Why.ENV_CHANGED, describe_change(locked.env, state.env)),)


def _param_reasons(
    old: dict[str, dict[str, Any]], new: dict[str, dict[str, Any]]
) -> list[StaleReason]:
    reasons = []
    files = sorted(set(old) | set(new))
    for f in files:
        o, n = flatten(old.get(f, {})), flatten(new.get(f, {}))
        for key in sorted(set(o) | set(n)):
            a, b = o.get(key, _MISSING), n.get(key, _MISSING)
            if a != b:
                label = key if f == "params.yaml" else f"{f}:{key}"
                reasons.append(StaleReason(Why.PARAM_CHANGED, label, a, b))
    return reasons


def flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested params as dotted keys: ``{"a": {"b": 1}}`` → ``{"a.b": 1}``. Reasons compare
    a section param (``models.forest``) this way, so they name the leaf that changed."""
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict) and value:
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def plan(
    graph: Graph,
    stages: list[Stage],
    lock: dict[str, StageLock],
    states: dict[str, StageState],
    forced: set[str] | None = None,
) -> Plan:
    """Reasons for every selected stage, in run order; stale upstreams mark their
    downstream stages (which the scheduler re-checks once the upstream has run)."""
    forced = forced or set()
    result: dict[str, StagePlan] = {}
    for stage in stages:
        reasons = stage_reasons(stage, lock.get(stage.name), states[stage.name],
                                stage.name in forced)  # fmt: skip
        stale_up = sorted(u for u in graph.upstream(stage.name) if u in result and result[u].stale)
        if not reasons and stale_up:
            reasons = tuple(StaleReason(Why.UPSTREAM_STALE, u) for u in stale_up)
        warn = stage.env == "warn" and not reasons
        warnings = env_warnings(lock.get(stage.name), states[stage.name]) if warn else ()
        code = tuple(states[stage.name].code)
        result[stage.name] = StagePlan(stage, reasons, warnings, code)
    return Plan(tuple(result.values()))
