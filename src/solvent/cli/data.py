"""``solvent add / status / diff / checkout``: versioned data."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Annotated

import typer

from solvent.cli.render import DelayedProgress, console, escape, print_json
from solvent.cli.repo_cmds import JOBS, JSON

if TYPE_CHECKING:
    from solvent.api import Repo
    from solvent.tracking.add import AddResult
    from solvent.tracking.status import DataStatus

TARGETS = typer.Argument(help="Tracked paths or their pointer files (default: all).")


def register(app: typer.Typer) -> None:
    app.command("add")(add)
    app.command("status")(status)
    app.command("diff")(diff)
    app.command("checkout")(checkout)


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def add(
    paths: Annotated[list[str], typer.Argument(help="Files or folders to track.")],
    jobs: JOBS = None,
    json: JSON = False,
) -> None:
    """Store files and folders by content and write their .solvent pointer files."""
    from solvent.api import Repo

    repo = Repo()
    results = repo.add(paths, jobs, DelayedProgress(bytes_=True))
    if json:
        print_json(results)
        return
    for r in results:
        what = f"{r.files} files, " if r.kind == "dir" else ""
        verb = "tracked" if r.changed else "unchanged"
        console.print(f"{verb} {escape(r.path)} ({what}{_size(r.size)}) → {r.pointer}")
    if repo.layout.uses_git and any(r.changed for r in results):
        files = " ".join(sorted({r.pointer for r in results} | _gitignores(results)))
        console.print(f"To save this version in git: git add {files}")


def _gitignores(results: list[AddResult]) -> set[str]:
    return {str(PurePosixPath(r.path).parent / ".gitignore").removeprefix("./") for r in results}


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
) -> None:
    """What changed: tracked data against its pointer files, and stale pipeline stages."""
    from solvent.api import Repo
    from solvent.cli.pipeline import print_plan

    repo = Repo()
    if remote or remote_name:
        _remote_status(repo, targets or [], remote_name, json)
        return
    graph = repo.graph()
    stage_names = [s.name for s in graph.pipeline.stages] if graph else []
    stage_targets = [t for t in targets or [] if _names_stage(t, stage_names)]
    data_targets = [t for t in targets or [] if t not in stage_targets]
    data = []
    if data_targets or not stage_targets:
        data = repo.status(data_targets, jobs, DelayedProgress(bytes_=True))
    plan = repo.plan(stage_targets) if graph and (stage_targets or not data_targets) else None
    if json:
        print_json({"data": data, "stages": plan.stages if plan else []})
        return
    clean = _print_data(data)
    if plan is not None:
        clean = print_plan(plan, verbose, repo.data_notes(plan)) and clean
    if plan is None:
        if not data:
            console.print("No tracked data. Track some with 'solvent add PATH'.")
        elif clean:
            console.print("Tracked data is up to date.")
    elif clean:
        console.print("Data and pipelines are up to date.")


def _names_stage(target: str, names: list[str]) -> bool:
    import fnmatch

    return any(fnmatch.fnmatchcase(n, target) for n in names)


def _print_data(results: list[DataStatus]) -> bool:
    from solvent.tracking.status import DataState

    clean = True
    for r in results:
        notes = [] if r.in_cache else ["not in cache"]
        if r.state is DataState.UNCHANGED:
            if notes:
                clean = False
                console.print(f"[yellow]{escape(r.path)}[/]: {', '.join(notes)}")
            continue
        clean = False
        color = "red" if r.state is DataState.MISSING else "yellow"
        console.print(f"[{color}]{escape(r.path)}[/]: {', '.join([r.state.value, *notes])}")
        for label, paths in (
            ("added", r.changes.added),
            ("removed", r.changes.removed),
            ("modified", r.changes.modified),
        ):
            for p in paths[:20]:
                console.print(f"    {label:9}{escape(r.path)}/{escape(p)}")
            if len(paths) > 20:
                console.print(f"    … and {len(paths) - 20} more {label}")
    return clean


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


def _remote_status(repo: Repo, targets: list[str], name: str | None, json: bool) -> None:
    states = repo.remote_status(targets, remote=name)
    if json:
        print_json(states)
        return
    synced = True
    for s in states:
        notes = []
        if s.not_on_remote:
            notes.append(f"{s.not_on_remote} object(s) not on the remote (solvent push)")
        if s.not_local:
            notes.append(f"{s.not_local} object(s) not in the cache (solvent pull)")
        if notes:
            synced = False
            console.print(f"[yellow]{escape(s.path)}[/]: {'; '.join(notes)}", soft_wrap=True)
    if synced:
        console.print("The remote and the cache hold the same tracked data.")
