"""The bodies of ``solvent add`` and ``solvent status``, free of Typer so that the hot
commands can run without it (``cli/fast.py``). Their parameters are declared in ``data.py``."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from solvent.cli.render import DelayedProgress, console, escape, print_json

if TYPE_CHECKING:
    from solvent.api import Repo
    from solvent.tracking.add import AddResult
    from solvent.tracking.status import DataStatus


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{n} B"


def add(paths: list[str], jobs: int | None = None, json: bool = False) -> None:
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
    targets: list[str] | None = None,
    jobs: int | None = None,
    json: bool = False,
    remote: bool = False,
    remote_name: str | None = None,
    verbose: bool = False,
    quiet: bool = False,
) -> int:
    """The exit code: with ``quiet`` nothing is printed and it is 1 when anything is stale or
    changed (for scripts, as ``dvc status -q``); else 0."""
    from solvent.api import Repo
    from solvent.cli.pipeline_run import print_plan

    repo = Repo()
    if remote or remote_name:
        _remote_status(repo, targets or [], remote_name, json)
        return 0
    graph = repo.graph()
    stage_names = [s.name for s in graph.pipeline.stages] if graph else []
    stage_targets = [t for t in targets or [] if _names_stage(t, stage_names)]
    data_targets = [t for t in targets or [] if t not in stage_targets]
    data = []
    if data_targets or not stage_targets:
        data = repo.status(data_targets, jobs, DelayedProgress(bytes_=True))
    plan = repo.plan(stage_targets) if graph and (stage_targets or not data_targets) else None
    if quiet:
        return int(any(not _data_clean(r) for r in data) or bool(plan and plan.stale))
    if json:
        print_json({"data": data, "stages": plan.stages if plan else []})
        return 0
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
    return 0


def _names_stage(target: str, names: list[str]) -> bool:
    import fnmatch

    return any(fnmatch.fnmatchcase(n, target) for n in names)


def _data_clean(r: DataStatus) -> bool:
    """What ``_print_data`` calls clean: unchanged and in the cache."""
    from solvent.tracking.status import DataState

    return r.state is DataState.UNCHANGED and r.in_cache


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
