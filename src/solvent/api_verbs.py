"""``Repo``'s methods for the verbs DVC users type: ``config``, ``ls``, ``commit``, ``freeze``
and ``unfreeze``, ``remove`` and ``move``. A mixin, so ``api.py`` stays one screenful per
concern; each method imports what it runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from solvent.pipeline.planning.graph import Graph
    from solvent.pipeline.running.commit import Committed, Confirm
    from solvent.pipeline.spec.stage_edit import StageEdit, StageRemoved
    from solvent.repo import RepoLayout
    from solvent.runs.experiments import Reference
    from solvent.tracking.listing import LsEntry
    from solvent.tracking.move import Moved, Untracked


def _jobs() -> int:
    import os

    return max(2, os.cpu_count() or 1)


class DvcVerbs:
    layout: RepoLayout
    _graph_loaded: bool

    def graph(self) -> Graph | None:  # Repo's
        raise NotImplementedError

    def config_value(self, name: str, *, local: bool = False) -> object:
        """A setting (``section.key``), local over shared; None when not set."""
        from solvent.config import get_value

        return get_value(self.layout.dot, name, local=local)

    def config_values(self, *, local: bool = False) -> dict[str, object]:
        from solvent.config import list_values

        return list_values(self.layout.dot, local=local)

    def set_config(self, name: str, value: str | None, *, local: bool = False) -> str:
        """Set (None: unset) a setting, checked first; returns the file written."""
        from solvent.config import check_value, set_value

        check_value(self.layout.dot, name, value, local=local)  # a mistake takes no lock
        with self.layout.writing():
            return set_value(self.layout.dot, name, value, local=local)

    @staticmethod
    def ls(
        url: str | None = None, path: str | None = None, *, rev: str | None = None,
        recursive: bool = False, dvc_only: bool = False,
    ) -> list[LsEntry]:  # fmt: skip
        """The files of the repo at ``url`` (None: the one holding the current folder) below
        ``path``: git's, and the tracked data and outs, as ``dvc ls`` lists them. No repo
        is needed to list another one."""
        from solvent.tracking.listing import ls

        return ls(url, path, rev, recursive=recursive, dvc_only=dvc_only)

    def commit(
        self, targets: list[str] | None = None, *, force: bool = False,
        confirm: Confirm | None = None, jobs: int | None = None,
    ) -> list[Committed]:  # fmt: skip
        """Record the workspace's deps, params and outs of the stages (all by default) in the
        lock without running them; a stage that changed only with ``force`` or ``confirm``."""
        from solvent.errors import UsageError
        from solvent.pipeline.planning.graph import select
        from solvent.pipeline.running.commit import commit

        graph = self.graph()
        if graph is None:
            raise UsageError(
                f"no solvent.yaml or dvc.yaml in {self.layout.root}", "nothing to commit"
            )
        stages = select(graph, targets or [], single_item=True)
        return commit(self.layout, stages, force=force, confirm=confirm, jobs=jobs or _jobs())

    def freeze(self, stage: str, frozen: bool = True) -> StageEdit:
        """Set (or with ``frozen`` False, remove) ``frozen: true`` on a stage in the yaml."""
        from solvent.pipeline.spec.stage_edit import set_frozen

        self._graph_loaded = False
        return set_frozen(self.layout, stage, frozen)

    def remove(self, target: str, *, outs: bool = False) -> StageRemoved | Untracked:
        """A stage (from the yaml and the lock) or tracked data (its pointer file); ``outs``
        deletes the stage's outs or the data from the workspace too."""
        from solvent.errors import UsageError
        from solvent.pipeline.spec.stage_edit import drop_stage
        from solvent.tracking.move import pointer_of, untrack

        graph = self.graph()
        stages = graph.pipeline.stages if graph else ()
        group = [s for s in stages if target in (s.name, s.name.partition("@")[0])]
        self._graph_loaded = False
        if group:
            return drop_stage(self.layout, target, group, outs)
        with self.layout.writing():
            pointer = pointer_of(self.layout, target)
            if pointer is None:
                raise UsageError(
                    f"{target}: neither a stage nor tracked data",
                    "name a stage ('solvent dag' lists them) or a tracked path or pointer file",
                )
            return untrack(self.layout, pointer, outs)

    def move(self, src: str, dst: str) -> Moved:
        """Move tracked data and its pointer file (and .gitignore entry), like ``dvc move``."""
        from solvent.errors import UsageError
        from solvent.tracking.move import move, pointer_of

        graph = self.graph()
        rel = self.layout.rel(src, "source")
        for s in graph.pipeline.stages if graph else ():
            if any(o.path == rel for o in s.outs):
                raise UsageError(
                    f"{rel} is an out of stage '{s.name}'; only data tracked with 'solvent add' "
                    "moves", f"rename it in {graph.pipeline.file if graph else 'the yaml'} instead",
                )  # fmt: skip
        with self.layout.writing():
            pointer = pointer_of(self.layout, src)
            if pointer is None:
                raise UsageError(f"{src} is not tracked by Solvent", f"solvent add {src}")
            return move(self.layout, pointer, dst)

    def exp_references(self, keys: list[str]) -> list[Reference]:
        """The workspace's and the baseline commit's values of the params ``keys`` and of
        the metrics: the rows ``exp show`` puts above the experiments."""
        from solvent.pipeline.results.baseline import head, values_at
        from solvent.runs.experiments import Reference

        graph = self.graph()
        pipeline = graph.pipeline if graph is not None else None
        here = values_at(self.layout, pipeline, None, keys)
        refs = [Reference("workspace", "", "workspace", *here)]
        baseline = head(self.layout)
        if baseline is not None:
            name, commit = baseline
            there = values_at(self.layout, pipeline, commit, keys)
            refs.append(Reference(name, commit, "baseline", *there))
        return refs
