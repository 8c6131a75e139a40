"""``solvent init`` and ``solvent cache …``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from solvent.cli.render import DelayedProgress, command_group, console, print_json
from solvent.errors import UsageError

JOBS = Annotated[
    int | None, typer.Option("--jobs", "-j", help="Parallel workers (default: cores, at least 2).")
]
JSON = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]

cache_app = command_group("Inspect and repair the local object cache.")


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.add_typer(cache_app, name="cache")
    app.command("gc")(gc)


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
    if (layout.root / ".dvc").is_dir():
        console.print(
            "This is a DVC project: 'solvent migrate --dry' shows what Solvent takes over "
            "(.dvc pointers, stages dvc.lock shows up to date, remotes) without rerunning "
            "anything, and 'solvent migrate' does it.",
            soft_wrap=True,
        )


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


def gc(
    workspace: Annotated[
        bool, typer.Option("--workspace", "-w", help="Keep what the workspace needs (always).")
    ] = True,
    all_branches: Annotated[
        bool, typer.Option("--all-branches", help="Keep what any branch needs.")
    ] = False,
    all_tags: Annotated[bool, typer.Option("--all-tags", help="Keep what any tag needs.")] = False,
    all_commits: Annotated[
        bool, typer.Option("--all-commits", help="Keep what any commit needs.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Delete (default: only report).")
    ] = False,
    keep_days: Annotated[
        float | None, typer.Option("--keep-days", help="Keep objects written in the last N days.")
    ] = None,
    cloud: Annotated[
        bool, typer.Option("--cloud", "-c", help="Sweep a remote instead of the cache.")
    ] = False,
    remote: Annotated[
        str | None, typer.Option("--remote", "-r", help="The remote --cloud sweeps (default one).")
    ] = None,
    json: JSON = False,
) -> None:
    """Delete cached objects that neither the workspace nor the chosen revisions need."""
    from solvent.api import Repo
    from solvent.gc import GcScope

    if remote is not None and not cloud:
        raise UsageError("--remote names the remote that --cloud sweeps", "add --cloud")
    if cloud and keep_days is not None:
        raise UsageError("--keep-days applies to the cache, not to a remote", "drop it")
    scope = GcScope(True, all_branches, all_tags, all_commits)
    repo = Repo()
    if cloud:
        result = repo.gc_remote(scope, remote, force=force)
    else:
        result = repo.gc(scope, force=force, keep_days=keep_days)
    if json:
        print_json(result)
        return
    size = f"{result.removable_bytes / 1024 / 1024:.1f} MiB"
    if result.removed:
        console.print(f"Deleted {len(result.removable)} object(s), {size}; kept {result.kept}.")
    elif result.removable:
        console.print(
            f"Would delete {len(result.removable)} object(s), {size}; kept {result.kept}. "
            "Run again with --force to delete them.",
            soft_wrap=True,
        )
    else:
        console.print(f"Nothing to delete; {result.kept} object(s) are needed.")
