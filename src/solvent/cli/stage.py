"""``solvent stage add``: declare a stage in solvent.yaml (dvc.yaml in a DVC-only repo)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from solvent.cli.render import command_group, console, escape

if TYPE_CHECKING:
    from solvent.pipeline.spec.edit import NewOut
    from solvent.pipeline.spec.model import OutKind

stage_app = command_group("Declare pipeline stages.")

PATHS = list[str] | None


def _paths(flag: str, help: str) -> Any:  # a typer.Option, typed Any by typer
    return typer.Option(*flag.split("/"), metavar="PATH", help=help)


def register(app: typer.Typer) -> None:
    from solvent.cli.script import new

    if not any(c.name == "new" for c in stage_app.registered_commands):
        stage_app.command("new")(new)
    app.add_typer(stage_app, name="stage")


# Like DVC's argparse.REMAINDER: option parsing stops at the first word of the command (or at
# '--'), so the command's own flags (python train.py --lr 0.1) reach it untouched.
@stage_app.command("add", context_settings={"allow_interspersed_args": False})
def add(
    name: Annotated[str, typer.Option("--name", "-n", metavar="NAME", help="Name of the stage.")],
    command: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="-- CMD...",
            help="The command, last, after '--'. Words are joined with spaces, a word "
            "holding spaces is quoted; or pass the whole command as one quoted string.",
        ),
    ] = None,
    deps: Annotated[PATHS, _paths("--deps/-d", "A file or folder the command reads.")] = None,
    outs: Annotated[PATHS, _paths("--outs/-o", "A file or folder the command writes.")] = None,
    outs_no_cache: Annotated[
        PATHS, _paths("--outs-no-cache/-O", "An out kept in git rather than the cache.")
    ] = None,
    outs_persist: Annotated[
        PATHS, _paths("--outs-persist", "An out not deleted before the command runs.")
    ] = None,
    outs_persist_no_cache: Annotated[
        PATHS, _paths("--outs-persist-no-cache", "An out both persistent and uncached.")
    ] = None,
    metrics: Annotated[PATHS, _paths("--metrics/-m", "A metrics file the command writes.")] = None,
    metrics_no_cache: Annotated[
        PATHS, _paths("--metrics-no-cache/-M", "A metrics file kept in git, not the cache.")
    ] = None,
    plots: Annotated[PATHS, _paths("--plots", "A plot data file the command writes.")] = None,
    plots_no_cache: Annotated[
        PATHS, _paths("--plots-no-cache", "A plot data file kept in git, not the cache.")
    ] = None,
    params: Annotated[
        list[str] | None,
        typer.Option(
            "--params",
            "-p",
            metavar="[FILE:]KEYS",
            help="Parameters the command reads: key, key1,key2, file.yaml:key1,key2, or "
            "file.yaml: for all of a file (default file: params.yaml).",
        ),
    ] = None,
    wdir: Annotated[
        str | None,
        typer.Option(
            "--wdir", "-w", metavar="PATH", help="Run the command there (default: this folder)."
        ),
    ] = None,
    always_changed: Annotated[
        bool, typer.Option("--always-changed", help="Run the stage on every repro.")
    ] = False,
    desc: Annotated[
        str | None, typer.Option("--desc", metavar="TEXT", help="What the stage is for.")
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", "-f", help="Replace a stage of that name, where it stands.")
    ] = False,
) -> None:
    """Add a stage to the pipeline, keeping the file's comments and layout.

    Example: solvent stage add -n train -d data.csv -p train.lr -o model.pkl -- python train.py
    """
    from solvent.api import Repo
    from solvent.pipeline.spec.edit import NewOut, NewStage, add_stage

    def out_list(
        paths: PATHS, kind: OutKind = "out", cache: bool = True, persist: bool = False
    ) -> list[NewOut]:
        return [NewOut(p, kind, cache, persist) for p in paths or []]

    declared = [
        *out_list(outs),
        *out_list(outs_no_cache, cache=False),
        *out_list(outs_persist, persist=True),
        *out_list(outs_persist_no_cache, cache=False, persist=True),
        *out_list(metrics, "metric"),
        *out_list(metrics_no_cache, "metric", cache=False),
        *out_list(plots, "plot"),
        *out_list(plots_no_cache, "plot", cache=False),
    ]
    new = NewStage(
        name=name,
        command=tuple(command or ()),
        deps=tuple(deps or ()),
        outs=tuple(declared),
        params=tuple(params or ()),
        wdir=wdir,
        desc=desc,
        always_changed=always_changed,
    )
    repo = Repo()
    result = add_stage(repo.layout, new, force=force)
    where = f"{result.file}:{result.line}" if result.line is not None else str(result.file)
    verb = "Replaced" if result.replaced else "Added"
    console.print(f"{verb} stage '{escape(name)}' in {escape(where)}", soft_wrap=True)
    console.print(f"Run it with: solvent repro {escape(name)}", soft_wrap=True)
    if repo.layout.uses_git:
        console.print(f"Commit it: git add {escape(str(result.file))}", soft_wrap=True)
