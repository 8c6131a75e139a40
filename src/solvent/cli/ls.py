"""``solvent ls``: a repo's files and tracked data, as ``dvc ls`` lists them."""

from __future__ import annotations

from typing import Annotated

import typer

from solvent.cli.render import console, escape, print_json
from solvent.cli.repo_cmds import JSON


def register(app: typer.Typer) -> None:
    app.command("ls")(ls)


def ls(
    url: Annotated[
        str | None,
        typer.Argument(help="A repo: its git URL or folder (default: this repo; '.' as well)."),
    ] = None,
    path: Annotated[str | None, typer.Argument(help="A folder or file in it.")] = None,
    rev: Annotated[
        str | None,
        typer.Option(
            "--rev",
            help="A commit, branch or tag (default: the workspace of a "
            "local repo, the default branch of a remote one).",
        ),
    ] = None,
    recursive: Annotated[
        bool, typer.Option("--recursive", "-R", help="Every file below, tracked folders too.")
    ] = False,
    dvc_only: Annotated[
        bool, typer.Option("--dvc-only", "--tracked-only", help="Only tracked data and outs.")
    ] = False,
    json: JSON = False,
) -> None:
    """List a repo's files: git's and the data Solvent tracks (pointer files and pipeline
    outs, even where they are not checked out)."""
    from solvent.api import Repo

    entries = Repo.ls(url, path, rev=rev, recursive=recursive, dvc_only=dvc_only)
    if json:
        print_json(entries)
        return
    for e in entries:
        console.print(escape(e.path), style="bold" if e.isout else None, soft_wrap=True)
