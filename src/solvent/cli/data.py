"""``solvent add / status / diff / checkout``: versioned data."""

from __future__ import annotations

from typing import Annotated

import typer

from solvent.cli import data_run
from solvent.cli.render import DelayedProgress, console, escape, print_json
from solvent.cli.repo_cmds import JOBS, JSON

TARGETS = typer.Argument(help="Tracked paths or their pointer files (default: all).")


def register(app: typer.Typer) -> None:
    app.command("add")(add)
    app.command("status")(status)
    app.command("diff")(diff)
    app.command("checkout")(checkout)


def add(
    paths: Annotated[list[str], typer.Argument(help="Files or folders to track.")],
    jobs: JOBS = None,
    json: JSON = False,
) -> None:
    """Store files and folders by content and write their .solvent pointer files."""
    data_run.add(paths, jobs, json)


def status(
    targets: Annotated[list[str] | None, TARGETS] = None,
    jobs: JOBS = None,
    json: JSON = False,
    remote: Annotated[
        bool, typer.Option("--remote", help="Compare with the default remote instead.")
    ] = False,
    remote_name: Annotated[
        str | None, typer.Option("--remote-name", "-r", help="Compare with this remote.")
    ] = None,
    verbose: Annotated[
        bool,
        typer.Option("--verbose", "-v", help="Every stage, with its implicit code deps."),
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Print nothing; exit 1 if anything is stale or changed."
        ),
    ] = False,
) -> None:
    """What changed: tracked data against its pointer files, and stale pipeline stages."""
    code = data_run.status(targets, jobs, json, remote, remote_name, verbose, quiet)
    if code:
        raise typer.Exit(code)


def diff(
    rev_a: Annotated[str | None, typer.Argument(help="Old revision (default: HEAD).")] = None,
    rev_b: Annotated[
        str | None, typer.Argument(help="New revision (default: the workspace).")
    ] = None,
    json: JSON = False,
) -> None:
    """Per-file changes of tracked data between git revisions or the workspace."""
    from solvent.api import Repo

    result = Repo().diff(rev_a, rev_b)
    if json:
        print_json(result)
        return
    for c in result.changes:
        color = {"added": "green", "deleted": "red", "modified": "yellow"}[c.change]
        console.print(f"[{color}]{c.change:9}[/]{escape(c.path)}")
    for path in result.coarse:
        console.print(f"[dim]{escape(path)}: folder listing not in the cache, compared whole[/]")
    if not result.changes:
        console.print(f"No changes between {result.a} and {result.b}.")


def checkout(
    targets: Annotated[list[str] | None, TARGETS] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Discard unsaved changes.")] = False,
    relink: Annotated[
        bool, typer.Option("--relink", help="Rewrite every file in the configured link type.")
    ] = False,
    jobs: JOBS = None,
) -> None:
    """Restore tracked data and pipeline outs (as solvent.lock records them) from the cache.

    Targets may also be stage names or stage outs."""
    from solvent.api import Repo

    results = Repo().checkout(targets or [], force, relink, jobs, DelayedProgress())
    changed = [r for r in results if r.written or r.deleted]
    for r in changed:
        console.print(f"{escape(r.path)}: {r.written} written, {r.deleted} deleted")
    if not changed:
        console.print("Workspace already matches the pointer files.")
