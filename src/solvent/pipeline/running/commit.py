"""``solvent commit``: record what the workspace holds as the stages' result, without running
them (DVC's ``dvc commit``). For when a command was run by hand, or a change is known not to
matter: the deps, params and outs as they are now go into solvent.lock, and the cached outs
into the cache, so ``status`` says up to date.

Like DVC, a stage whose recorded state changed is committed only when the caller confirms
(``-f``, or a yes at the prompt); a stage that matches its lock entry is only re-stored.
Everything is checked before anything is written: a missing dep or out stops the command with
nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from solvent.errors import UsageError
from solvent.pipeline.planning.codedeps import CodeDeps
from solvent.pipeline.planning.lock import StageLock, read_lock, write_lock
from solvent.pipeline.planning.plan import StageState, stage_reasons
from solvent.pipeline.planning.state import ParamReader, path_state, stage_state
from solvent.pipeline.spec.model import Stage
from solvent.repo import RepoLayout

# Asked, for a stage whose deps, params or outs changed since its lock entry, whether to commit
# it anyway: (stage name, the reasons as text) -> yes.
Confirm = Callable[[str, list[str]], bool]


@dataclass(frozen=True, slots=True)
class Committed:
    stage: str
    changed: bool  # the lock entry was new or different
    reasons: tuple[str, ...]  # what differed from the old entry


def commit(
    layout: RepoLayout, stages: list[Stage], *, force: bool, confirm: Confirm | None, jobs: int
) -> list[Committed]:
    lock = read_lock(layout.root)
    params, code = ParamReader(layout.root), CodeDeps(layout)
    states: list[tuple[Stage, StageState, tuple[str, ...]]] = []
    for stage in stages:
        state = stage_state(layout, stage, params, jobs, code)
        missing = [str(d) for d, s in state.deps.items() if s is None]
        missing += [str(o) for o, s in state.outs.items() if s is None]
        if missing:
            raise UsageError(
                f"stage '{stage.name}': {', '.join(missing)} does not exist",
                f"commit records files that exist; run it instead: solvent repro {stage.name}",
            )
        reasons = tuple(str(r) for r in stage_reasons(stage, lock.get(stage.name), state))
        states.append((stage, state, reasons))
    for stage, _state, reasons in states:
        if reasons and not force and not (confirm is not None and confirm(stage.name, [*reasons])):
            raise UsageError(
                f"stage '{stage.name}' changed ({'; '.join(reasons)}); not committed",
                "pass -f to record the workspace as its result anyway",
            )
    done = []
    with layout.writing():
        for stage, state, reasons in states:
            outs = tuple(
                o
                for o in (
                    path_state(layout, out.path, save=out.cache, jobs=jobs) for out in stage.outs
                )
                if o is not None
            )
            deps = tuple(d for d in state.deps.values() if d is not None)
            code_ids = tuple(c for c in state.code.values() if c is not None)
            entry = StageLock(stage.cmd, deps, state.params, outs, code_ids, state.env or {})
            changed = lock.get(stage.name) != entry
            lock[stage.name] = entry
            if layout.uses_git:
                from solvent.tracking.add import ignore_in_git

                ignore_in_git(layout, [out.path for out in stage.outs if out.cache])
            done.append(Committed(stage.name, changed, reasons))
        if any(c.changed for c in done):
            write_lock(layout.root, lock)
    return done
