"""``solvent repro``: its parameters (the body is in ``pipeline_run``)."""

from __future__ import annotations

from typing import Annotated

import typer

from solvent.cli import pipeline_run
from solvent.cli.repo_cmds import JSON

STAGES = typer.Argument(help="Stage names, globs (train@*) or out paths (default: all).")
STAGE_JOBS = Annotated[
    int | None,
    typer.Option(
        "--jobs", "-j",
        help="Stages at once (default: [repro] jobs, else 1 for a dvc.yaml pipeline, else cores).",
    ),
]  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("repro")(repro)


def repro(
    targets: Annotated[list[str] | None, STAGES] = None,
    jobs: STAGE_JOBS = None,
    force: Annotated[bool, typer.Option("--force", "-f", help="Run even if up to date.")] = False,
    keep_going: Annotated[
        bool,
        typer.Option("--keep-going", "-k", help="Run branches that do not need a failed stage."),
    ] = False,
    dry: Annotated[bool, typer.Option("--dry", help="Print what would run and why.")] = False,
    no_run_cache: Annotated[
        bool, typer.Option("--no-run-cache", help="Never restore outs from earlier runs.")
    ] = False,
    downstream: Annotated[
        bool, typer.Option("--downstream", help="The targets and every stage after them.")
    ] = False,
    single_item: Annotated[
        bool, typer.Option("--single-item", "-s", help="Only the targets, not their upstream.")
    ] = False,
    executor: Annotated[
        str | None,
        typer.Option(
            "--executor", help="local (processes here) or dask. Default: [repro] executor."
        ),
    ] = None,
    scheduler_address: Annotated[
        str | None,
        typer.Option(
            "--scheduler-address",
            help="Dask scheduler, tcp://HOST:PORT (default: start a local cluster).",
        ),
    ] = None,
    remote: Annotated[
        str | None,
        typer.Option("--remote", "-r", help="With dask: the remote data goes through."),
    ] = None,
    no_download: Annotated[
        bool,
        typer.Option("--no-download", help="With dask: leave the outs on the remote."),
    ] = False,
    retries: Annotated[
        int, typer.Option("--retries", min=0, help="With dask: reruns when a worker dies.")
    ] = 2,
    strict_deps: Annotated[
        bool,
        typer.Option(
            "--strict-deps",
            help="Fail a stage that reads or writes a repo file it does not declare.",
        ),
    ] = False,
    trace: Annotated[
        str | None,
        typer.Option(
            "--trace",
            help="Watch what local stages open: auto (audit hook; strace for non-Python "
            "commands), full (strace always), audit, off. Default: SOLVENT_TRACE, "
            "[repro] trace, auto.",
        ),
    ] = None,
    json: JSON = False,
) -> None:
    """Run the stages whose code, deps or params changed, independent ones in parallel."""
    code = pipeline_run.repro(
        targets, jobs, force, keep_going, dry, no_run_cache, downstream, single_item,
        executor, scheduler_address, remote, no_download, retries, strict_deps, trace, json,
    )  # fmt: skip
    if code:
        raise typer.Exit(code)
