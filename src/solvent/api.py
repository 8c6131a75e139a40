"""``solvent.Repo``: the one Python entry point. The CLI is a thin layer over it."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, TypeVar

from solvent.api_exp import Experiments
from solvent.api_verbs import DvcVerbs
from solvent.repo import RepoLayout

if TYPE_CHECKING:  # each command imports only what it runs, to keep start-up short
    from solvent.doctor.report import DoctorOptions, DoctorReport
    from solvent.doctor.reproduce import StageVerdict
    from solvent.dvc.lockfile import DvcPointer
    from solvent.dvc.migrate import Migration
    from solvent.gc import GcResult, GcScope
    from solvent.notebook.scaffold import Scaffolded
    from solvent.notebook.stage import ScriptMade
    from solvent.pipeline.planning.graph import Graph
    from solvent.pipeline.planning.plan import Plan
    from solvent.pipeline.running.execute import Events, Ids, Inspector, ReproReport
    from solvent.pipeline.spec.model import Stage
    from solvent.progress import Progress
    from solvent.runs.ledger import Ledger, RunRecord
    from solvent.runs.lineage import Lineage
    from solvent.stage_checks import DataInspector
    from solvent.storage.remote import RemoteStore
    from solvent.storage.verify import VerifyResult
    from solvent.tracking.add import AddResult
    from solvent.tracking.checkout import CheckoutResult
    from solvent.tracking.diff import DiffResult
    from solvent.tracking.hooks import HookAct, HookInstall
    from solvent.tracking.imports import ImportResult
    from solvent.tracking.pointer import Pointer
    from solvent.tracking.status import DataStatus
    from solvent.tracking.sync import RemoteState, SyncReport

T = TypeVar("T")


def default_jobs() -> int:
    return max(2, os.cpu_count() or 1)


class Repo(Experiments, DvcVerbs):
    """A Solvent repo. ``Repo()`` finds the one holding the current folder."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.layout = RepoLayout.find(Path(path) if path is not None else None)
        self._graph: Graph | None = None
        self._graph_loaded = False

    @classmethod
    def init(cls, path: str | os.PathLike[str] = ".", no_git: bool = False) -> Repo:
        layout, _created = RepoLayout.init(Path(path), no_git=no_git)
        return cls(layout.root)

    @property
    def root(self) -> Path:
        return self.layout.root

    def add(
        self, paths: list[str], jobs: int | None = None, progress: Progress | None = None
    ) -> list[AddResult]:
        from solvent.tracking.add import add

        return add(self.layout, paths, jobs or default_jobs(), progress)

    def status(
        self, targets: list[str] | None = None, jobs: int | None = None,
        progress: Progress | None = None,
    ) -> list[DataStatus]:  # fmt: skip
        from solvent.tracking.status import status

        if not (self.root / ".dvc").is_dir():  # the hot path: no DVC code imported
            return status(self.layout, targets or [], jobs or default_jobs(), progress)
        from solvent.dvc.pointers import all_dvc_pointers, dvc_status, split_targets

        named = targets or []
        rest, dvc = split_targets(self.layout, named)  # .dvc files of 'dvc add' are data too
        found = (
            status(self.layout, rest, jobs or default_jobs(), progress) if rest or not named else []
        )
        return found + dvc_status(self.layout, dvc if named else all_dvc_pointers(self.layout))

    def migrate(self, *, dry: bool = False) -> Migration:
        """Take over a DVC project: cache its .dvc pointers' data, record the stages that
        match dvc.lock in solvent.lock (without running them), add its remotes."""
        from solvent.dvc.migrate import apply_migration, plan_migration

        return plan_migration(self.layout) if dry else apply_migration(self.layout)

    def diff(self, rev_a: str | None = None, rev_b: str | None = None) -> DiffResult:
        from solvent.tracking.diff import diff

        return diff(self.layout, rev_a, rev_b, default_jobs())

    def checkout(
        self,
        targets: list[str] | None = None,
        force: bool = False,
        relink: bool = False,
        jobs: int | None = None,
        progress: Progress | None = None,
    ) -> list[CheckoutResult]:
        """Restore tracked data and the pipeline's cached outs (as the lock records them).

        A target is a tracked path, its pointer file, a stage name or glob, or a stage out.
        """
        from solvent.dvc.pointers import all_dvc_pointers, solvent_pointers, split_targets
        from solvent.tracking.checkout import checkout_pointers

        named = targets or []
        rest, dvc = split_targets(self.layout, named)  # .dvc files of 'dvc add' are data too
        pointers = self._data_pointers(rest) if rest or not named else []
        if not named:
            dvc = all_dvc_pointers(self.layout) + self._dvc_lock_outs([])
        elif rest:
            dvc += self._dvc_lock_outs(rest)
        with self.layout.writing():
            pointers += solvent_pointers(self.layout, dvc)
            return checkout_pointers(
                self.layout, pointers, force, relink, jobs or default_jobs(), progress
            )

    def _dvc_lock_outs(self, targets: list[str]) -> list[DvcPointer]:
        """Outs that dvc.lock records for stages solvent.lock does not have (yet): of the
        stages or outs ``targets`` name, or of every stage."""
        from solvent.dvc.adopt import unadopted_outs
        from solvent.pipeline.planning.graph import select
        from solvent.pipeline.planning.lock import read_lock

        graph = self.graph()
        if graph is None or not (self.root / "dvc.lock").is_file():
            return []
        named = [t for t in targets if _names_stage_or_out(graph, t)]
        if targets and not named:
            return []
        stages = select(graph, named, single_item=True) if named else graph.pipeline.stages
        outs = unadopted_outs(self.layout, list(stages), read_lock(self.root))
        by_path = [p for p in outs if str(p.path) in {t.rstrip("/") for t in named}]
        return by_path or outs

    def _data_pointers(self, targets: list[str]) -> list[Pointer]:
        """Pointer files and the pipeline's cached outs (as the lock records them) that
        ``targets`` name: tracked paths, pointer files, stage names or globs, stage outs."""
        from solvent.pipeline.results.outs import locked_out_pointers, targeted_out_pointers
        from solvent.tracking.select import all_pointers, select_pointers

        graph = self.graph()
        if not targets:
            stages = list(graph.pipeline.stages) if graph is not None else []
            outs = locked_out_pointers(self.layout, graph, stages) if graph is not None else []
            return all_pointers(self.layout) + outs
        outs, data_targets = (
            targeted_out_pointers(self.layout, graph, targets) if graph else ([], targets)
        )
        return (select_pointers(self.layout, data_targets) if data_targets else []) + outs

    def push(
        self, targets: list[str] | None = None, *, remote: str | None = None,
        jobs: int | None = None, progress: Progress | None = None, run_cache: bool = False,
    ) -> SyncReport:  # fmt: skip
        """Send the objects of tracked data and pipeline outs that the remote lacks, and the
        runs the remote's ledger lacks; with ``run_cache``, run-cache entries and their outs."""
        from solvent.pipeline.running.runcache_sync import entries_to_push, send_entries
        from solvent.runs.sync import push_runs
        from solvent.tracking.sync import push

        pointers = self._data_pointers(targets or [])
        store = self._remote(remote)
        entries, outs = entries_to_push(self.layout, store) if run_cache else ([], [])
        report = push(self.layout, store, pointers + outs, jobs or 8, progress)
        if entries and not report.failed:  # an entry goes only once its outs are there
            send_entries(self.layout, store, entries)
            report.runcache = len(entries)
        report.runs = self._with_ledger(lambda ledger: push_runs(ledger, store))
        return report

    def fetch(
        self, targets: list[str] | None = None, *, remote: str | None = None,
        jobs: int | None = None, progress: Progress | None = None, run_cache: bool = False,
    ) -> SyncReport:  # fmt: skip
        """Download into the cache the objects the local cache lacks (re-hashed on arrival),
        and merge the remote's runs into the ledger; with ``run_cache``, the remote's run-cache
        entries and their outs too."""
        from solvent.pipeline.running.runcache_sync import keep_entries, receive_entries
        from solvent.runs.sync import fetch_runs
        from solvent.tracking.sync import fetch

        pointers = self._data_pointers(targets or [])
        store = self._remote(remote)
        with self.layout.writing():
            entries, outs = receive_entries(self.layout, store) if run_cache else ({}, [])
            report = fetch(self.layout, store, pointers + outs, jobs or 8, progress)
            if entries and not report.failed:  # kept only once their outs are in the cache
                report.runcache = keep_entries(self.layout, entries)
            report.runs = self._with_ledger(lambda ledger: fetch_runs(ledger, store))
            return report

    def import_data(
        self, url: str, path: str, out: str | None = None, *, rev: str | None = None,
        jobs: int | None = None,
    ) -> ImportResult:  # fmt: skip
        """Download ``path`` from the Solvent repo at ``url`` and track it here, recording
        the source so ``update`` can refresh it."""
        from solvent.tracking.imports import import_data

        dest = Path(out) if out else Path.cwd() / PurePosixPath(path).name
        return import_data(self.layout, url, path, dest.resolve(), rev, jobs or 8)

    def import_url(
        self, url: str, out: str | None = None, *, jobs: int | None = None
    ) -> ImportResult:
        """Download ``url`` (a path, ``s3://…``, ``https://…``) and track it here with its
        etag / version / checksum, so ``update`` fetches it again when the source changes."""
        from solvent.tracking.imports import import_url

        name = PurePosixPath(url.rstrip("/").rsplit("/", 1)[-1] or "data").name
        dest = Path(out) if out else Path.cwd() / name
        return import_url(self.layout, url, dest.resolve(), jobs or 8)

    def update(
        self, targets: list[str] | None = None, *, force: bool = False, jobs: int | None = None
    ) -> list[ImportResult]:
        """Bring imported data up to its source's rev, or URL imports to
        their source's current version (all imports by default)."""
        from solvent.tracking.imports import update

        return update(self.layout, targets or [], force, jobs or 8)

    def install(self, *, append: bool = False) -> list[HookInstall]:
        """Git hooks as ``dvc install`` writes them: checkout after ``git checkout`` and
        ``git merge``, push of the data before ``git push`` (see ``tracking.hooks``)."""
        from solvent.tracking.hooks import install

        return install(self.root, append)

    def git_hook(
        self, name: str, args: list[str]
    ) -> tuple[HookAct, SyncReport | list[CheckoutResult] | None]:
        """What the hook ``name`` runs when git calls it with ``args``: the action taken
        (checkout, push or skip) and its result."""
        from solvent.tracking.hooks import hook_action

        action = hook_action(self.root, name, args)
        if action == "push":
            return action, self.push()
        return action, (self.checkout() if action == "checkout" else None)

    def remote_status(
        self, targets: list[str] | None = None, *, remote: str | None = None
    ) -> list[RemoteState]:
        """Per tracked path: objects the remote lacks (to push) and the cache lacks (to pull)."""
        from solvent.tracking.sync import remote_status

        pointers = self._data_pointers(targets or [])
        return remote_status(self.layout, self._remote(remote), pointers)

    def _remote(self, name: str | None) -> RemoteStore:
        from solvent.paths import check_remote_folder
        from solvent.remotes import get_remote
        from solvent.storage.remote import RemoteStore

        found = get_remote(self.layout.dot, name)
        check_remote_folder(self.root, found.url)  # a URL set by hand in config.toml too
        return RemoteStore(found.url, found.options, self.root)

    def gc(self, scope: GcScope, *, force: bool, keep_days: float | None = None) -> GcResult:
        """Cached objects the scope does not need; deleted with ``force``."""
        from solvent.gc import gc

        return gc(self.layout, scope, force=force, keep_days=keep_days)

    def gc_remote(self, scope: GcScope, remote: str | None, *, force: bool) -> GcResult:
        """Objects on a remote (the default one) the scope does not need."""
        from solvent.gc import gc_remote

        return gc_remote(self.layout, self._remote(remote), scope, force=force)

    def verify_cache(
        self, jobs: int | None = None, progress: Progress | None = None
    ) -> VerifyResult:
        from solvent.storage.verify import verify_store

        return verify_store(self.layout.store, jobs or default_jobs(), progress)

    # -- pipelines -----------------------------------------------------------------------

    def graph(self) -> Graph | None:
        """The pipeline's DAG, or None when the repo has no solvent.yaml / dvc.yaml.

        Loaded once per ``Repo``: a command that asks twice parses the spec once.
        """
        from solvent.pipeline import spec_file

        if not self._graph_loaded and spec_file(self.root) is None:
            self._graph, self._graph_loaded = None, True
        if not self._graph_loaded:
            from solvent.pipeline.planning.graph import build_graph
            from solvent.pipeline.spec.load import load_pipeline

            pipeline = load_pipeline(self.root)
            self._graph = build_graph(pipeline) if pipeline is not None else None
            self._graph_loaded = True
        return self._graph

    def plan(
        self,
        targets: list[str] | None = None,
        *,
        downstream: bool = False,
        single_item: bool = False,
        force: bool = False,
    ) -> Plan:
        """Which selected stages are stale, and why (nothing runs)."""
        from solvent.pipeline.planning.graph import select
        from solvent.pipeline.planning.plan import Plan
        from solvent.pipeline.planning.status import pipeline_plan

        graph = self.graph()
        if graph is None:
            return Plan()
        stages = select(graph, targets or [], downstream=downstream, single_item=single_item)
        forced = {s.name for s in stages} if force else set()
        return pipeline_plan(self.layout, graph, stages, forced, default_jobs())

    def repro(
        self,
        targets: list[str] | None = None,
        *,
        jobs: int | None = None,
        keep_going: bool = False,
        force: bool = False,
        dry: bool = False,
        run_cache: bool = True,
        downstream: bool = False,
        single_item: bool = False,
        events: Events | None = None,
        executor: str | None = None,
        scheduler_address: str | None = None,
        remote: str | None = None,
        download: bool = True,
        retries: int = 2,
        strict_deps: bool = False,
        trace: str | None = None,
    ) -> ReproReport:
        """Run the stale stages among the selected ones (all by default).

        Local stages are traced (``trace``: auto, full, audit or off; default
        ``SOLVENT_TRACE``, then ``[repro] trace``, then auto; see ``pipeline.tracing``): a file
        read or written that the stage does not declare is a warning, and with ``strict_deps``
        fails the stage.

        ``executor`` "dask" runs them on a Dask cluster (``scheduler_address``, or a local
        one), moving data through ``remote``; outs are checked out here unless ``download``
        is False. The defaults come from the config's ``[repro]`` table. ``jobs`` stages run
        at once: by default ``[repro] jobs``, else 1 for a ``dvc.yaml`` pipeline run here (as
        DVC runs it), else the cores (``pipeline.ordering``).
        """
        from dataclasses import replace

        from solvent.errors import UsageError
        from solvent.pipeline.planning.graph import select
        from solvent.pipeline.running.execute import ReproOptions, repro
        from solvent.pipeline.running.executors import Executor

        executor, scheduler_address = _executor_choice(self.layout, executor, scheduler_address)
        if trace is not None and trace not in ("auto", "full", "audit", "off"):
            raise UsageError(f"unknown trace mode '{trace}'", "choose from auto, full, audit, off")

        graph = self.graph()
        if graph is None:
            raise UsageError(
                f"no solvent.yaml or dvc.yaml in {self.root}",
                "declare stages in solvent.yaml, or add one with 'solvent stage add'",
            )
        stages = select(graph, targets or [], downstream=downstream, single_item=single_item)
        from solvent.pipeline.planning.ordering import stages_at_once

        at_once = stages_at_once(self.layout, graph.pipeline.file, jobs, executor != "dask")
        options = ReproOptions(
            jobs=jobs or default_jobs(),
            at_once=at_once,
            keep_going=keep_going,
            force=frozenset(s.name for s in stages) if force else frozenset(),
            run_cache=run_cache,
            dry=dry,
            inspect=self._data_inspection(),
            strict_deps=strict_deps,
            trace=trace,
        )
        events = events or (lambda kind, text: None)
        runner: Executor | None = None
        if executor == "dask" and not dry:
            from solvent.pipeline.running.dask_executor import DaskExecutor

            say = events
            runner = DaskExecutor.start(
                self.layout, stages, address=scheduler_address, remote=remote, jobs=options.jobs,
                sink=lambda stage, line: say("line", f"{stage}: {line}"), download=download,
                retries=retries,
            )  # fmt: skip
            if jobs is None and runner.slots:  # as many at once as the cluster has threads
                options = replace(options, jobs=runner.slots)
        try:
            return repro(self.layout, graph, stages, options, events, runner)
        except BaseException:
            if runner is not None:
                runner.shutdown()  # the scheduler shuts it down once it runs; not before
            raise

    def data_notes(self, plan: Plan) -> dict[str, list[str]]:
        """Per stale stage: how its changed tabular deps differ from their locked versions
        (schema and drift; empty without the health extra or a cached locked version)."""
        from solvent.pipeline.planning.lock import read_lock
        from solvent.pipeline.planning.state import path_state
        from solvent.stage_checks import DataInspector, is_tabular

        lock = read_lock(self.root)
        inspector = DataInspector(self.layout)
        notes: dict[str, list[str]] = {}
        for p in plan.stale:
            entry = lock.get(p.stage.name)
            locked = {d.path: d.id for d in entry.deps} if entry is not None else {}
            tabular = [d for d in p.stage.deps if is_tabular(d) and d in locked]
            current = {d: s.id for d in tabular if (s := path_state(self.layout, d)) is not None}
            lines = inspector.changed_inputs(p.stage, locked, current) if current else []
            if lines:
                notes[p.stage.name] = lines
        return notes

    def _data_inspection(self) -> Inspector:
        """What one repro runs on each stale stage's data (stage_checks.DataInspector), made
        when a first stage needs it: a no-op repro imports none of the health layer."""
        made: list[DataInspector] = []

        def inspect(
            stage: Stage, phase: str, locked: Ids, current: Ids
        ) -> tuple[list[str], list[str]]:
            from solvent.stage_checks import DataInspector

            if not made:
                made.append(DataInspector(self.layout))
            return made[0].inspect(stage, phase, locked, current)

        return inspect

    def script_from_notebook(
        self, notebook: Path, out: Path, stage: str | None = None, *, force: bool = False
    ) -> ScriptMade:
        """A notebook as a typed CLI script, a params section and a stage (``solvent script``)."""
        from solvent.notebook.stage import script_from_notebook

        return script_from_notebook(self.layout, notebook, out, stage, force=force)

    def new_stage(
        self, name: str, *, script: Path | None = None, deps: list[str] | None = None,
        outs: list[str] | None = None, params: list[str] | None = None, force: bool = False,
    ) -> Scaffolded:  # fmt: skip
        """A typed Typer script template, its params section and its stage (``stage new``)."""
        from solvent.notebook.scaffold import new_stage

        return new_stage(self.layout, name, script=script, deps=deps, outs=outs, params=params,
                         force=force)  # fmt: skip

    # -- run ledger ----------------------------------------------------------------------

    def doctor(
        self, options: DoctorOptions | None = None, *, check_types: bool = False
    ) -> DoctorReport:
        """The project's hidden debts, each with its evidence and fix (``solvent doctor``);
        ``check_types`` also runs mypy on the stages' code."""
        from dataclasses import replace

        from solvent.doctor.options import load_options
        from solvent.doctor.project import Project
        from solvent.doctor.report import diagnose
        from solvent.pipeline.spec.load import load_pipeline

        project = Project(self.layout, load_pipeline(self.root))
        try:
            options = options or load_options(self.layout.dot)
            if check_types:
                options = replace(options, check_types=True)
            return diagnose(project, options)
        finally:
            project.close()

    def doctor_reproduce(
        self, stages: list[str] | None = None, progress: Callable[[str], None] | None = None
    ) -> list[StageVerdict]:
        """Rerun ``stages`` (default: the locked model stages) on their locked inputs in a
        scratch workspace; the verdicts are kept for ``doctor`` (``doctor --reproduce``)."""
        from solvent.doctor.project import Project
        from solvent.doctor.reproduce import reproduce, select
        from solvent.pipeline.spec.load import load_pipeline

        project = Project(self.layout, load_pipeline(self.root))
        try:
            return reproduce(project, select(project, stages or []), progress)
        finally:
            project.close()

    def runs(self, stage: str | None = None) -> list[RunRecord]:
        """Recorded stage runs, oldest first; ``stage`` may be a glob."""
        return self._with_ledger(lambda ledger: ledger.runs(stage))

    def lineage(self, target: str, *, used_by: bool = False) -> Lineage:
        """Backward (what produced ``PATH`` or ``PATH@REV``) or, with ``used_by``, forward
        (what used it), from the run ledger."""
        from solvent.errors import UsageError
        from solvent.pipeline.results.versions import id_inside, is_data, tracked_in, version_of
        from solvent.runs.lineage import backward, forward
        from solvent.storage.ids import ObjectId

        version = version_of(self.layout, target)
        path = str(version.path)

        def inside(folder: str, folder_id: str, rel: str) -> str | None:
            return id_inside(self.layout, ObjectId.parse(folder_id), PurePosixPath(rel))

        if used_by:
            return self._with_ledger(lambda ledger: forward(ledger, path, version.id, inside))

        def origin(p: str, oid: str) -> tuple[str | None, bool]:
            rel = PurePosixPath(p)
            return tracked_in(self.layout, rel, oid), is_data(self.layout, rel)

        found = self._with_ledger(lambda ledger: backward(ledger, path, version.id, origin, inside))
        if found is None:
            raise UsageError(
                f"{target}: this version ({version.id[:17]}) was not produced by any recorded run",
                f"'solvent lineage --used-by {target}' shows what used it; "
                "'solvent runs' lists the recorded runs",
            )
        return found

    def _head(self) -> str | None:
        from solvent import git
        from solvent.errors import GitError

        try:
            return git.git(self.root, "rev-parse", "--verify", "--quiet", "HEAD").decode().strip()
        except GitError:
            return None

    def _with_ledger(self, use: Callable[[Ledger], T]) -> T:
        from solvent.runs.ledger import Ledger

        ledger = Ledger(self.layout.dot)
        try:
            return use(ledger)
        finally:
            ledger.close()


