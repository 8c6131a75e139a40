"""The Typer application: global options, error handling, and the command groups."""

from __future__ import annotations

import importlib
from typing import Annotated

import typer

from solvent import __version__
from solvent.cli.guard import guarded
from solvent.cli.render import command_group

# Each top-level command, and the module whose ``register`` adds it. A run registers only the
# module of the command it was given (Typer builds every registered command's parameters on
# each start); root help, a mistyped command or none register them all.
COMMANDS = {
    "init": "repo_cmds", "cache": "repo_cmds", "gc": "repo_cmds",
    "add": "data", "status": "data", "diff": "data", "checkout": "data",
    "repro": "pipeline",
    "params": "metrics", "metrics": "metrics",
    "stage": "stage",
    "dag": "dag",
    "remote": "remote", "push": "remote", "fetch": "remote", "pull": "remote", "get": "remote",
    "import": "remote", "update": "remote", "import-url": "remote",
    "profile": "health", "drift": "health", "leakage": "health",
    "runs": "runs", "lineage": "runs", "exp": "exp",
    "threshold": "model", "monitor": "model", "audit": "model",
    "doctor": "doctor",
    "install": "hooks", "git-hook": "hooks",
    "config": "config_cmd", "ls": "ls",
    "commit": "edit_cmds", "freeze": "edit_cmds", "unfreeze": "edit_cmds",
    "remove": "edit_cmds", "move": "edit_cmds",
    "migrate": "migrate",
    "script": "script",
}  # fmt: skip
MODULES = tuple(dict.fromkeys(COMMANDS.values()))

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


def register(modules: tuple[str, ...] = MODULES) -> None:
    for name in modules:
        importlib.import_module(f"solvent.cli.{name}").register(app)


def modules_for(argv: list[str]) -> tuple[str, ...]:
    """The command modules a run needs: the named command's, or all."""
    command = next((a for a in argv if not a.startswith("-")), None)
    module = COMMANDS.get(command or "")
    return (module,) if module is not None else MODULES


def run(argv: list[str]) -> int:
    """Run the app; click prints usage errors and exits by itself (SystemExit passes)."""
    register(modules_for(argv))

    def call() -> int:
        app(args=argv, prog_name="solvent")
        return 0

    return guarded(call, "--debug" in argv)
