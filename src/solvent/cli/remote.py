"""``solvent remote add / list / remove / default / modify``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from solvent.cli.render import (
    DelayedProgress,
    command_group,
    console,
    err_console,
    escape,
    print_json,
)
from solvent.cli.repo_cmds import JSON

if TYPE_CHECKING:
    from solvent.api import Repo
    from solvent.repo import RepoLayout
    from solvent.tracking.sync import SyncReport

remote_app = command_group("Where data is shared: local or mounted folders and S3.")
NAME = typer.Argument(help="The remote's name, e.g. origin.")


def register(app: typer.Typer) -> None:
    app.add_typer(remote_app, name="remote")
    app.command("push")(push)
    app.command("fetch")(fetch)
    app.command("pull")(pull)
    app.command("get")(get)
    app.command("import")(import_)
    app.command("import-url")(import_url)
    app.command("update")(update)


def _layout() -> RepoLayout:
    from solvent.repo import RepoLayout

    return RepoLayout.find()


@remote_app.command("add")
def add(
    name: Annotated[str, NAME],
    url: Annotated[str, typer.Argument(help="A folder path, or s3://BUCKET[/PREFIX].")],
    default: Annotated[bool, typer.Option("--default", "-d", help="Make it the default.")] = False,
    force: Annotated[bool, typer.Option("--force", "-f", help="Replace an existing one.")] = False,
) -> None:
    """Add a remote (in .solvent/config.toml, which is committed)."""
    from solvent.remotes import add_remote

    layout = _layout()
    with layout.writing():
        add_remote(layout.dot, name, url, default=default, force=force)
    console.print(f"Remote '{escape(name)}' → {escape(url)}" + (" (default)" if default else ""))


@remote_app.command("list")
def list_(json: JSON = False) -> None:
    """List remotes; secrets are shown as ***."""
    from solvent.remotes import list_remotes

    remotes = list_remotes(_layout().dot)
    if json:
        print_json([{"name": r.name, "url": r.url, "default": r.default,
                     "options": r.shown()} for r in remotes])  # fmt: skip
        return
    if not remotes:
        console.print("No remotes. Add one: solvent remote add --default NAME URL")
    for r in remotes:
        extra = " ".join(f"{k}={v}" for k, v in r.shown().items())
        mark = " (default)" if r.default else ""
        console.print(
            f"{escape(r.name)}\t{escape(r.url)}{mark}  {escape(extra)}".rstrip(), soft_wrap=True
        )


@remote_app.command("remove")
def remove(name: Annotated[str, NAME]) -> None:
    """Remove a remote and its local settings."""
    from solvent.remotes import remove_remote

    layout = _layout()
    with layout.writing():
        remove_remote(layout.dot, name)
    console.print(f"Removed remote '{escape(name)}'")


@remote_app.command("default")
def default(name: Annotated[str, NAME]) -> None:
    """Make a remote the default one."""
    from solvent.remotes import set_default

    layout = _layout()
    with layout.writing():
        set_default(layout.dot, name)
    console.print(f"Default remote: '{escape(name)}'")


@remote_app.command("modify")
def modify(
    name: Annotated[str, NAME],
    key: Annotated[str, typer.Argument(help="endpoint_url, region, profile, jobs, or a secret.")],
    value: Annotated[str | None, typer.Argument(help="The value (omit with --unset).")] = None,
    unset: Annotated[bool, typer.Option("--unset", help="Remove the option.")] = False,
) -> None:
    """Set one option; secrets (keys, tokens, passwords) go to config.local.toml only."""
    from solvent.errors import UsageError
    from solvent.remotes import set_option

    if (value is None) != unset:
        raise UsageError("give a VALUE, or --unset (not both)")
    layout = _layout()
    with layout.writing():
        written = set_option(layout.dot, name, key, value)
    console.print(f"{'Unset' if unset else 'Set'} {escape(name)}.{escape(key)} in {written}")


SYNC_TARGETS = typer.Argument(
    help="Tracked paths, stage names or stage outs (default: everything tracked)."
)
REMOTE = typer.Option("--remote", "-r", help="Remote name (default: the default remote).")
SYNC_JOBS = typer.Option("--jobs", "-j", help="Parallel transfers (default 8).")
RUN_CACHE = typer.Option("--run-cache", help="Also move run-cache entries and their outs.")


def _print_sync(verb: str, report: SyncReport) -> None:
    console.print(
        f"{verb} {report.moved} object(s), {report.already} already there "
        f"({report.objects} needed)"
        + (f", {report.runs} run(s)" if report.runs else "")
        + (f", {report.runcache} run-cache entr(ies)" if report.runcache else "")
        + f" — {escape(report.remote)}",
        soft_wrap=True,
    )
    for oid, why in list(report.failed.items())[:10]:
        err_console.print(f"[red]failed[/] {oid}: {escape(why)}", soft_wrap=True)
    if report.failed:
        retry = len(report.failed) - len(report.corrupt)
        if report.corrupt:
            err_console.print(
                f"{len(report.corrupt)} object(s) are corrupt on the remote (the same on every "
                "try): delete those copies and push them again from a repo that has them"
            )
        if retry:
            err_console.print(f"{retry} object(s) failed; run the command again to retry")
        raise typer.Exit(1)


def _fetch(
    repo: Repo, targets: list[str] | None, remote: str | None, jobs: int | None, run_cache: bool
) -> SyncReport:
    return repo.fetch(
        targets or [], remote=remote, jobs=jobs, progress=DelayedProgress(), run_cache=run_cache
    )


def _show(verb: str, report: SyncReport, json: bool) -> None:
    if json:
        print_json(report)
    else:
        _print_sync(verb, report)


def push(
    targets: Annotated[list[str] | None, SYNC_TARGETS] = None,
    remote: Annotated[str | None, REMOTE] = None,
    jobs: Annotated[int | None, SYNC_JOBS] = None,
    run_cache: Annotated[bool, RUN_CACHE] = False,
    json: JSON = False,
) -> None:
    """Send tracked data and pipeline outs that the remote lacks."""
    from solvent.api import Repo

    report = Repo().push(
        targets or [], remote=remote, jobs=jobs, progress=DelayedProgress(), run_cache=run_cache
    )
    _show("pushed", report, json)


def fetch(
    targets: Annotated[list[str] | None, SYNC_TARGETS] = None,
    remote: Annotated[str | None, REMOTE] = None,
    jobs: Annotated[int | None, SYNC_JOBS] = None,
    run_cache: Annotated[bool, RUN_CACHE] = False,
    json: JSON = False,
) -> None:
    """Download into the cache what it lacks; each object is re-hashed before it is kept."""
    from solvent.api import Repo

    report = _fetch(Repo(), targets, remote, jobs, run_cache)
    _show("fetched", report, json)


def pull(
    targets: Annotated[list[str] | None, SYNC_TARGETS] = None,
    remote: Annotated[str | None, REMOTE] = None,
    jobs: Annotated[int | None, SYNC_JOBS] = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Discard unsaved changes.")] = False,
    run_cache: Annotated[bool, RUN_CACHE] = False,
) -> None:
    """fetch, then checkout."""
    from solvent.api import Repo

    repo = Repo()
    _print_sync("fetched", _fetch(repo, targets, remote, jobs, run_cache))
    for r in repo.checkout(targets or [], force=force, progress=DelayedProgress()):
        if r.written or r.deleted:
            console.print(f"{escape(r.path)}: {r.written} written, {r.deleted} deleted")


def get(
    url: Annotated[str, typer.Argument(help="The other repo: a git URL or a local path.")],
    path: Annotated[str, typer.Argument(help="The tracked path inside it.")],
    rev: Annotated[str | None, typer.Option("--rev", help="A commit, branch or tag.")] = None,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Where to put it.")] = None,
) -> None:
    """Download a tracked path from another Solvent repo and its remote (not tracked here)."""
    from pathlib import Path

    from solvent.tracking.get import get as run_get

    dest = Path(out) if out else Path.cwd() / Path(path).name
    placed = run_get(url, path, dest.resolve(), rev)
    console.print(f"Downloaded {escape(path)} from {escape(url)} → {escape(str(placed))}")


def import_(
    url: Annotated[str, typer.Argument(help="The other repo: a git URL or a local path.")],
    path: Annotated[str, typer.Argument(help="The tracked path inside it.")],
    rev: Annotated[str | None, typer.Option("--rev", help="A commit, branch or tag.")] = None,
    out: Annotated[str | None, typer.Option("--out", "-o", help="Where to put it.")] = None,
    json: JSON = False,
) -> None:
    """Download a tracked path from another Solvent repo and track it here, with its source."""
    from solvent.api import Repo

    result = Repo().import_data(url, path, out, rev=rev)
    if json:
        print_json(result)
        return
    console.print(
        f"Imported {escape(path)} from {escape(url)} at {result.commit[:10]} → "
        f"{escape(result.pointer)}",
        soft_wrap=True,
    )
    console.print(f"To save it in git: git add {escape(result.pointer)} .gitignore")


def import_url(
    url: Annotated[
        str, typer.Argument(help="A file or folder path, s3://BUCKET/KEY or an http(s) URL.")
    ],
    out: Annotated[str | None, typer.Argument(help="Where to put it (default: its name).")] = None,
    json: JSON = False,
) -> None:
    """Download data from a URL and track it here with its etag or checksum; 'solvent
    update' fetches it again when the source changes."""
    from solvent.api import Repo

    result = Repo().import_url(url, out)
    if json:
        print_json(result)
        return
    console.print(
        f"Imported {escape(url)} ({escape(result.commit)}) → {escape(result.pointer)}",
        soft_wrap=True,
    )
    console.print(f"To save it in git: git add {escape(result.pointer)} .gitignore")


def update(
    targets: Annotated[
        list[str] | None, typer.Argument(help="Imported paths (default: every import).")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Replace local edits to imported data.")
    ] = False,
    json: JSON = False,
) -> None:
    """Refresh imported data from its source when the source's rev (or URL) changed."""
    from solvent.api import Repo

    results = Repo().update(targets or [], force=force)
    if json:
        print_json(results)
        return
    if not results:
        console.print("Nothing here was imported ('solvent import URL PATH').")
    for r in results:
        what = f"updated to {r.commit[:10]}" if r.changed else f"up to date ({r.commit[:10]})"
        console.print(f"{escape(r.path)}: {what}")
