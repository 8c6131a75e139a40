"""``solvent script NOTEBOOK -o SCRIPT`` and ``solvent stage new NAME``: from notebook (or
nothing) to a typed pipeline stage."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from solvent.cli.render import console, escape

if TYPE_CHECKING:
    from solvent.notebook.stage import ScriptMade


def register(app: typer.Typer) -> None:
    app.command("script")(script)


def script(
    notebook: Annotated[Path, typer.Argument(metavar="NOTEBOOK.ipynb", help="The notebook.")],
    out: Annotated[
        Path, typer.Option("--out", "-o", metavar="SCRIPT.py", help="The script to write.")
    ],
    stage: Annotated[
        str | None,
        typer.Option(
            "--stage", metavar="NAME", help="The stage and params section (default: the script)."
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", "-f", help="Replace the script, its params section and stage."),
    ] = False,
) -> None:
    """Turn a notebook into a typed CLI script and a pipeline stage: its parameters cell
    becomes Typer options, their values a section of params.yaml, and the new stage in
    solvent.yaml passes them (--lr ${train.lr}), with the files the code reads as deps and
    the files it writes as outs."""
    from solvent.api import Repo

    made = Repo().script_from_notebook(notebook, out, stage, force=force)
    _report(made)


def _report(made: ScriptMade) -> None:
    s = made.script
    console.print(f"Wrote {escape(str(made.path))} from {escape(str(made.notebook))}")
    if s.parameters:
        opts = ", ".join(f"{p.option} ({p.type_name})" for p in s.parameters)
        console.print(f"  options: {escape(opts)}; values in params.yaml under '{made.section}'")
    if s.kept:
        console.print(f"  left in the code (not a number or text): {escape(', '.join(s.kept))}")
    where = f"{made.stage.file}:{made.stage.line}" if made.stage.line else str(made.stage.file)
    console.print(f"Added stage '{escape(made.stage.name)}' in {escape(where)}")
    console.print(f"  deps: {escape(', '.join(s.reads) or 'none seen')}")
    console.print(f"  outs: {escape(', '.join(s.writes) or 'none seen')}")
    if s.unsure:
        names = ", ".join(f"{u.path} (line {u.line})" for u in s.unsure)
        console.print(f"[yellow]Check by hand[/]: paths the code names but no read or write "
                      f"was seen with: {escape(names)}")  # fmt: skip
    console.print(f"Run it with: solvent repro {escape(made.stage.name)}")


def new(
    name: Annotated[str, typer.Argument(metavar="NAME", help="The stage's name.")],
    script_path: Annotated[
        Path | None, typer.Option("--script", metavar="PATH", help="Default: src/NAME.py.")
    ] = None,
    deps: Annotated[
        list[str] | None, typer.Option("--deps", "-d", metavar="PATH", help="A file it reads.")
    ] = None,
    outs: Annotated[
        list[str] | None, typer.Option("--outs", "-o", metavar="PATH", help="A file it writes.")
    ] = None,
    params: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", metavar="NAME=VALUE", help="A setting (default seed=0)."),
    ] = None,
    force: Annotated[
        bool,
        typer.Option("--force", "-f", help="Replace the script, its params section and stage."),
    ] = False,
) -> None:
    """Start a stage in the right shape: a typed Typer script whose files and settings are
    options, its section of params.yaml, and its entry in solvent.yaml.

    Example: solvent stage new train -d data/clean.csv -o model.pkl -p lr=0.1
    """
    from solvent.api import Repo

    made = Repo().new_stage(name, script=script_path, deps=deps, outs=outs, params=params,
                            force=force)  # fmt: skip
    console.print(f"Wrote {escape(str(made.script))}: fill in main()")
    console.print(f"Added params.yaml section '{escape(made.section)}' and stage "
                  f"'{escape(made.stage.name)}' in {escape(str(made.stage.file))}")  # fmt: skip
