"""The Typer application: global options, error handling, and the command groups."""

from __future__ import annotations

import traceback
from typing import Annotated

import typer

from solvent import __version__
from solvent.cli import dag, data, exp, metrics, pipeline, remote, repo_cmds, runs, stage
from solvent.cli.render import command_group, err_console, escape
from solvent.errors import SolventError

app = command_group(
    "Versioned data, pipelines and ML health checks that keep a project out of debt.",
    name="solvent",
)


def _version(value: bool) -> None:
    if value:
        print(f"solvent {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks for errors.")] = False,
) -> None:
    """Solvent: keep machine-learning projects out of technical debt."""


repo_cmds.register(app)
data.register(app)
pipeline.register(app)
metrics.register(app)
stage.register(app)
dag.register(app)
remote.register(app)
runs.register(app)
exp.register(app)


def run(argv: list[str]) -> int:
    """Run the app; click prints usage errors and exits by itself (SystemExit passes)."""
    debug = "--debug" in argv
    try:
        app(args=argv, prog_name="solvent")
    except SolventError as e:
        if debug:
            traceback.print_exc()
        err_console.print(f"[bold red]error:[/] {escape(e.message)}", soft_wrap=True)
        if e.hint:
            err_console.print(f"  [dim]hint:[/] {escape(e.hint)}", soft_wrap=True)
        return e.exit_code
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except Exception as e:
        if debug:
            raise
        err_console.print(f"[bold red]internal error:[/] {type(e).__name__}: {escape(str(e))}")
        err_console.print("  [dim]hint:[/] rerun with --debug for the traceback and report it")
        return 70
    return 0
