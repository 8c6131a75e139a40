"""The body of ``solvent repro`` and the pipeline half of ``solvent status``, free of Typer
so that the hot commands can run without it (``cli/fast.py``). Parameters: ``pipeline.py``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from solvent.cli.render import console, err_console, escape, print_json, styled

if TYPE_CHECKING:
    from solvent.pipeline.planning.plan import Plan
    from solvent.pipeline.running.execute import ReproReport

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
    targets: list[str] | None = None,
    jobs: int | None = None,
    force: bool = False,
    keep_going: bool = False,
    dry: bool = False,
    no_run_cache: bool = False,
    downstream: bool = False,
    single_item: bool = False,
    executor: str | None = None,
    scheduler_address: str | None = None,
    remote: str | None = None,
    no_download: bool = False,
    retries: int = 2,
    strict_deps: bool = False,
    trace: str | None = None,
    json: bool = False,
) -> int:
    """The exit code: 130 when interrupted, 1 when a stage failed, else 0."""
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
        return 130
    return 1 if report.failed else 0


def _summary(report: ReproReport, targets: list[str]) -> None:
    from solvent.pipeline.running.execute import Outcome

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
