"""The hot commands without Typer. ``status``, ``add PATH…`` and ``repro``, given without
any option, call their bodies directly: importing Typer and building a command costs about as
much as the no-change ``status`` of 20,000 files itself. Typer still defines and documents
every command (``data.py``, ``pipeline.py``) and takes anything else (an option, ``--help``, a
typo); the bodies' defaults are the ones declared there (a test holds them equal)."""

from __future__ import annotations

from collections.abc import Callable

Command = Callable[[], int]


def fast_command(argv: list[str]) -> Command | None:
    """The command to run without Typer, or None when Typer must parse ``argv``."""
    if not argv or any(a.startswith("-") for a in argv):
        return None
    name, args = argv[0], argv[1:]
    if name == "status":
        return lambda: _status(args)
    if name == "add" and args:
        return lambda: _add(args)
    if name == "repro":
        return lambda: _repro(args)
    return None


def _status(targets: list[str]) -> int:
    from solvent.cli import data_run

    return data_run.status(targets or None)


def _add(paths: list[str]) -> int:
    from solvent.cli import data_run

    data_run.add(paths)
    return 0


def _repro(targets: list[str]) -> int:
    from solvent.cli import pipeline_run

    return pipeline_run.repro(targets or None)
