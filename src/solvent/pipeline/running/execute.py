"""``solvent repro``: the one scheduler loop.

It alone reads and writes the lock. For each ready stage it re-checks staleness (an upstream
that reran may have produced the same bytes), restores from the run-cache when it can, or
hands the commands to an executor. When a job ends it checks the outs exist, that no dep
changed while the command ran, caches the outs and writes the lock — one stage at a time, so a
crash loses only the stages that were running.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from solvent.errors import SolventError
from solvent.pipeline.planning.codedeps import CodeDeps
from solvent.pipeline.planning.graph import Graph
from solvent.pipeline.planning.lock import LockedPath, StageLock, read_lock, write_lock
from solvent.pipeline.planning.plan import StageState, StaleReason, env_warnings, stage_reasons
from solvent.pipeline.planning.state import ParamReader, path_state, stage_state
from solvent.pipeline.running.executors import Executor, Job, JobResult, LocalExecutor
from solvent.pipeline.running.recording import Recorder
from solvent.pipeline.running.runcache import RunCache
from solvent.pipeline.spec.model import Stage
from solvent.repo import RepoLayout, ensure_ignored
from solvent.storage.fsutil import atomic_write_text
from solvent.storage.ids import ObjectId
from solvent.tracking.pointer import Pointer, pointer_path_for

if TYPE_CHECKING:
    from concurrent.futures import Future

    from solvent.dvc.adopt import DvcLock
    from solvent.pipeline.tracing.access import AccessReport
    from solvent.pipeline.tracing.watch import Trace


class Outcome(Enum):
    RAN = "ran"
    UP_TO_DATE = "up to date"
    RESTORED = "restored from run-cache"
    FAILED = "failed"
    SKIPPED = "skipped"  # an upstream failed
    NOT_RUN = "not run"  # stopped before its turn (failure without --keep-going, Ctrl-C)
    FROZEN = "frozen"
    WOULD_RUN = "would run"  # --dry


@dataclass(frozen=True, slots=True)
class StageReport:
    stage: str
    outcome: Outcome
    reasons: tuple[str, ...] = ()
    error: str | None = None
    seconds: float = 0.0


@dataclass
class ReproReport:
    stages: list[StageReport] = field(default_factory=list)
    interrupted: bool = False

    @property
    def failed(self) -> list[StageReport]:
        return [s for s in self.stages if s.outcome is Outcome.FAILED]


Events = Callable[[str, str], None]  # (kind, text): "start", "skip", "done", "fail", "line"
Ids = Mapping[PurePosixPath, ObjectId]
# Looks at a stale stage's data ("deps" before it runs: locked and current dep ids; "outs"
# after): notes to show and failed checks. Supplied by the API (the data-health layer).
Inspector = Callable[[Stage, str, Ids, Ids], tuple[list[str], list[str]]]


@dataclass(frozen=True, slots=True)
class ReproOptions:
    jobs: int = 1
    keep_going: bool = False
    force: frozenset[str] = frozenset()
    run_cache: bool = True
    dry: bool = False
    inspect: Inspector | None = None
    strict_deps: bool = False  # a stage that reads or writes an undeclared path fails
    trace: str | None = None  # auto, full, audit, off; None: SOLVENT_TRACE, [repro] trace, auto
    at_once: int | None = None  # stages run at the same time (ordering.stages_at_once); None: jobs


class StageFailed(Exception):
    pass


def shell_commands(stage: Stage) -> tuple[str, ...]:
    """The commands to run, one shell each. As in DVC, each line of a one-string ``cmd`` is a
    command of its own; the items of a list are run whole."""
    if len(stage.cmd) == 1:
        return tuple(line for line in stage.cmd[0].splitlines() if line.strip())
    return stage.cmd


def log_path(stage: str) -> PurePosixPath:
    safe = re.sub(r"[^A-Za-z0-9@._-]", "_", stage)
    return PurePosixPath(".solvent/logs") / f"{safe}.log"


class Scheduler:
    def __init__(
        self,
        layout: RepoLayout,
        graph: Graph,
        options: ReproOptions,
        events: Events,
        executor: Executor | None = None,
    ) -> None:
        self.layout = layout
        self.graph = graph
        self.options = options
        self.events = events
        self._print_lock = threading.Lock()
        self.slots = options.at_once or options.jobs  # stages running at once
        self.executor = executor or LocalExecutor(self.slots, self._line)
        self.lock = read_lock(layout.root)
        self.params = ParamReader(layout.root)
        self.code = CodeDeps(layout)
        self.recorder = Recorder(layout)
        self.runcache = RunCache(layout.dot / "runcache")
        self._elsewhere: dict[PurePosixPath, LockedPath] = {}  # outs left on a remote
        self._traces: dict[str, Trace] = {}  # stage → its running job's trace
        self._trace_mode: str | None = None
        self._dvc: DvcLock | None = None  # dvc.lock, read when a stage has no lock entry
        self._adopted: set[str] = set()  # stages up to date by dvc.lock, not yet in the lock

    def _line(self, stage: str, line: str) -> None:
        with self._print_lock:
            self.events("line", f"{stage}: {line}" if self.slots > 1 else line)

    # -- one stage -----------------------------------------------------------------------

    def _check(self, stage: Stage) -> tuple[StageState, tuple[StaleReason, ...]]:
        state = stage_state(self.layout, stage, self.params, self.options.jobs, self.code)
        state.deps.update((d, self._elsewhere[d]) for d in state.deps if d in self._elsewhere)
        locked = self.lock.get(stage.name) or self._adopt(stage, state)
        reasons = stage_reasons(stage, locked, state, stage.name in self.options.force)
        if locked is None and self._dvc is not None:  # say why dvc.lock's entry is not used
            from solvent.dvc.adopt import explained

            reasons = explained(reasons, self._dvc.why_not.get(stage.name))
        return state, reasons

    def _adopt(self, stage: Stage, state: StageState) -> StageLock | None:
        """The stage as ``dvc.lock`` records it, when DVC ran it and nothing changed since."""
        from solvent.dvc.adopt import DvcLock

        if self._dvc is None:
            self._dvc = DvcLock(self.layout)
        entry = self._dvc.adopt(stage, state) if self._dvc.present else None
        if entry is not None:
            self._adopted.add(stage.name)
        return entry

    def _record_adopted(self, stage: Stage, state: StageState) -> None:
        """Record a stage adopted from ``dvc.lock`` without running it; its outs are cached."""
        outs = tuple(
            o
            for o in (path_state(self.layout, out.path, save=out.cache) for out in stage.outs)
            if o is not None
        )
        entry = self._locked(stage, state, outs)
        self._record(stage, entry)
        now = time.time()
        self.recorder.record(stage, state, entry, "restored", now, now)

    def _locked(self, stage: Stage, state: StageState, outs: tuple[LockedPath, ...]) -> StageLock:
        deps = tuple(d for d in state.deps.values() if d is not None)
        code = tuple(c for c in state.code.values() if c is not None)
        return StageLock(stage.cmd, deps, state.params, outs, code, state.env or {})

    def _restore(self, stage: Stage, state: StageState) -> bool:
        """Put the outs of an identical earlier run in place, if they are all cached."""
        if not _run_cacheable(stage) or not self.options.run_cache:
            return False
        outs = self.runcache.get(self._locked(stage, state, ()))
        if outs is None or {o.path for o in outs} != {o.path for o in stage.outs}:
            return False
        pointers = [
            Pointer(pointer_path_for(o.path), o.path, o.id, "file" if o.files is None else "dir",
                    o.size, o.files or 1, o.executable)
            for o in outs
        ]  # fmt: skip
        if any(not self.layout.store.has(p.id) for p in pointers):
            return False
        try:
            from solvent.tracking.checkout import checkout_pointers  # restores only

            checkout_pointers(self.layout, pointers, force=True, relink=False, jobs=1)
        except Exception:
            return False  # an incomplete entry (object gone) is a miss, the stage just runs
        entry = self._locked(stage, state, outs)
        self._record(stage, entry)
        now = time.time()
        self.recorder.record(stage, state, entry, "restored", now, now)
        return True

    def _record(self, stage: Stage, entry: StageLock) -> None:
        self.lock[stage.name] = entry
        write_lock(self.layout.root, self.lock)
        if self.layout.uses_git:
            from solvent.tracking.add import ignore_in_git  # stages that run only

            ignore_in_git(self.layout, [out.path for out in stage.outs if out.cache])

    def _prepare_outs(self, stage: Stage) -> None:
        for out in stage.outs:  # all checked before any is deleted
            self.layout.writable(out.path, f"stage {stage.name}: out {out.path}")
        for out in stage.outs:
            path = self.layout.abs(out.path)
            if out.persist:
                continue
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif os.path.lexists(path):
                path.unlink()
            path.parent.mkdir(parents=True, exist_ok=True)

    def _finish(self, stage: Stage, before: StageState, result: JobResult) -> None:
        access = self._access(stage, before)
        kept: dict[str, Any] = access.to_json() if access is not None else {}
        try:
            entry = self._finish_run(stage, before, result, access)
        except StageFailed as e:
            self.recorder.record(stage, before, None, "failed", result.started, result.ended,
                                 str(e), access=kept)  # fmt: skip
            raise
        self.recorder.record(stage, before, entry, "ran", result.started, result.ended,
                             access=kept)  # fmt: skip

    def _trace(self, stage: Stage) -> Trace | None:
        """Where the job of ``stage`` leaves its trace; None when it runs untraced (tracing
        off, or an executor that runs away from here)."""
        if not isinstance(self.executor, LocalExecutor):
            return None  # Dask workers run in scratch copies: not traced
        from solvent.pipeline.tracing import watch as tracing

        if self._trace_mode is None:
            self._trace_mode = tracing.trace_mode(self.layout, self.options.trace)
        if self._trace_mode == "off":
            return None
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="solvent-trace-"))
        strace = tracing.strace_for(self._trace_mode, shell_commands(stage))
        trace = self._traces[stage.name] = tracing.Trace(folder, strace)
        return trace

    def _access(self, stage: Stage, before: StageState) -> AccessReport | None:
        """Judge what the finished job of ``stage`` opened; warn about each finding."""
        trace = self._traces.pop(stage.name, None)
        if trace is None:
            return None
        from solvent.pipeline.tracing import access
        from solvent.pipeline.tracing import watch as tracing

        try:
            events = tracing.read_events(trace, self.layout.abs(stage.wdir))
        except OSError:
            events = []
        finally:
            shutil.rmtree(trace.dir, ignore_errors=True)
        root = self.layout.root

        def kind_of(rel: PurePosixPath) -> str:
            path = root / rel
            if path.is_dir():
                return "dir"
            # Another stage's out not written yet still counts: that is how a race looks.
            theirs = self.graph.writer_of(rel) not in (None, stage.name)
            return "file" if theirs or path.exists() else ""

        observed = access.observe(events, access.repo_roots(str(root)), kind_of)
        report = access.judge(observed, stage, trace.label, before.code)
        for line in access.describe(report, stage):
            self.events("warn", f"{stage.name}: {line}")
        from solvent.pipeline.planning.ordering import LEARNED, learn

        reads = [s.path for s in report.undeclared_reads]
        for edge in learn(self.layout, self.graph, stage.name, reads):
            self.events(
                "warn",
                f"{stage.name}: {edge.path} is an out of stage {edge.upstream}: from now on "
                f"{stage.name} runs after {edge.upstream} (kept in {LEARNED}); declare the dep "
                f"so that a new {edge.path} also reruns it",
            )
        return report

    def _finish_run(
        self, stage: Stage, before: StageState, result: JobResult, access: AccessReport | None
    ) -> StageLock:
        if result.returncode != 0:
            raise StageFailed(
                f"command failed with exit code {result.returncode}: {result.failed_cmd}"
            )
        written = None if result.outs is None else {o.path for o in result.outs}
        for out in stage.outs:
            there = os.path.lexists(self.layout.abs(out.path)) if written is None else None
            if not (there or (written is not None and out.path in written)):
                raise StageFailed(f"the command did not write its out {out.path}")
        if self.options.strict_deps and access is not None and access.undeclared:
            from solvent.pipeline.tracing.access import strict_failure

            raise StageFailed(strict_failure(access, stage))
        # Deps that checks compare with their locked version are kept in the cache.
        kept = {p for c in stage.checks if c.kind in ("schema", "drift") for p in c.paths}
        for dep, was in before.deps.items():
            now = self._elsewhere.get(dep) or path_state(
                self.layout, dep, save=dep in kept, links_out=True
            )
            if (was and was.id) != (now and now.id):
                raise StageFailed(f"dep {dep} changed while the command ran")
        if result.outs is not None:  # hashed and stored away from here by the executor
            outs = result.outs
            if not self.executor.land(outs):
                self._elsewhere.update((o.path, o) for o in outs)
        else:
            outs = tuple(
                o
                for o in (
                    path_state(self.layout, out.path, save=out.cache, jobs=self.options.jobs)
                    for out in stage.outs
                )
                if o is not None
            )
        entry = self._locked(stage, before, outs)
        self._inspect(stage, "outs", before)
        self._record(stage, entry)
        if self.options.run_cache and _run_cacheable(stage):
            self.runcache.put(entry)
        return entry

    def _inspect(self, stage: Stage, phase: str, state: StageState) -> None:
        """Show what changed in the stage's data and fail it when one of its checks fails."""
        if self.options.inspect is None:
            return
        entry = self.lock.get(stage.name)
        locked = {d.path: d.id for d in entry.deps} if entry is not None else {}
        current = {p: s.id for p, s in state.deps.items() if s is not None}
        notes, failures = self.options.inspect(stage, phase, locked, current)
        for note in notes:
            self.events("line", f"{stage.name}: {note}")
        if failures:
            raise StageFailed("; ".join(failures))

    # -- the loop ------------------------------------------------------------------------

    def run(self, stages: list[Stage]) -> ReproReport:
        report = ReproReport()
        outcome: dict[str, StageReport] = {}
        names = {s.name for s in stages}
        upstream = {s.name: self.graph.upstream(s.name) & names for s in stages}
        from solvent.pipeline.planning.ordering import read_learned, run_after

        learned = run_after(self.graph, read_learned(self.layout))  # what to wait for
        after = {s.name: learned.get(s.name, set()) & names | upstream[s.name] for s in stages}
        pending = list(stages)
        running: dict[Future[JobResult], tuple[Stage, StageState, tuple[str, ...]]] = {}
        stop = False
        try:
            while pending or running:
                progressed = True
                while progressed and not stop:
                    progressed = False
                    for stage in list(pending):
                        if stop or len(running) >= self.slots:
                            break
                        ups = upstream[stage.name]
                        if any(u not in outcome for u in after[stage.name]):
                            continue
                        pending.remove(stage)
                        progressed = True
                        would = sorted(u for u in ups if outcome[u].outcome is Outcome.WOULD_RUN)
                        if would:
                            why = tuple(f"upstream stage {u} would run" for u in would)
                            outcome[stage.name] = StageReport(stage.name, Outcome.WOULD_RUN, why)
                            self.events("start", f"{stage.name}: would run ({'; '.join(why)})")
                            continue
                        bad = [u for u in ups if outcome[u].outcome in _BROKEN]
                        if bad:
                            outcome[stage.name] = StageReport(
                                stage.name, Outcome.SKIPPED, error=f"upstream {bad[0]} failed"
                            )
                            self.events("skip", f"{stage.name}: skipped, upstream {bad[0]} failed")
                            continue
                        started = self._start(stage, outcome, running)
                        if not started and outcome[stage.name].outcome is Outcome.FAILED:
                            stop = not self.options.keep_going
                if not running:
                    break
                from concurrent.futures import FIRST_COMPLETED, wait

                done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                for fut in done:
                    stage, before, reasons = running.pop(fut)
                    result = fut.result()
                    seconds = result.ended - result.started
                    try:
                        self._finish(stage, before, result)
                    except StageFailed as e:
                        outcome[stage.name] = StageReport(
                            stage.name, Outcome.FAILED, reasons, str(e), seconds
                        )
                        self.events("fail", f"{stage.name}: {e}")
                        stop = stop or not self.options.keep_going
                        continue
                    outcome[stage.name] = StageReport(
                        stage.name, Outcome.RAN, reasons, None, seconds
                    )
                    self.events("done", f"{stage.name}: done in {seconds:.1f}s")
        except KeyboardInterrupt:
            report.interrupted = True
            self.executor.interrupt()
            for fut, (stage, _before, reasons) in running.items():
                fut.exception()  # wait for the interrupted command to end
                outcome[stage.name] = StageReport(stage.name, Outcome.NOT_RUN, reasons,
                                                  "interrupted")  # fmt: skip
        finally:
            self.executor.shutdown()
            self.recorder.close()
            for trace in self._traces.values():  # jobs that never finished
                shutil.rmtree(trace.dir, ignore_errors=True)
        for stage in stages:
            found = outcome.get(stage.name)
            report.stages.append(found or StageReport(stage.name, Outcome.NOT_RUN))
        if not self.options.dry:
            write_last_outcomes(self.layout, report)
        return report

    def _start(
        self,
        stage: Stage,
        outcome: dict[str, StageReport],
        running: dict[Future[JobResult], tuple[Stage, StageState, tuple[str, ...]]],
    ) -> bool:
        """Check one ready stage and start it if it is stale; False if it need not run."""
        name = stage.name
        if stage.frozen and name not in self.options.force:
            outcome[name] = StageReport(name, Outcome.FROZEN)
            self.events("skip", f"{name}: frozen, not checked")
            return False
        try:
            state, reasons = self._check(stage)
            missing = [str(r) for r in reasons if r.why.value == "dep missing"]
            if missing:
                raise StageFailed(
                    f"{missing[0]}: no stage writes it and it is not in the workspace "
                    "(track it with 'solvent add', or restore it with 'solvent checkout')"
                )
            why = tuple(str(r) for r in reasons)
            if not reasons:
                outcome[name] = StageReport(name, Outcome.UP_TO_DATE)
                warn = env_warnings(self.lock.get(name), state) if stage.env == "warn" else ()
                note = f" (warning: {warn[0]}; env: warn)" if warn else ""
                if name in self._adopted and not self.options.dry:
                    self._record_adopted(stage, state)
                    note += " (adopted from dvc.lock, not run)"
                self.events("skip", f"{name}: up to date{note}")
                return False
            if self.options.dry:
                outcome[name] = StageReport(name, Outcome.WOULD_RUN, why)
                self.events("start", f"{name}: would run ({'; '.join(why)})")
                return False
            self._inspect(stage, "deps", state)  # before a restore: checks gate that too
            if name not in self.options.force and self._restore(stage, state):
                outcome[name] = StageReport(name, Outcome.RESTORED, why)
                self.events("skip", f"{name}: restored from run-cache ({'; '.join(why)})")
                return False
            self.recorder.begin()
            self._prepare_outs(stage)
            trace = self._trace(stage)
        except (StageFailed, SolventError, OSError) as e:  # this stage fails, not the run
            outcome[name] = StageReport(name, Outcome.FAILED, error=str(e))
            self.events("fail", f"{name}: {e}")
            return False
        self.events("start", f"{name}: running ({'; '.join(why)})")
        job = Job(
            name,
            shell_commands(stage),
            self.layout.abs(stage.wdir),
            self.layout.abs(log_path(name)),
            stage,
            tuple(d for d in state.deps.values() if d is not None),
            trace,
            self.layout.root,
        )
        running[self.executor.submit(job)] = (stage, state, why)
        return True


