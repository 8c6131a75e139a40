"""``Repo``'s experiments: run, queue, show, apply, remove, save, branch, push and pull. A
mixin, so ``api.py`` stays one screenful per concern; each method imports what it runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from pathlib import Path

    from solvent.pipeline.planning.graph import Graph
    from solvent.pipeline.planning.plan import Plan
    from solvent.repo import RepoLayout
    from solvent.runs.experiments import Experiment
    from solvent.runs.ledger import Ledger
    from solvent.storage.remote import RemoteStore
    from solvent.tracking.sync import SyncReport

T = TypeVar("T")


class Experiments:
    layout: RepoLayout
    _graph_loaded: bool

    @property
    def root(self) -> Path:  # Repo's
        raise NotImplementedError

    def graph(self) -> Graph | None:  # Repo's
        raise NotImplementedError

    def plan(self) -> Plan:  # Repo's
        raise NotImplementedError

    def _remote(self, name: str | None) -> RemoteStore:  # Repo's
        raise NotImplementedError

    def _head(self) -> str | None:  # Repo's
        raise NotImplementedError

    def _with_ledger(self, use: Callable[[Ledger], T]) -> T:  # Repo's
        raise NotImplementedError

    def exp_run(
        self, sets: list[str] | None = None, *, name: str | None = None, queue: bool = False,
        jobs: int = 1, executor: str | None = None, scheduler_address: str | None = None,
    ) -> list[Experiment]:  # fmt: skip
        """Queue the cartesian product of ``sets`` (``key=v1,v2``) and, unless ``queue``,
        run them ``jobs`` at a time, each in an isolated workspace (its stages on a Dask
        cluster with ``executor="dask"``)."""
        from solvent.runs import experiments as ex

        args = self._exp_repro_args(executor, scheduler_address)
        combos = ex.parse_sets(sets or [])
        ex.project_files(self.root)  # refuses early outside git
        baseline = self._head()
        made = self._with_ledger(lambda ledger: ex.queue(ledger, combos, name, baseline))
        return made if queue else ex.run_many(self.root, made, jobs, self._save_exp, args)

    def exp_run_all(
        self, jobs: int = 1, *, executor: str | None = None, scheduler_address: str | None = None
    ) -> list[Experiment]:
        """Run every queued experiment."""
        from solvent.runs import experiments as ex

        args = self._exp_repro_args(executor, scheduler_address)
        queued = [e for e in self.experiments() if e.status == "queued"]
        return ex.run_many(self.root, queued, jobs, self._save_exp, args)

    def _exp_repro_args(self, executor: str | None, address: str | None) -> tuple[str, ...]:
        """What each experiment's repro is told; checked here, before anything is queued."""
        from solvent.api import _executor_choice
        from solvent.errors import UsageError

        chosen, address = _executor_choice(self.layout, executor, address)
        if chosen != "dask":
            if address is not None and executor is not None:
                raise UsageError("--scheduler-address is for --executor dask", "add it")
            return ()
        if address is None:
            raise UsageError(
                "experiments on Dask share one cluster: give its address",
                "start one ('dask scheduler' and 'dask worker ADDR'), then pass "
                "--scheduler-address tcp://HOST:PORT (or set [repro] scheduler_address)",
            )
        return ("--executor", "dask", "--scheduler-address", address)

    def experiments(self) -> list[Experiment]:
        from solvent.runs.experiments import all_experiments

        return self._with_ledger(all_experiments)

    def experiment(self, ref: str) -> Experiment:
        from solvent.runs.experiments import find

        return self._with_ledger(lambda ledger: find(ledger, ref))

    def exp_apply(self, ref: str) -> Experiment:
        """Bring an experiment's params, lock and outputs into the workspace."""
        from solvent.errors import UsageError
        from solvent.storage.fsutil import atomic_write_text

        exp = self.experiment(ref)
        if exp.status != "done":
            raise UsageError(f"experiment {exp.name} is {exp.status}, not done", None)
        with self.layout.writing():
            for rel in ("solvent.lock", *sorted(set(exp.files) - {"solvent.lock"})):
                if rel in exp.files:
                    path = self.layout.abs(self.layout.rel(self.root / rel))
                    path.parent.mkdir(parents=True, exist_ok=True)
                    atomic_write_text(path, exp.files[rel])
        self._graph_loaded = False
        graph = self.graph()
        if graph is not None:  # every stage's outs, by stage: never a name read as a path
            from solvent.api import default_jobs
            from solvent.pipeline.results.outs import locked_out_pointers
            from solvent.tracking.checkout import checkout_pointers

            outs = locked_out_pointers(self.layout, graph, list(graph.pipeline.stages))
            with self.layout.writing():
                checkout_pointers(self.layout, outs, True, False, default_jobs())
        return exp

    def exp_remove(self, refs: list[str]) -> list[Experiment]:
        gone = [self.experiment(r) for r in refs]
        self._with_ledger(lambda ledger: ledger.delete_experiments(e.exp_id for e in gone))
        for e in gone:
            (self.layout.dot / "exps" / f"{e.exp_id}.log").unlink(missing_ok=True)
        return gone

    def exp_save(self, name: str | None = None) -> Experiment:
        """Record the workspace (its pipeline up to date) as an experiment without running:
        its lock, the tracked files it changed since HEAD, its params changes and metrics."""
        from solvent.errors import UsageError
        from solvent.pipeline.results.params_metrics import metrics_show, params_diff
        from solvent.runs import experiments as ex

        ex.project_files(self.root)  # refuses outside git
        baseline, stale = self._head(), [p.stage.name for p in self.plan().stale]
        if baseline is None:
            raise UsageError("exp save needs a commit to start from", "commit the project first")
        if stale:
            raise UsageError(f"stage(s) {', '.join(stale)} are not up to date: the lock would "
                             "not describe the workspace", "run 'solvent repro' first")  # fmt: skip
        pipeline = graph.pipeline if (graph := self.graph()) is not None else None
        rows = params_diff(self.layout, pipeline).rows
        changed = {(r.key if r.path == ex.DEFAULT_PARAMS else f"{r.path}:{r.key}"): r.new
                   for r in rows if r.state != "deleted"}  # fmt: skip
        shown = metrics_show(self.layout, pipeline).files
        metrics = {f.path: f.data for f in shown if f.data is not None}
        return self._with_ledger(
            lambda ledger: ex.save(ledger, self.root, name, baseline, changed, metrics)
        )

    def exp_branch(self, ref: str, branch: str) -> str:
        """A git branch at the experiment's commit (its baseline with its lock and files)."""
        from solvent.runs import exp_share

        return exp_share.branch(self.root, exp_share.done(self.experiment(ref)), branch)

    def exp_push(
        self, git_remote: str, refs: list[str], *, remote: str | None = None,
        jobs: int | None = None, force: bool = False,
    ) -> list[tuple[Experiment, SyncReport]]:  # fmt: skip
        """Share experiments (default: the finished ones run from HEAD, as DVC picks them):
        the outs their locks name go to the data remote, then each one's commit to
        ``git_remote`` as ``refs/solvent/exps/NAME`` (``force``: replacing another)."""
        from solvent.runs import exp_share

        exps = [exp_share.done(self.experiment(r)) for r in refs]
        exps = exps or exp_share.of_head(self.experiments(), self._head())
        store = self._remote(remote)
        return exp_share.push_all(self.layout, store, git_remote, exps, jobs or 8, force)

    def exp_pull(
        self, git_remote: str, names: list[str], *, remote: str | None = None,
        jobs: int | None = None,
    ) -> list[tuple[Experiment, SyncReport]]:  # fmt: skip
        """Fetch experiments others pushed (default: all ``git_remote`` holds): records from
        it, outs from the data remote; ``exp show`` lists them, ``exp apply`` restores them."""
        from solvent.runs import exp_share

        store, names = self._remote(remote), names or exp_share.remote_names(self.root, git_remote)
        return self._with_ledger(lambda ledger: exp_share.pull_all(
            self.layout, ledger, store, git_remote, names, jobs or 8))  # fmt: skip

    def _save_exp(self, exp: Experiment) -> None:
        def save(ledger: Ledger) -> None:
            ledger.put_experiment(exp.exp_id, exp.name, exp.created, exp.to_json())

        self._with_ledger(save)
