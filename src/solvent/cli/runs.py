"""``solvent runs`` (the run ledger) and ``solvent lineage`` (what made / what used a path)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from solvent.cli.metrics import _table
from solvent.cli.render import console, escape, print_json
from solvent.cli.repo_cmds import JSON

if TYPE_CHECKING:
    from solvent.runs.ledger import RunRecord


def register(app: typer.Typer) -> None:
    app.command("runs")(runs)


def runs(
    stage: Annotated[
        str | None, typer.Option("--stage", "-s", help="Only this stage (globs: train@*).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", help="Show the last N runs.")] = 50,
    json: JSON = False,
) -> None:
    """Every recorded stage run, oldest first: status, time, commit, code and environment."""
    from solvent.api import Repo

    records = Repo().runs(stage)
    if json:
        print_json(records)
        return
    if not records:
        console.print("No runs recorded" + (f" for stage {escape(stage)}." if stage else "."))
        return
    table = _table("run", "stage", "status", "started", "took", "commit", "outs", "env")
    for r in records[-limit:] if limit > 0 else records:
        table.add_row(*(escape(cell) for cell in _row(r)))
    console.print(table)
    if 0 < limit < len(records):
        console.print(f"[dim]… {len(records) - limit} earlier run(s); --limit 0 shows all[/]")


def _row(r: RunRecord) -> list[str]:
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.started))
    commit = (r.git_commit or "-")[:8] + ("+" if r.git_dirty else "")
    env = f"py{r.env.get('python', '?')}" if r.env else "-"
    return [r.run_id[:8], r.stage, r.status, started, f"{r.ended - r.started:.1f}s", commit,
            str(len(r.outs)), env]  # fmt: skip
