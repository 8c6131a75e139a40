"""``solvent params diff``, ``solvent metrics show`` and ``solvent metrics diff``."""

from __future__ import annotations

import math
from json import dumps
from typing import TYPE_CHECKING, Annotated, Any

import typer

from solvent.cli.render import command_group, console, print_json
from solvent.cli.repo_cmds import JSON

if TYPE_CHECKING:
    from pathlib import PurePosixPath

    from rich.table import Table

    from solvent.pipeline.results.params_metrics import ValuesDiff
    from solvent.pipeline.spec.model import Pipeline
    from solvent.repo import RepoLayout

DEFAULT_PRECISION = 5

params_app = command_group("Compare the params your pipeline reads.")
metrics_app = command_group("Show and compare metrics files.")

A_REV = typer.Argument(help="Old git revision (default: HEAD).")
B_REV = typer.Argument(help="New git revision (default: the workspace).")
ALL = Annotated[bool, typer.Option("--all", help="Show unchanged values as well.")]
TARGETS = Annotated[
    list[str] | None,
    typer.Option("--targets", help="Compare this file instead of the pipeline's (repeatable)."),
]
PRECISION = Annotated[
    int,
    typer.Option("--precision", min=0, help="Round numbers to N digits after the point."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(params_app, name="params")
    app.add_typer(metrics_app, name="metrics")


@params_app.command("diff")
def params_diff(
    a_rev: Annotated[str | None, A_REV] = None,
    b_rev: Annotated[str | None, B_REV] = None,
    all_: ALL = False,
    deps: Annotated[
        bool, typer.Option("--deps", help="Only the params keys stages declare.")
    ] = False,
    targets: TARGETS = None,
    json: JSON = False,
) -> None:
    """Params changed between a git revision and the workspace, or two revisions."""
    from solvent.pipeline.results.params_metrics import params_diff

    layout, pipeline, paths = _open(targets)
    result = params_diff(
        layout, pipeline, a_rev, b_rev, unchanged=all_, deps_only=deps, targets=paths
    )
    if json:
        print_json(result.to_json())
    else:
        _print_diff(result, "Param", None)


@metrics_app.command("show")
def metrics_show(
    targets: Annotated[
        list[str] | None, typer.Argument(help="Metrics files (default: the pipeline's).")
    ] = None,
    precision: PRECISION = DEFAULT_PRECISION,
    json: JSON = False,
) -> None:
    """Every metric in the workspace, file by file."""
    from solvent.pipeline.results.params_metrics import metrics_show

    layout, pipeline, paths = _open(targets)
    result = metrics_show(layout, pipeline, targets=paths)
    if json:
        print_json(result.to_json())
        return
    if not result.files:
        console.print(
            "No metrics files. Declare them under a stage's 'metrics:' or the top-level "
            "'metrics:' of solvent.yaml, or name them: solvent metrics show FILE"
        )
        return
    from rich.text import Text

    table = _table("Path", "Metric", "Value")
    for f in result.files:
        if f.data is None:
            table.add_row(Text(f.path), Text("-"), Text("missing", style="red"))
        elif not f.values:
            table.add_row(Text(f.path), Text("-"), Text("no metrics", style="dim"))
        for key, value in f.values.items():
            table.add_row(Text(f.path), Text(key), Text(_cell(value, precision)))
    console.print(table)


@metrics_app.command("diff")
def metrics_diff(
    a_rev: Annotated[str | None, A_REV] = None,
    b_rev: Annotated[str | None, B_REV] = None,
    all_: ALL = False,
    targets: TARGETS = None,
    precision: PRECISION = DEFAULT_PRECISION,
    json: JSON = False,
) -> None:
    """Metrics changed between a git revision and the workspace, or two revisions."""
    from solvent.pipeline.results.params_metrics import metrics_diff

    layout, pipeline, paths = _open(targets)
    result = metrics_diff(layout, pipeline, a_rev, b_rev, unchanged=all_, targets=paths)
    if json:
        print_json(result.to_json())
    else:
        _print_diff(result, "Metric", precision)


def _open(
    targets: list[str] | None,
) -> tuple[RepoLayout, Pipeline | None, list[PurePosixPath] | None]:
    """The repo, its pipeline (not loaded when files are named) and the named files."""
    from solvent.api import Repo

    repo = Repo()
    if targets:
        return repo.layout, None, [repo.layout.rel(t, "target") for t in targets]
    graph = repo.graph()
    return repo.layout, graph.pipeline if graph is not None else None, None


def _table(*headers: str) -> Table:
    from rich.table import Table

    # No borders, like DVC's tables: rows copy and paste cleanly.
    table = Table(box=None, pad_edge=False, header_style="bold")
    for header in headers:
        table.add_column(header, overflow="fold")
    return table


def _cell(value: Any, precision: int | None) -> str:
    if isinstance(value, float) and precision is not None and math.isfinite(value):
        value = round(value, precision)
    return value if isinstance(value, str) else dumps(value)


def _print_diff(diff: ValuesDiff, title: str, precision: int | None) -> None:
    from rich.text import Text

    what = f"{title.lower()}s"
    if not diff.files:
        console.print(
            f"No {what} files. Declare them in a stage's '{what}:' or the top-level "
            f"'{what}:' of solvent.yaml, or name them with --targets FILE"
        )
        return
    if not diff.rows:
        console.print(f"No changes in {what} between {diff.a} and {diff.b}.")
        return
    changes = title == "Metric"
    table = _table("Path", title, "Old", "New", *(["Change"] if changes else []))
    for r in diff.rows:
        cells = [
            r.path,
            r.key,
            "-" if r.state == "added" else _cell(r.old, precision),
            "-" if r.state == "deleted" else _cell(r.new, precision),
        ]
        if changes:
            cells.append("-" if r.change is None else _cell(r.change, precision))
        table.add_row(*(Text(c) for c in cells))
    console.print(f"{what.capitalize()}: {diff.a} → {diff.b}")
    console.print(table)
