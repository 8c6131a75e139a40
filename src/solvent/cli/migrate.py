"""``solvent migrate``: take over a DVC project without rerunning anything."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from solvent.cli.render import console, escape, print_json
from solvent.cli.repo_cmds import JSON

if TYPE_CHECKING:
    from solvent.dvc.migrate import Migration, PointerMove

_FROM = {
    "solvent": "in Solvent's cache already",
    "workspace": "cache it from the workspace",
    "dvc": "cache it from the DVC cache/remote",
    None: "no copy here: run 'dvc pull' first",
}


def register(app: typer.Typer) -> None:
    app.command("migrate")(migrate)


def migrate(
    dry: Annotated[
        bool, typer.Option("--dry", help="Only report what would be done; change nothing.")
    ] = False,
    json: JSON = False,
) -> None:
    """Adopt a DVC project: its .dvc pointers, the stages dvc.lock shows up to date (recorded
    in solvent.lock, not run) and the remotes of .dvc/config."""
    from solvent.api import Repo

    result = Repo().migrate(dry=dry)
    if json:
        print_json(result)
        return
    show(result)


def _size(p: PointerMove) -> str:
    from solvent.cli.data_run import _size as size

    return (
        f"folder, {p.files} files, {size(p.size)}" if p.kind == "dir" else f"file, {size(p.size)}"
    )


def show(m: Migration) -> None:
    adopt = [s for s in m.stages if s.action == "adopt"]
    in_lock = [s for s in m.stages if s.action != "recorded"]
    pipeline = f"{m.pipeline} runs as is" if m.pipeline else "no pipeline file"
    console.print(
        f"DVC project: {pipeline}; {len(m.pointers)} .dvc pointer(s); "
        f"{len(adopt)} of {len(in_lock)} unrecorded stage(s) match dvc.lock; "
        f"{len(m.remotes)} remote(s).",
        soft_wrap=True,
    )
    if m.pointers:
        console.print("[bold]Pointers[/] (.dvc files stay as they are; Solvent reads them)")
        width = max(len(p.path) for p in m.pointers)
        for p in m.pointers:
            console.print(
                f"  {escape(p.path):{width}}  {_size(p)}: {_FROM[p.source]}", soft_wrap=True
            )
    if m.stages:
        console.print("[bold]Stages[/] (recorded in solvent.lock without running)")
        width = max(len(s.stage) for s in m.stages)
        for s in m.stages:
            what = {"adopt": "adopt: matches dvc.lock", "recorded": "in solvent.lock already"}.get(
                s.action, f"not adopted: {s.why} (runs on the next repro)"
            )
            console.print(f"  {escape(s.stage):{width}}  {escape(what)}", soft_wrap=True)
    if m.remotes:
        console.print("[bold]Remotes[/] (.dvc/config → .solvent/config.toml)")
        for r in m.remotes:
            default = " (default)" if r.default else ""
            what = {"add": f"add as {r.url}", "exists": "a Solvent remote of that name exists"}.get(
                r.action, f"skip: {r.why}"
            )
            if r.action == "add" and r.why:
                what += f" ({r.why})"
            console.print(f"  {escape(r.name)}{default}  {escape(r.dvc_url)}: {escape(what)}",
                          soft_wrap=True)  # fmt: skip
    for note in m.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", soft_wrap=True)
    if not m.applied:
        console.print("Dry run: nothing changed. Run 'solvent migrate' to do it.")
    else:
        console.print(
            "Done. Commit what changed: git add solvent.lock .solvent/config.toml", soft_wrap=True
        )
