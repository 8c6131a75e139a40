"""``solvent install`` and the ``solvent git-hook`` its hooks call."""

from __future__ import annotations

from typing import Annotated

import typer

from solvent.cli.render import console, escape


def register(app: typer.Typer) -> None:
    app.command("install")(install)
    app.command("git-hook", hidden=True, context_settings={"ignore_unknown_options": True})(
        git_hook
    )


def install(
    append: Annotated[
        bool,
        typer.Option("--append", help="Add Solvent's line to existing shell hooks."),
    ] = False,
) -> None:
    """Git hooks: 'solvent checkout' after git checkout and git merge, 'solvent push' before
    git push."""
    from solvent.api import Repo

    for h in Repo().install(append=append):
        what = {"installed": "installed", "appended": "appended to", "present": "already in"}
        console.print(f"{h.hook}: {what[h.action]} {escape(h.path)}", soft_wrap=True)


def git_hook(
    name: Annotated[str, typer.Argument(help="post-checkout, post-merge or pre-push.")],
    args: Annotated[list[str] | None, typer.Argument(help="What git passed the hook.")] = None,
) -> None:
    """Run what a hook installed by 'solvent install' does (called by git)."""
    from solvent.api import Repo
    from solvent.errors import NotARepoError

    try:
        repo = Repo()
    except NotARepoError:
        return  # a git repo without Solvent: nothing to do
    action, result = repo.git_hook(name, args or [])
    if action == "push" and result is not None and not isinstance(result, list):
        from solvent.cli.remote import _print_sync

        _print_sync("solvent: pushed", result)
    elif isinstance(result, list):
        for r in (r for r in result if r.written or r.deleted):
            console.print(f"solvent: {escape(r.path)}: {r.written} written, {r.deleted} deleted")
