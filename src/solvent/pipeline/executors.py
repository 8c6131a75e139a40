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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from solvent.pipeline.lock import LockedPath

if TYPE_CHECKING:  # the pool is made when a first job is submitted: a no-op repro has none
    from concurrent.futures import Future, ThreadPoolExecutor
from solvent.pipeline.model import Stage

LineSink = Callable[[str, str], None]  # (stage name, line without newline)


@dataclass(frozen=True, slots=True)
class Job:
    stage: str
    cmds: tuple[str, ...]
    cwd: Path
    log: Path
    definition: Stage | None = None  # for executors that run away from the workspace
    inputs: tuple[LockedPath, ...] = ()  # the deps as the scheduler saw them before the run


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


class LocalExecutor:
    """Runs jobs as local processes, at most ``jobs`` at a time."""

    def __init__(self, jobs: int, sink: LineSink) -> None:
        self._jobs = max(1, jobs)
        self._pool: ThreadPoolExecutor | None = None
        self._sink = sink
        self._procs: set[subprocess.Popen[bytes]] = set()
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
        env = {**os.environ, "SOLVENT_STAGE": job.stage}
        with job.log.open("wb") as log:
            for cmd in job.cmds:
                if self._stopping:
                    return JobResult(job.stage, 130, cmd, started, time.time())
                log.write(f"$ {cmd}\n".encode())
                proc = subprocess.Popen(
                    cmd,
                    shell=True,
                    cwd=job.cwd,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                )
                with self._lock:
                    self._procs.add(proc)
                try:
                    assert proc.stdout is not None
                    for raw in proc.stdout:
                        log.write(raw)
                        self._sink(job.stage, raw.decode(errors="replace").rstrip("\n"))
                    code = proc.wait()
                finally:
                    with self._lock:
                        self._procs.discard(proc)
                log.flush()
                if code != 0:
                    return JobResult(job.stage, code, cmd, started, time.time())
        return JobResult(job.stage, 0, None, started, time.time())

    def interrupt(self) -> None:
        """Stop every running command: SIGTERM, then SIGKILL after a grace period."""
        self._stopping = True
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            _signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for proc in procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal(proc, signal.SIGKILL)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)


def _signal(proc: subprocess.Popen[bytes], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(sig)
