"""``solvent config``: get, set, unset and list settings, as ``dvc config`` does."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from solvent.cli.render import console, escape, print_json
from solvent.cli.repo_cmds import JSON
from solvent.errors import SolventError, UsageError


def register(app: typer.Typer) -> None:
    app.command("config")(config)


def config(
    name: Annotated[
        str | None, typer.Argument(help="section.key, e.g. core.remote or cache.link.")
    ] = None,
    value: Annotated[str | None, typer.Argument(help="The value to set (lists: a,b).")] = None,
    local: Annotated[
        bool,
        typer.Option("--local", help="Use .solvent/config.local.toml (not committed)."),
    ] = False,
    unset: Annotated[bool, typer.Option("--unset", "-u", help="Remove the key.")] = False,
    list_: Annotated[
        bool, typer.Option("--list", "-l", help="Every key set, as section.key=value.")
    ] = False,
    json: JSON = False,
) -> None:
    """Get, set or unset a setting of .solvent/config.toml, or list them all."""
    from solvent.api import Repo
    from solvent.config import shown

    repo = Repo()
    if list_:
        if name is not None or unset:
            raise UsageError("--list takes no key and no --unset", "solvent config --list")
        values = {k: shown(k, v) for k, v in repo.config_values(local=local).items()}
        if json:
            print_json(values)
            return
        for k, v in values.items():
            console.print(f"{escape(k)}={escape(_typed(v))}", soft_wrap=True)
        return
    if name is None:
        raise UsageError("name a key (section.key), or pass --list", "solvent config --list")
    if unset or value is not None:
        if unset and value is not None:
            raise UsageError("--unset takes no value", f"solvent config --unset {name}")
        file = repo.set_config(name, None if unset else value, local=local)
        if json:
            print_json({"name": name, "file": f".solvent/{file}", "unset": unset})
        return
    found = repo.config_value(name, local=local)
    if found is None:
        where = " in config.local.toml" if local else ""
        # exit 1, as 'git config' for a key that is not set: scripts tell it from a bad key (2)
        raise SolventError(f"{name} is not set{where}", f"set it: solvent config {name} VALUE")
    if json:
        print_json({name: shown(name, found)})
    else:
        console.print(escape(_typed(shown(name, found))), soft_wrap=True)


def _typed(value: Any) -> str:
    """A value as it would be typed: lists as a,b."""
    if isinstance(value, list):
        return ",".join(map(str, value))
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)
