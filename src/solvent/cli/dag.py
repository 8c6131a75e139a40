"""``solvent dag``: draw the pipeline, in the terminal or as Mermaid, DOT or an HTML page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from solvent.cli.render import console, print_json
from solvent.cli.repo_cmds import JSON
from solvent.errors import UsageError

if TYPE_CHECKING:
    from solvent.api import Repo
    from solvent.viz.model import DagView

TARGETS = typer.Argument(
    help="Draw only these stages (names, globs like train@*, or out paths) and their upstream."
)
STYLE = {"up to date": "green", "stale": "yellow", "failed": "bold red", "frozen": "blue"}


def register(app: typer.Typer) -> None:
    app.command("dag")(dag)


def dag(
    targets: Annotated[list[str] | None, TARGETS] = None,
    mermaid: Annotated[bool, typer.Option("--mermaid", help="Print a Mermaid flowchart.")] = False,
    dot: Annotated[bool, typer.Option("--dot", help="Print Graphviz DOT.")] = False,
    html: Annotated[
        str | None,
        typer.Option(
            "--html",
            metavar="FILE_OR_-",
            help="Write a self-contained HTML page to FILE ('-': print it) and print its path.",
        ),
    ] = None,
    outs: Annotated[
        bool, typer.Option("--outs", help="Draw the files (outs and deps) instead of stages.")
    ] = False,
    json: JSON = False,
) -> None:
    """Draw the pipeline DAG, each stage marked up to date, stale, failed or frozen."""
    from solvent.api import Repo

    formats = {"--mermaid": mermaid, "--dot": dot, "--html": html is not None, "--json": json}
    chosen = [flag for flag, on in formats.items() if on]
    if len(chosen) > 1:
        raise UsageError(
            f"{' and '.join(chosen)} cannot be used together",
            "pick one output format per run",
        )
    view = _view(Repo(), targets or [], outs)
    if json:
        from solvent.viz.dag import to_doc

        print_json(to_doc(view))
    elif mermaid or dot:
        from solvent.viz.dag import to_dot, to_mermaid

        print((to_mermaid if mermaid else to_dot)(view), end="")
    elif html is not None:
        _write_html(view, html)
    else:
        _print_text(view)


def _view(repo: Repo, targets: list[str], outs: bool) -> DagView:
    from solvent.pipeline.planning.graph import select
    from solvent.pipeline.running.execute import read_last_outcomes
    from solvent.viz.model import build_view

    graph = repo.graph()
    if graph is None:
        raise UsageError(
            f"no solvent.yaml or dvc.yaml in {repo.root}, so there is no pipeline to draw",
            "declare stages in solvent.yaml, or add one with 'solvent stage add'",
        )
    names = {s.name for s in select(graph, targets)}
    plan = repo.plan(targets)
    return build_view(graph, plan, read_last_outcomes(repo.layout), names=names, outs=outs)


def _write_html(view: DagView, target: str) -> None:
    from solvent.storage.fsutil import atomic_write_text
    from solvent.viz.html import to_html

    page = to_html(view)
    if target == "-":
        print(page, end="")
        return
    path = Path(target)
    if path.is_dir():
        raise UsageError(f"{target} is a folder", "give a file name, e.g. --html dag.html")
    if not path.parent.is_dir():
        raise UsageError(f"no folder {path.parent} for {target}", "create it first")
    atomic_write_text(path, page)
    print(target)


def _print_text(view: DagView) -> None:
    from rich.text import Text

    from solvent.viz.text import text_lines, text_rows, to_text

    if not view.nodes:
        console.print(to_text(view), end="")
        return
    rows = text_rows(view)
    for row, (lanes, name, marker) in zip(rows, text_lines(rows), strict=True):
        line = Text()
        if row.node is None:
            line.append(lanes, style="dim")
        else:
            style = STYLE.get(row.node.state.value, "") if row.node.state else "dim"
            at = max(lanes.find("●"), lanes.find("○"))
            line.append(lanes[:at], style="dim")
            line.append(lanes[at], style=style)
            line.append(lanes[at + 1 :], style="dim")
            line.append(name, style="bold" if row.node.kind == "stage" else "")
            line.append(marker, style=style)
        line.rstrip()
        console.print(line, soft_wrap=True)
