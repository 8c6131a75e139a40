"""``solvent remote add / list / remove / default / modify``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from solvent.cli.render import command_group, console, escape, print_json
from solvent.cli.repo_cmds import JSON

if TYPE_CHECKING:
    from solvent.repo import RepoLayout

remote_app = command_group("Where data is shared: local or mounted folders and S3.")
NAME = typer.Argument(help="The remote's name, e.g. origin.")


def register(app: typer.Typer) -> None:
    app.add_typer(remote_app, name="remote")


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
