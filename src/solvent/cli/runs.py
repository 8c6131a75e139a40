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
    from solvent.runs.lineage import Lineage


def register(app: typer.Typer) -> None:
    app.command("runs")(runs)
    app.command("lineage")(lineage)


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
    table = _table("run", "stage", "status", "started", "took", "commit", "exp")
    for r in records[-limit:] if limit > 0 else records:
        table.add_row(*(escape(cell) for cell in _row(r)))
    console.print(table)
    if 0 < limit < len(records):
        console.print(f"[dim]… {len(records) - limit} earlier run(s); --limit 0 shows all[/]")


def _row(r: RunRecord) -> list[str]:
    started = time.strftime("%m-%d %H:%M", time.localtime(r.started))
    commit = (r.git_commit or "-")[:8] + ("+" if r.git_dirty else "")
    return [r.run_id[:8], r.stage, r.status, started, f"{r.ended - r.started:.1f}s", commit,
            (r.experiment or "-")[:8]]  # fmt: skip


def lineage(
    path: Annotated[str, typer.Argument(help="A path, or PATH@REV for its version at a commit.")],
    used_by: Annotated[
        bool, typer.Option("--used-by", help="Forward: what used this version of PATH.")
    ] = False,
    mermaid: Annotated[bool, typer.Option("--mermaid", help="Print a Mermaid flowchart.")] = False,
    json: JSON = False,
) -> None:
    """Which runs, params, code and data produced PATH; with --used-by, what it went into."""
    from solvent.api import Repo
    from solvent.runs.lineage import to_mermaid

    found = Repo().lineage(path, used_by=used_by)
    if json:
        print_json(found)
    elif mermaid:
        print(to_mermaid(found), end="")
    else:
        _print_tree(found)


def _print_tree(found: Lineage) -> None:
    from rich.tree import Tree

    seen: set[str] = set()

    def label(key: str) -> str:
        if key in found.runs:
            r = found.runs[key]
            when = time.strftime("%m-%d %H:%M", time.localtime(r.started))
            commit = (r.git_commit or "no commit")[:8] + ("+" if r.git_dirty else "")
            params = ", ".join(
                f"{k}={v}" for values in r.params.values() for k, v in values.items()
            )
            extra = f"\n[dim]params: {escape(params)}[/]" if params else ""
            return f"[bold]{escape(r.stage)}[/]  run {r.run_id[:8]}  {when}  {commit}{extra}"
        d = found.data[key]
        note = {"code": "  (code)", "raw": "  raw data", "source": "  source", "target": "",
                "produced": ""}[d.role]  # fmt: skip
        if d.tracked_in:
            note += f", commit {d.tracked_in[:8]}"
        return f"[cyan]{escape(d.path)}[/]  {d.id[:17]}{note}"

    def grow(tree: Tree, key: str) -> None:
        for child in found.children(key):
            text = label(child)
            if child in seen:  # once in full; after that by name
                text = text.split("\n")[0] + "  (see above)"
            branch = tree.add(text)
            if child not in seen:
                seen.add(child)
                grow(branch, child)

    root = Tree(label(found.target.key))
    seen.add(found.target.key)
    grow(root, found.target.key)
    console.print(root, soft_wrap=True)
    if not found.runs:
        console.print("No recorded run used this version.")