EXECUTORS = ("local", "dask")


def _executor_choice(
    layout: RepoLayout, executor: str | None, address: str | None
) -> tuple[str, str | None]:
    """The executor and scheduler address asked for, else the config's ``[repro]`` table
    (``config.local.toml`` over ``config.toml``), else local."""
    from solvent.config import read_toml
    from solvent.errors import UsageError

    settings: dict[str, object] = {}
    if executor is None or address is None:
        for name in ("config.toml", "config.local.toml"):
            table = read_toml(layout.dot / name).get("repro", {})
            settings.update(table if isinstance(table, dict) else {})
    chosen = executor or str(settings.get("executor", "local"))
    if chosen not in EXECUTORS:
        raise UsageError(f"unknown executor '{chosen}'", f"choose from {', '.join(EXECUTORS)}")
    configured = settings.get("scheduler_address")
    return chosen, address or (str(configured) if configured else None)


def _names_stage_or_out(graph: Graph, target: str) -> bool:
    """``target`` names a stage (or a glob of stage names) or one of their outs."""
    import fnmatch
    from pathlib import PurePosixPath

    path = PurePosixPath(target.rstrip("/"))
    return any(
        fnmatch.fnmatchcase(s.name, target) or any(o.path == path for o in s.outs)
        for s in graph.pipeline.stages
    )
