"""The command table that lets a run register only the module of the command it was given."""

from __future__ import annotations

import importlib

import typer

from solvent.cli.app import COMMANDS, MODULES, modules_for
from solvent.cli.render import command_group


def names(app: typer.Typer) -> set[str]:
    commands = {c.name for c in app.registered_commands}
    groups = {g.name for g in app.registered_groups}
    return {n for n in commands | groups if n is not None}


def test_the_table_names_exactly_what_each_module_registers() -> None:
    for module in MODULES:
        app = command_group("test")
        importlib.import_module(f"solvent.cli.{module}").register(app)
        assert names(app) == {c for c, m in COMMANDS.items() if m == module}, module


def test_a_run_registers_the_module_of_its_command_or_all() -> None:
    assert modules_for(["status", "--json"]) == ("data",)
    assert modules_for(["--debug", "remote", "add", "x", "y"]) == ("remote",)
    assert modules_for(["--help"]) == MODULES
    assert modules_for(["stauts"]) == MODULES  # so click can suggest 'status'
    assert modules_for([]) == MODULES
