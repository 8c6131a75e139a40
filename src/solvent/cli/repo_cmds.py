"""``solvent init`` and ``solvent cache …``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from solvent.cli.render import DelayedProgress, command_group, console, print_json

JOBS = Annotated[
    int | None, typer.Option("--jobs", "-j", help="Parallel workers (default: cores, at least 2).")
]
JSON = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

cache_app = command_group("Inspect and repair the local object cache.")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(cache_app, name="cache")


def init(
    no_git: Annotated[
        bool, typer.Option("--no-git", help="Use a plain folder, without git.")
    ] = False,
) -> None:
    """Make the current folder a Solvent repo (safe to run again)."""
    from solvent.repo import RepoLayout

    layout, created = RepoLayout.init(Path.cwd(), no_git=no_git)
    if created:
        console.print(f"Initialized Solvent repo in {layout.dot}")
        if layout.uses_git:
            console.print("Commit it: git add .solvent && git commit -m 'Initialize Solvent'")
    else:
        console.print(f"Solvent repo already initialized in {layout.dot}")


@cache_app.command("verify")
def verify(jobs: JOBS = None, json: JSON = False) -> None:
    """Rehash every object in the cache; exit non-zero if any is corrupt."""
    from solvent.api import Repo

    result = Repo().verify_cache(jobs, DelayedProgress())
    if json:
        print_json(result)
    else:
        for oid in result.corrupt:
            console.print(f"[red]corrupt[/] {oid}")
        console.print(f"{result.checked} objects checked, {len(result.corrupt)} corrupt")
    if result.corrupt:
        raise typer.Exit(1)
