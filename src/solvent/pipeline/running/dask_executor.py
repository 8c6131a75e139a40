"""``solvent repro --executor dask``: the one scheduler loop, with stages run on a Dask cluster.

Data goes through the remote, never through the cluster: before a stage is submitted its inputs
(deps, params files, persist outs) are saved in the cache and pushed; a worker fetches them by
id into a scratch folder, runs the commands, pushes the outs and returns their ids
(``worker.run_stage``). The scheduler then records them and, in its own thread, ``land`` fetches
and checks them out (or, with ``--no-download``, leaves them on the remote).

Dask itself reschedules a task whose worker died; a task whose workers kept dying
(``KilledWorker``) is submitted again, ``retries`` times. Log lines come back as Dask events.
Dask is imported only here, and only when this executor is used.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from solvent.errors import SolventError, UsageError
from solvent.pipeline.planning.lock import LockedPath
from solvent.pipeline.planning.state import path_state
from solvent.pipeline.results.outs import locked_pointer
from solvent.pipeline.running.execute import StageFailed
from solvent.pipeline.running.executors import Job, JobResult, LineSink
from solvent.pipeline.running.worker import LOG_TOPIC, StageDone, StageTask, run_stage
from solvent.pipeline.spec.model import Resources, Stage
from solvent.repo import RepoLayout
from solvent.storage.remote import RemoteStore
from solvent.tracking.checkout import checkout_pointers
from solvent.tracking.sync import fetch, push

INSTALL_HINT = "pip install 'solvent[dask]'"
TRANSFER_JOBS = 8


def connect_timeout() -> float:
    try:
        return float(os.environ.get("SOLVENT_DASK_TIMEOUT", "10"))
    except ValueError:
        return 10.0


class DaskExecutor:
    """Runs jobs as ``run_stage`` tasks on a Dask cluster; see the module's text."""

    def __init__(
        self, client: Any, cluster: Any, layout: RepoLayout, remote: RemoteStore,
        remote_options: dict[str, str], sink: LineSink, *, download: bool, retries: int,
        scratch: str | None = None,
    ) -> None:  # fmt: skip
        self.client = client
        self.cluster = cluster  # ours to close, or None for a cluster someone else runs
        self.layout = layout
        self.remote = remote
        self._url = remote.root if remote.local else remote.url
        self._options = remote_options
        self._sink = sink
        self.download = download
        self.retries = retries
        self._scratch = scratch
        self._pool = ThreadPoolExecutor(64, thread_name_prefix="dask-stage")
        self._futures: set[Any] = set()
        self._lock = threading.Condition()
        self._stopping = False
        self._topic = f"{LOG_TOPIC}-{uuid.uuid4().hex[:12]}"
        self._heard: dict[tuple[str, int], int] = {}  # (stage, attempt) → lines received
        self.slots = 0
        client.subscribe_topic(self._topic, self._on_line)

    # -- starting ----------------------------------------------------------------------

    @classmethod
    def start(
        cls, layout: RepoLayout, stages: list[Stage], *, address: str | None, remote: str | None,
        jobs: int, sink: LineSink, download: bool = True, retries: int = 2,
    ) -> DaskExecutor:  # fmt: skip
        """Connect to ``address`` (or start a LocalCluster of ``jobs`` worker processes) and
        check that some worker can hold every stage's ``resources``. Touches nothing on disk
        in the repo: every refusal comes before the run starts."""
        try:
            import distributed
        except ImportError:
            raise UsageError("the Dask executor is not installed", INSTALL_HINT) from None
        store, options = _remote(layout, remote)
        scratch = None
        cluster = None
        try:
            if address:
                client = _connect(distributed, address)
            else:
                scratch = tempfile.mkdtemp(prefix="solvent-dask-")
                cluster = _local_cluster(distributed, jobs, scratch)
                client = distributed.Client(cluster, set_as_default=False)  # type: ignore[no-untyped-call]
            executor = cls(client, cluster, layout, store, options, sink, download=download,
                           retries=retries, scratch=scratch)  # fmt: skip
        except BaseException:
            _close(None, cluster, scratch)
            raise
        try:
            executor.check(stages, local=address is None)
            # How many stages can run at once: the worker threads (0 while an adaptive
            # cluster has no workers yet).
            executor.slots = sum(int(n) for n in client.nthreads().values())
        except BaseException:
            executor.shutdown()
            raise
        return executor

    def check(self, stages: list[Stage], local: bool) -> None:
        """Refuse a stage that asks for more than any worker of the cluster has."""
        asking = [(s, s.resources.as_dict()) for s in stages if s.resources is not None]
        asking = [(s, r) for s, r in asking if r]
        if not asking:
            return
        try:
            self.client.wait_for_workers(1, timeout=connect_timeout())
        except Exception:
            raise UsageError(
                "the Dask cluster has no workers to run stages that ask for resources",
                "start workers with --resources, e.g. dask worker ADDRESS --resources 'cpus=4'",
            ) from None
        try:
            info = self.client.scheduler_info(n_workers=-1)  # all of them, not the first few
        except TypeError:  # distributed before 2025 lists them all anyway
            info = self.client.scheduler_info()
        workers = info["workers"].values()
        have = [dict(w.get("resources") or {}) for w in workers]
        for stage, wants in asking:
            if not any(all(h.get(k, 0) >= v for k, v in wants.items()) for h in have):
                hint = (
                    "ask for less in solvent.yaml, or use fewer local workers (--jobs 1 gives "
                    "one worker the whole machine)"
                    if local
                    else "ask for less in solvent.yaml, or start workers with --resources, e.g. "
                    f"dask worker ADDRESS --resources '{_worker_flag(wants)}'"
                )
                raise UsageError(
                    f"stage '{stage.name}' asks for {describe(stage.resources)}, but no worker "
                    f"of the Dask cluster has that (largest: {_largest(have)})",
                    hint,
                )

    # -- the Executor protocol ------------------------------------------------------------

    def submit(self, job: Job) -> Future[JobResult]:
        """Send the job's inputs to the remote (here, in the scheduler's thread: it alone
        writes the cache), then wait for the Dask task in a thread of the pool."""
        stage = job.definition
        assert stage is not None, "the scheduler gives every job its stage"
        started = time.time()
        try:
            task = self._task(job, stage)
        except (OSError, StageFailed, SolventError) as e:
            done: Future[JobResult] = Future()
            why = e.message if isinstance(e, SolventError) else str(e)
            done.set_result(JobResult(job.stage, 1, f"sending inputs to the remote: {why}",
                                      started, time.time()))  # fmt: skip
            return done
        return self._pool.submit(self._await, job, task, stage.resources)

    def land(self, outs: tuple[LockedPath, ...]) -> bool:
        if not self.download:
            return False
        pointers = [locked_pointer(o) for o in outs]
        try:
            got = fetch(self.layout, self.remote, pointers, TRANSFER_JOBS)
            if not got.failed:
                checkout_pointers(self.layout, pointers, force=True, relink=False, jobs=1)
                return True
            oid, why = next(iter(got.failed.items()))
        except (OSError, SolventError) as e:
            oid, why = "", e.message if isinstance(e, SolventError) else str(e)
        raise StageFailed(f"could not fetch its outs from {self.remote.url}: {oid} {why}")

    def interrupt(self) -> None:
        with self._lock:
            self._stopping = True
            futures = list(self._futures)
        if futures:
            self.client.cancel(futures, force=True)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=True)
        _close(self.client, self.cluster, self._scratch)

    # -- one job ---------------------------------------------------------------------------

    def _task(self, job: Job, stage: Stage) -> StageTask:
        inputs = {i.path: i for i in job.inputs}
        extra = {ref.file for ref in stage.params} | {o.path for o in stage.outs if o.persist}
        for path in sorted(extra - set(inputs)):
            found = path_state(self.layout, path)
            if found is not None:
                inputs[path] = found
        saved = [path_state(self.layout, p, save=True, jobs=TRANSFER_JOBS) for p in inputs]
        sent = [s for s in saved if s is not None]
        # What is not here is an out that an earlier stage left on the remote (--no-download).
        remote = [i for p, i in inputs.items() if p not in {s.path for s in sent}]
        pushed = push(self.layout, self.remote, [locked_pointer(s) for s in sent], TRANSFER_JOBS)
        if pushed.failed:
            oid, why = next(iter(pushed.failed.items()))
            raise StageFailed(f"{len(pushed.failed)} object(s) not sent, e.g. {oid}: {why}")
        return StageTask(
            job.stage, job.cmds, stage.wdir, (*sent, *remote), tuple(o.path for o in stage.outs),
            self._url, self._options, self._topic,
            cpus=stage.resources.cpus if stage.resources is not None else None,
        )  # fmt: skip

    def _await(self, job: Job, task: StageTask, resources: Resources | None) -> JobResult:
        from distributed import KilledWorker

        started = time.time()
        wants = resources.as_dict() if resources is not None else {}
        attempt = 0
        while True:
            task = _with_attempt(task, attempt)
            fut = self.client.submit(
                run_stage, task, key=f"solvent-{job.stage}-{uuid.uuid4().hex[:8]}", pure=False,
                resources=wants or None,
            )  # fmt: skip
            with self._lock:
                if self._stopping:
                    fut.cancel()
                    return JobResult(job.stage, 130, job.cmds[0], started, time.time())
                self._futures.add(fut)
            try:
                done: StageDone = fut.result()
            except KilledWorker:
                if attempt >= self.retries or self._stopping:
                    return self._lost(job, started, attempt + 1)
                attempt += 1
                self._sink(job.stage, f"[solvent] its worker died; retry {attempt} of "
                                      f"{self.retries} on another worker")  # fmt: skip
                continue
            except Exception as e:  # cancelled, or the task raised
                code = 130 if self._stopping else 1
                return JobResult(job.stage, code, f"on the Dask worker: {_describe(e)}",
                                 started, time.time())  # fmt: skip
            finally:
                with self._lock:
                    self._futures.discard(fut)
            self._wait_for_lines(job.stage, attempt, done.lines)
            self._write_log(job, done)
            return JobResult(job.stage, done.returncode, done.failed_cmd, done.started,
                             done.ended, done.outs if done.returncode == 0 else None)  # fmt: skip

    def _lost(self, job: Job, started: float, attempts: int) -> JobResult:
        why = (f"the Dask worker running it died {attempts} time(s) "
               "(killed, or out of memory?)")  # fmt: skip
        return JobResult(job.stage, 1, why, started, time.time())

    def _write_log(self, job: Job, done: StageDone) -> None:
        job.log.parent.mkdir(parents=True, exist_ok=True)
        took = ", ".join(f"{k} {v:.2f}s" for k, v in done.timings.items())
        job.log.write_bytes(done.log + f"# on Dask worker {done.worker}: {took}\n".encode())

    # -- log lines -----------------------------------------------------------------------

    def _on_line(self, event: Any) -> None:
        _when, msg = event
        if not isinstance(msg, dict):
            return
        stage, attempt = str(msg.get("stage")), int(msg.get("attempt", 0))
        self._sink(stage, str(msg.get("line", "")))
        with self._lock:
            self._heard[(stage, attempt)] = self._heard.get((stage, attempt), 0) + 1
            self._lock.notify_all()

    def _wait_for_lines(self, stage: str, attempt: int, lines: int, timeout: float = 2.0) -> None:
        """Let the last streamed lines of a stage print before it is reported done."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while self._heard.get((stage, attempt), 0) < lines:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._lock.wait(left)


def _with_attempt(task: StageTask, attempt: int) -> StageTask:
    from dataclasses import replace

    return replace(task, attempt=attempt)


def _describe(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0]}" if text else type(e).__name__


def _remote(layout: RepoLayout, name: str | None) -> tuple[RemoteStore, dict[str, str]]:
    from solvent.paths import check_remote_folder
    from solvent.remotes import get_remote

    try:
        found = get_remote(layout.dot, name)
    except UsageError as e:
        raise UsageError(
            f"the Dask executor moves data through a remote: {e.message}",
            e.hint or "add one: solvent remote add --default NAME URL",
        ) from None
    check_remote_folder(layout.root, found.url)
    return RemoteStore(found.url, found.options, layout.root), dict(found.options)


def _connect(distributed: Any, address: str) -> Any:
    try:
        return distributed.Client(address, timeout=connect_timeout(), set_as_default=False)
    except Exception as e:
        raise UsageError(
            f"cannot reach the Dask scheduler at {address} ({_describe(e)})",
            "check the address (tcp://HOST:PORT) and that 'dask scheduler' runs there, or "
            "leave out --scheduler-address to start a local cluster",
        ) from None


def _local_cluster(distributed: Any, workers: int, scratch: str) -> Any:
    """Worker processes on this machine, on 127.0.0.1, with their folders outside the repo;
    the machine's cores and memory are shared out among them as worker resources."""
    cpus = os.cpu_count() or 1
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        with _children_ignore_sigint():  # Ctrl-C is ours to handle: we close the cluster
            return distributed.LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                dashboard_address=None, local_directory=scratch, silence_logs=40,
                # No dashboard; its HTTP health routes on any free loopback port, not on 8787.
                scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                resources={"cpus": max(1, cpus // workers), "memory": memory // workers, "gpus": 0},
            )  # fmt: skip
    except Exception as e:
        raise UsageError(
            f"could not start a local Dask cluster ({_describe(e)})",
            "from a Python script, call Repo.repro under 'if __name__ == \"__main__\":' (Dask "
            "starts workers by importing the main module again); or pass --scheduler-address",
        ) from None


@contextlib.contextmanager
def _children_ignore_sigint() -> Iterator[None]:
    """Processes started in this block ignore Ctrl-C (a terminal sends it to the whole process
    group); this one still gets it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, before)


def _close(client: Any, cluster: Any, scratch: str | None) -> None:
    with contextlib.suppress(Exception):
        if client is not None:
            client.close()
    with contextlib.suppress(Exception):
        if cluster is not None:
            cluster.close()
    if scratch is not None:
        shutil.rmtree(scratch, ignore_errors=True)


def describe(resources: Resources | None) -> str:
    if resources is None:
        return "nothing"
    parts = []
    if resources.cpus:
        parts.append(f"{resources.cpus} cpus")
    if resources.memory:
        parts.append(f"{_size(resources.memory)} memory")
    if resources.gpus:
        parts.append(f"{resources.gpus} gpus")
    return ", ".join(parts) or "nothing"


def _largest(have: list[dict[str, float]]) -> str:
    if not any(have):
        return "no worker declares resources"
    best = {k: max(h.get(k, 0) for h in have) for k in ("cpus", "memory", "gpus")}
    return describe(Resources(int(best["cpus"]), int(best["memory"]), int(best["gpus"])))


def _size(n: float) -> str:
    for unit, scale in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if n >= scale:
            return f"{n / scale:.3g}{unit}"
    return f"{int(n)}B"


def _worker_flag(wants: dict[str, float]) -> str:
    return " ".join(f"{k}={v:g}" for k, v in wants.items())