def _run_cacheable(stage: Stage) -> bool:
    """As in DVC: a persist out grows run after run, so no earlier run's copy may replace it;
    an uncached out cannot be restored; a stage without deps or outs has nothing to key."""
    return (
        bool(stage.outs)
        and bool(stage.deps)
        and not stage.always_changed
        and all(o.cache and not o.persist for o in stage.outs)
    )


_BROKEN = (Outcome.FAILED, Outcome.SKIPPED, Outcome.NOT_RUN)
LAST_OUTCOMES = PurePosixPath(".solvent/logs/last-repro.json")


def write_last_outcomes(layout: RepoLayout, report: ReproReport) -> None:
    """Remember how each stage ended, merged over earlier runs (for 'solvent dag')."""
    known = read_last_outcomes(layout)
    known.update({s.stage: s.outcome.value for s in report.stages})
    path = layout.abs(LAST_OUTCOMES)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(known, indent=1, sort_keys=True))


def read_last_outcomes(layout: RepoLayout) -> dict[str, str]:
    """stage → the ``Outcome`` value of its last repro ("failed", "ran", ...)."""
    try:
        doc = json.loads(layout.abs(LAST_OUTCOMES).read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return {str(k): str(v) for k, v in doc.items()} if isinstance(doc, dict) else {}


def repro(
    layout: RepoLayout,
    graph: Graph,
    stages: list[Stage],
    options: ReproOptions,
    events: Events,
    executor: Executor | None = None,
) -> ReproReport:
    """Run the stale stages among ``stages`` (already in run order) under the repo lock."""
    with layout.writing():
        ensure_ignored(layout.dot, "/runcache/", "/logs/")  # for repos made before they were
        start = time.monotonic()
        report = Scheduler(layout, graph, options, events, executor).run(stages)
        events("summary", f"{time.monotonic() - start:.1f}s")
        sys.stdout.flush()
        return report
