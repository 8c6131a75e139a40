"""``solvent commit``, ``freeze``, ``unfreeze``, ``remove`` and ``move``: the commands that
change the pipeline file, the lock or the pointer files without running anything (DVC's verbs
of the same names)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from solvent.cli.render import console, escape, print_json
from solvent.cli.repo_cmds import JOBS, JSON

STAGE = typer.Argument(help="A stage name.")


def register(app: typer.Typer) -> None:
    app.command("commit")(commit)
    app.command("freeze")(freeze)
    app.command("unfreeze")(unfreeze)
    app.command("remove")(remove)
    app.command("move")(move)


def commit(
    targets: Annotated[
        list[str] | None, typer.Argument(help="Stage names, globs or out paths (default: all).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Commit stages that changed without asking.")
    ] = False,
    jobs: JOBS = None,
    json: JSON = False,
) -> None:
    """Record the workspace's deps, params and outs in solvent.lock without running the
    stages, and store the outs in the cache."""
    from solvent.api import Repo

    done = Repo().commit(targets or [], force=force, confirm=_confirm, jobs=jobs)
    if json:
        print_json(done)
        return
    for c in done:
        if c.changed:
            console.print(f"Committed {escape(c.stage)}", soft_wrap=True)
    if not any(c.changed for c in done):
        console.print("Nothing to commit: solvent.lock already records the workspace.")


def _confirm(stage: str, reasons: list[str]) -> bool:
    """Ask at a terminal, as DVC does; elsewhere the answer is no (-f says yes)."""
    if not sys.stdin.isatty():
        return False
    return typer.confirm(
        f"Stage '{stage}' changed ({'; '.join(reasons)}). Commit it anyway?", default=False
    )


def freeze(stage: Annotated[str, STAGE]) -> None:
    """Mark a stage frozen: repro and status leave it alone until it is unfrozen."""
    _set_frozen(stage, True)


def unfreeze(stage: Annotated[str, STAGE]) -> None:
    """Let a frozen stage run again when it is stale."""
    _set_frozen(stage, False)


def _set_frozen(stage: str, frozen: bool) -> None:
    from solvent.api import Repo

    edit = Repo().freeze(stage, frozen)
    state = "frozen" if frozen else "not frozen"
    if edit.changed:
        console.print(f"Stage '{escape(stage)}' is {state} ({edit.file}).", soft_wrap=True)
    else:
        console.print(f"Stage '{escape(stage)}' was already {state}.", soft_wrap=True)


def remove(
    target: Annotated[str, typer.Argument(help="A stage name, or tracked data / its pointer.")],
    outs: Annotated[
        bool, typer.Option("--outs", help="Delete the outs (or the data) from the workspace too.")
    ] = False,
) -> None:
    """Remove a stage from the pipeline file and the lock, or stop tracking data (its pointer
    file and .gitignore entry). The cache keeps the bytes until 'solvent gc'."""
    from solvent.api import Repo
    from solvent.pipeline.spec.stage_edit import StageRemoved

    result = Repo().remove(target, outs=outs)
    if isinstance(result, StageRemoved):
        console.print(f"Removed stage '{escape(result.stage)}' from {result.file}", soft_wrap=True)
        for path in result.outs_removed:
            console.print(f"  deleted {escape(path)}", soft_wrap=True)
        return
    console.print(f"Stopped tracking {escape(result.path)}: removed {escape(result.pointer)}")
    if result.data_removed:
        console.print(f"  deleted {escape(result.path)}", soft_wrap=True)


def move(
    src: Annotated[str, typer.Argument(help="Tracked data (or its pointer file).")],
    dst: Annotated[str, typer.Argument(help="The new path (or a folder to move it into).")],
) -> None:
    """Move tracked data with its pointer file, updating the .gitignore entries."""
    from solvent.api import Repo

    repo = Repo()
    moved = repo.move(src, dst)
    console.print(f"Moved {escape(moved.src)} → {escape(moved.dst)}", soft_wrap=True)
    if repo.layout.uses_git:
        console.print(
            f"To save it in git: git add {escape(moved.pointer)} and the .gitignore files; "
            f"git rm --cached {escape(moved.src)}.solvent",
            soft_wrap=True,
        )
