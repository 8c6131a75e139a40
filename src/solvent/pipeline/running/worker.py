"""What a Dask worker runs for one stage, away from the user's workspace.

``run_stage`` makes a scratch folder (a throwaway Solvent repo without git), fetches the
stage's inputs from the remote by id, runs the commands there, then hashes the outs and pushes
them to the remote, and returns their ids with the log and timings. It never writes the lock:
the scheduler records what it returns. Outs are pushed only after every command succeeded, each
object under its final name only once whole, so a worker that dies leaves nothing on the remote
that a lock could point to by mistake.

It is a module-level function of the installed package, so worker processes can import it.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from solvent.pipeline.planning.lock import LockedPath
from solvent.pipeline.planning.state import path_state
from solvent.pipeline.results.outs import locked_pointer
from solvent.pipeline.running.executors import stage_environ
from solvent.repo import RepoLayout
from solvent.storage.remote import RemoteStore
from solvent.tracking.checkout import checkout_pointers
from solvent.tracking.sync import fetch, push

LOG_TOPIC = "solvent-log"


@dataclass(frozen=True, slots=True)
class StageTask:
    stage: str
    cmds: tuple[str, ...]
    wdir: PurePosixPath
    inputs: tuple[LockedPath, ...]  # deps, params files and persist outs, by id
    outs: tuple[PurePosixPath, ...]
    remote_url: str  # a folder remote as an absolute path
    remote_options: dict[str, str]
    topic: str = LOG_TOPIC  # where log lines go, as {"stage", "attempt", "line"} events
    attempt: int = 0
    cpus: int | None = None  # resources: cpus, the thread count numeric libraries may use


@dataclass(frozen=True, slots=True)
class StageDone:
    returncode: int
    failed_cmd: str | None
    started: float
    ended: float
    log: bytes
    lines: int  # log lines sent as events
    outs: tuple[LockedPath, ...] = ()  # on the remote; only when returncode is 0
    timings: dict[str, float] = field(default_factory=dict)  # fetch, run, push (seconds)
    worker: str = ""


class StageError(Exception):
    """The stage could not be run here (inputs missing on the remote, push failed)."""


def run_stage(task: StageTask) -> StageDone:
    started = time.time()
    worker, emit = _worker_hooks(task)
    scratch = Path(tempfile.mkdtemp(prefix="solvent-stage-", dir=worker_dir()))
    timings: dict[str, float] = {}
    try:
        layout, _created = RepoLayout.init(scratch, no_git=True)
        remote = RemoteStore(task.remote_url, dict(task.remote_options), scratch)
        tick = time.monotonic()
        pointers = [locked_pointer(i) for i in task.inputs]
        got = fetch(layout, remote, pointers, jobs=4)
        if got.failed:
            oid, why = next(iter(got.failed.items()))
            raise StageError(f"{len(got.failed)} input object(s) not fetched, e.g. {oid}: {why}")
        checkout_pointers(layout, pointers, force=True, relink=False, jobs=1)
        for out in task.outs:
            layout.abs(out).parent.mkdir(parents=True, exist_ok=True)
        cwd = layout.abs(task.wdir)
        cwd.mkdir(parents=True, exist_ok=True)
        timings["fetch"] = time.monotonic() - tick
        tick = time.monotonic()
        code, failed, log, lines = _run(task, cwd, emit, layout.root)
        timings["run"] = time.monotonic() - tick
        outs: tuple[LockedPath, ...] = ()
        if code == 0:
            tick = time.monotonic()
            outs = tuple(
                o for o in (path_state(layout, p, save=True) for p in task.outs) if o is not None
            )
            sent = push(layout, remote, [locked_pointer(o) for o in outs], jobs=4)
            if sent.failed:
                oid, why = next(iter(sent.failed.items()))
                raise StageError(f"{len(sent.failed)} out object(s) not pushed, e.g. {oid}: {why}")
            timings["push"] = time.monotonic() - tick
        return StageDone(code, failed, started, time.time(), log, lines, outs, timings, worker)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run(
    task: StageTask, cwd: Path, emit: Callable[[str], None], root: Path
) -> tuple[int, str | None, bytes, int]:
    """Run the commands one shell each, as the local executor does; stop at the first failure."""
    env = stage_env(task.stage, task.cpus, root)
    log = bytearray()
    lines = 0
    for cmd in task.cmds:
        log += f"$ {cmd}\n".encode()
        proc = subprocess.Popen(
            cmd, shell=True, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=_sigint_back(),
        )  # fmt: skip
        assert proc.stdout is not None
        for raw in proc.stdout:
            log += raw
            emit(raw.decode(errors="replace").rstrip("\n"))
            lines += 1
        code = proc.wait()
        if code != 0:
            return code, cmd, bytes(log), lines
    return 0, None, bytes(log), lines


THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def stage_env(stage: str, cpus: int | None, root: Path) -> dict[str, str]:
    """The worker's environment, less what a Dask nanny sets for its own tasks (one thread
    for numeric libraries, a malloc setting): a stage's command runs as it would locally, with
    ``cpus`` threads when it asked for them, and told what DVC tells it (``DVC_ROOT``: the
    scratch repo ``root`` it runs in)."""
    env = stage_environ(os.environ, stage, root)
    try:
        import dask.config

        imposed = dask.config.get("distributed.nanny.pre-spawn-environ", {}) or {}
    except ImportError:
        imposed = {}
    for key, value in imposed.items():
        if env.get(key) == str(value):
            del env[key]
    if cpus:
        env.update(dict.fromkeys(THREAD_VARS, str(cpus)))
    return env


def _sigint_back() -> Callable[[], None] | None:
    """The workers of a LocalCluster that Solvent started ignore Ctrl-C (Solvent closes them);
    the commands they run get it again, as they would from a terminal."""
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        return None
    return _default_sigint


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def worker_dir() -> str | None:
    """The Dask worker's own folder when running on one (cleaned up with the worker)."""
    try:
        from distributed import get_worker

        return str(get_worker().local_directory)
    except (ImportError, ValueError):
        return None


def _worker_hooks(task: StageTask) -> tuple[str, Callable[[str], None]]:
    """This worker's address, and a function that sends one log line to the client."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):  # called outside a worker (tests, debugging)
        return "", lambda line: None

    def emit(line: str) -> None:
        worker.log_event(task.topic, {"stage": task.stage, "attempt": task.attempt, "line": line})

    return str(worker.address), emit
