"""Where stage commands run. One scheduler loop; executors only run commands and report.

An executor never writes repo metadata: it returns a ``JobResult`` and the scheduler records
it. ``LocalExecutor`` runs each job as shell commands in a thread of a pool; the Dask
executor (``dask_executor``) implements the same protocol on a cluster: its jobs return the ids
of outs already hashed and stored on a remote, and ``land`` brings them into the workspace.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from solvent.pipeline.planning.lock import LockedPath

if TYPE_CHECKING:  # the pool is made when a first job is submitted: a no-op repro has none
    from concurrent.futures import Future, ThreadPoolExecutor

    from solvent.pipeline.tracing.watch import Trace
from solvent.pipeline.spec.model import Stage

LineSink = Callable[[str, str], None]  # (stage name, line without newline)


@dataclass(frozen=True, slots=True)
class Job:
    stage: str
    cmds: tuple[str, ...]
    cwd: Path
    log: Path
    definition: Stage | None = None  # for executors that run away from the workspace
    inputs: tuple[LockedPath, ...] = ()  # the deps as the scheduler saw them before the run
    trace: Trace | None = None  # watch what the commands open (executors may ignore it)
    root: Path | None = None  # the repo's root (DVC_ROOT); None: cwd


@dataclass(frozen=True, slots=True)
class JobResult:
    stage: str
    returncode: int
    failed_cmd: str | None
    started: float
    ended: float
    outs: tuple[LockedPath, ...] | None = None  # None: the outs are in the workspace


class Executor(Protocol):
    def submit(self, job: Job) -> Future[JobResult]: ...

    def land(self, outs: tuple[LockedPath, ...]) -> bool:
        """Put the outs of a job that returned ``outs`` in the workspace (the scheduler's
        thread calls it); False when they stay elsewhere (``--no-download``)."""
        ...

    def interrupt(self) -> None: ...

    def shutdown(self) -> None: ...


def stage_environ(base: Mapping[str, str], stage: str, root: Path) -> dict[str, str]:
    """``base`` and what a stage's commands are told: ``SOLVENT_STAGE``, and what ``dvc
    repro`` sets for every stage (``dvc/stage/run.py``), so that DVC-aware libraries know they
    run inside a pipeline: ``DVC_STAGE``, the stage's name, and ``DVC_ROOT``, the repo's root
    unless it is set already. Without them dvclive saves an experiment of its own (refs in git,
    ``dvc.lock`` and ``.gitignore`` written) from inside the stage."""
    env = {**base, "SOLVENT_STAGE": stage, "DVC_STAGE": stage}
    env.setdefault("DVC_ROOT", str(root))
    return env


class LocalExecutor:
    """Runs jobs as local processes, at most ``jobs`` at a time."""

    def __init__(self, jobs: int, sink: LineSink) -> None:
        self._jobs = max(1, jobs)
        self._pool: ThreadPoolExecutor | None = None
        self._sink = sink
        self._procs: set[subprocess.Popen[bytes]] = set()
        self._groups: set[subprocess.Popen[bytes]] = set()  # signalled as a process group
        self._lock = threading.Lock()
        self._stopping = False

    def submit(self, job: Job) -> Future[JobResult]:
        if self._pool is None:
            from concurrent.futures import ThreadPoolExecutor

            self._pool = ThreadPoolExecutor(self._jobs, thread_name_prefix="stage")
        return self._pool.submit(self._run, job)

    def land(self, outs: tuple[LockedPath, ...]) -> bool:
        return True  # a local job writes its outs in the workspace

    def _run(self, job: Job) -> JobResult:
        started = time.time()
        job.log.parent.mkdir(parents=True, exist_ok=True)
        env = stage_environ(os.environ, job.stage, job.root or job.cwd)
        if job.trace is not None:
            from solvent.pipeline.tracing.watch import trace_env

            env = trace_env(env, job.trace)
        with job.log.open("wb") as log:
            for cmd in job.cmds:
                if self._stopping:
                    return JobResult(job.stage, 130, cmd, started, time.time())
                log.write(f"$ {cmd}\n".encode())
                argv = None
                if job.trace is not None:
                    from solvent.pipeline.tracing.watch import wrapped

                    argv = wrapped(cmd, job.trace)
                # Under strace the command gets its own process group: a signal to strace
                # alone would detach it and leave the command running.
                proc = subprocess.Popen(
                    argv or cmd,
                    shell=argv is None,
                    cwd=job.cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=argv is not None,
                )
                with self._lock:
                    self._procs.add(proc)
                    if argv is not None:
                        self._groups.add(proc)
                try:
                    assert proc.stdout is not None
                    for raw in proc.stdout:
                        log.write(raw)
                        self._sink(job.stage, raw.decode(errors="replace").rstrip("\n"))
                    code = proc.wait()
                finally:
                    with self._lock:
                        self._procs.discard(proc)
                        self._groups.discard(proc)
                log.flush()
                if code != 0:
                    return JobResult(job.stage, code, cmd, started, time.time())
        return JobResult(job.stage, 0, None, started, time.time())

    def interrupt(self) -> None:
        """Stop every running command: SIGTERM, then SIGKILL after a grace period."""
        self._stopping = True
        with self._lock:
            procs = list(self._procs)
            groups = set(self._groups)
        for proc in procs:
            _signal(proc, signal.SIGTERM, proc in groups)
        deadline = time.monotonic() + 5
        for proc in procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(proc, signal.SIGKILL, proc in groups)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def _signal(proc: subprocess.Popen[bytes], sig: int, group: bool = False) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if group:
            os.killpg(proc.pid, sig)
        else:
            proc.send_signal(sig)
