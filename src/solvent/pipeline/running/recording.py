"""What the scheduler writes to the run ledger after each stage: one ``RunRecord`` per run.

Only the scheduler process records (workers return results and never touch repo metadata).
The git commit and dirty flag are read once, before the first stage of a repro starts, so
the lock file the repro itself rewrites does not count as a local change.
"""

from __future__ import annotations

import subprocess
from typing import TYPE_CHECKING, Any

from solvent.pipeline.planning.lock import StageLock
from solvent.pipeline.planning.plan import StageState
from solvent.pipeline.spec.model import Stage
from solvent.repo import RepoLayout

if TYPE_CHECKING:  # the ledger is opened when a first run is recorded
    from solvent.runs.ledger import Ledger, RunRecord, RunStatus


def new_run_id() -> str:
    import uuid  # here: a no-op repro records nothing and need not import it

    return uuid.uuid4().hex[:20]


class Recorder:
    def __init__(self, layout: RepoLayout, experiment: str | None = None) -> None:
        self.layout = layout
        self.experiment = experiment
        self._ledger: Ledger | None = None
        self._git: tuple[str | None, bool] | None = None

    def begin(self) -> None:
        """Note the git commit before anything runs (once per repro)."""
        if self._git is None:
            self._git = _git_state(self.layout) if self.layout.uses_git else (None, False)

    def record(
        self, stage: Stage, state: StageState, entry: StageLock | None, status: RunStatus,
        started: float, ended: float, error: str | None = None,
        access: dict[str, Any] | None = None,
    ) -> RunRecord:  # fmt: skip
        import socket

        from solvent.runs.ledger import Ledger, RunRecord

        self.begin()
        assert self._git is not None
        outs = entry.outs if entry is not None else ()
        record = RunRecord(
            run_id=new_run_id(),
            stage=stage.name,
            cmd=stage.cmd,
            status=status,
            started=started,
            ended=ended,
            deps={str(p): str(d.id) for p, d in state.deps.items() if d is not None},
            outs={str(o.path): str(o.id) for o in outs},
            code={str(p): str(c.id) for p, c in state.code.items() if c is not None},
            params=state.params,
            metrics=self._metrics(stage) if status != "failed" else {},
            env=dict(state.env or {}),
            git_commit=self._git[0],
            git_dirty=self._git[1],
            host=socket.gethostname(),
            experiment=self.experiment,
            error=error,
            access=access or {},
        )
        if self._ledger is None:
            self._ledger = Ledger(self.layout.dot)
        self._ledger.add([record])
        return record

    def _metrics(self, stage: Stage) -> dict[str, Any]:
        from solvent.errors import SolventError
        from solvent.pipeline.spec.files import load_data_file
        from solvent.pipeline.spec.interpolate import ResolveError

        found: dict[str, Any] = {}
        for out in stage.outs:
            if out.kind != "metric":
                continue
            try:
                found[str(out.path)] = load_data_file(self.layout.root, out.path)
            except (ResolveError, SolventError, OSError, ValueError):
                continue  # not a metrics document we can read; the lock still has its id
        return found

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()


def _git_state(layout: RepoLayout) -> tuple[str | None, bool]:
    def run(*args: str) -> str | None:
        proc = subprocess.run(["git", *args], cwd=layout.root, capture_output=True, text=True,
                              check=False)  # fmt: skip
        return proc.stdout.strip() if proc.returncode == 0 else None

    commit = run("rev-parse", "--verify", "--quiet", "HEAD")
    dirty = bool(run("status", "--porcelain", "--untracked-files=no"))
    return commit, dirty
