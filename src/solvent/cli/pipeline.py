"""``solvent repro`` and the pipeline half of ``solvent status``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from solvent.cli.render import console, err_console, escape, print_json, styled
from solvent.cli.repo_cmds import JOBS, JSON

if TYPE_CHECKING:
    from solvent.pipeline.execute import ReproReport
    from solvent.pipeline.plan import Plan

STAGES = typer.Argument(help="Stage names, globs (train@*) or out paths (default: all).")


def register(app: typer.Typer) -> None:
    app.command("repro")(repro)


_MARKS = {
    "start": ("▶ ", "bold cyan"), "done": ("✓ ", "green"), "fail": ("✗ ", "bold red"),
}  # fmt: skip


def _event(kind: str, text: str) -> None:
    if kind == "line":
        styled((text, ""))
    elif kind in _MARKS:
        mark, style = _MARKS[kind]
        styled((mark, style), (text, ""))
    elif kind == "skip":
        styled((f"· {text}", "dim"))
    elif kind == "warn":
        styled(("! ", "bold yellow"), (text, "yellow"))


def repro(
    targets: Annotated[list[str] | None, STAGES] = None,
    jobs: JOBS = None,
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
    from solvent.api import Repo

    report = Repo().repro(
        targets or [],
        jobs=jobs,
        keep_going=keep_going,
        force=force,
        dry=dry,
        run_cache=not no_run_cache,
        downstream=downstream,
        single_item=single_item,
        events=None if json else _event,
        executor=executor,
        scheduler_address=scheduler_address,
        remote=remote,
        download=not no_download,
        retries=retries,
        strict_deps=strict_deps,
        trace=trace,
    )
    if json:
        print_json(report)
    else:
        _summary(report, targets or [])
    if report.interrupted:
        raise typer.Exit(130)
    if report.failed:
        raise typer.Exit(1)


def _summary(report: ReproReport, targets: list[str]) -> None:
    from solvent.pipeline.execute import Outcome

    counts: dict[str, int] = {}
    for s in report.stages:
        counts[s.outcome.value] = counts.get(s.outcome.value, 0) + 1
    console.print(", ".join(f"{n} {what}" for what, n in counts.items()) or "no stages")
    failed = report.failed
    if failed or report.interrupted:
        for s in failed:
            err_console.print(
                f"[red]failed:[/] {escape(s.stage)}: {escape(s.error or '')}", soft_wrap=True
            )
            err_console.print(f"  log: .solvent/logs/{escape(s.stage)}.log", soft_wrap=True)
        again = " ".join(targets)
        err_console.print(
            f"Fix the cause, then resume with: solvent repro {again}".rstrip()
            + "  (stages that finished are not run again)",
            soft_wrap=True,
        )
    elif all(s.outcome is Outcome.UP_TO_DATE for s in report.stages):
        console.print("Pipeline is up to date.")


def print_plan(
    plan: Plan, verbose: bool = False, notes: dict[str, list[str]] | None = None
) -> bool:
    """Print stale stages with their reasons (``verbose``: every stage, with its implicit
    code deps) and ``notes`` (how changed data differs); True when everything is up to date.
    Environment warnings come last, grouped."""
    stale = plan.stale
    for p in plan.stages if verbose else stale:
        state = "stale" if p.stale else "frozen" if p.stage.frozen else "up to date"
        styled((p.stage.name, "yellow"), (": ", ""), (state, "yellow" if p.stale else ""))
        for r in p.reasons if p.stale else ():
            styled((f"    {r}", ""))
        for note in (notes or {}).get(p.stage.name, []):
            styled((f"    {note}", "cyan"))
        if verbose and p.code:
            styled((f"    implicit deps: {', '.join(map(str, p.code))}", "dim"))
    warned: dict[str, list[str]] = {}
    for p in plan.stages:
        for w in p.warnings:
            warned.setdefault(str(w), []).append(p.stage.name)
    for what, names in warned.items():
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        styled(
            (
                f"warning: {shown} last ran in another environment ({what}); "
                "not rerun (env: warn; set env: strict to rerun)",
                "dim",
            )
        )
    return not stale
