"""``solvent doctor``: the project's hidden debts, grouped by the paper's categories."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from solvent.cli.render import console, escape, print_json
from solvent.cli.repo_cmds import JSON
from solvent.errors import FINDING_EXIT_CODE, UsageError

if TYPE_CHECKING:
    from solvent.api import Repo
    from solvent.doctor.findings import Finding
    from solvent.doctor.mltestscore import MLTestScore
    from solvent.doctor.report import DoctorReport
    from solvent.doctor.reproduce import StageVerdict

_MARK = {"error": "[red]✖[/]", "warning": "[yellow]▲[/]", "info": "[blue]●[/]"}


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)


def doctor(
    json: JSON = False,
    html: Annotated[
        str | None, typer.Option("--html", help="Also write the report as an HTML page.")
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            help="error, warning or never: the lowest severity that exits 3 (for CI).",
        ),
    ] = "never",
    reproduce: Annotated[
        bool,
        typer.Option(
            "--reproduce",
            help="First rerun stages on their locked inputs in a scratch workspace and "
            "compare their outs with the lock (default: the model stages).",
        ),
    ] = False,
    stages: Annotated[
        list[str] | None,
        typer.Option("--stage", "-s", help="With --reproduce: a stage to rerun (repeatable)."),
    ] = None,
    check_types: Annotated[
        bool,
        typer.Option(
            "--check-types", help="Also run mypy on the stages' code (analysis: nothing runs)."
        ),
    ] = False,
) -> None:
    """The project's hidden technical debt (Sculley et al. 2015): undeclared dependencies,
    correction cascades, pipeline jungle, configuration debt, fixed thresholds, unstable data
    and health coverage, each with its evidence and the fix; then the ML Test Score (Breck et
    al. 2017) of what the project shows."""
    from solvent.api import Repo

    if fail_on not in ("error", "warning", "never"):
        raise UsageError(f"--fail-on {fail_on!r}", "choose error, warning or never")
    if stages and not reproduce:
        raise UsageError("--stage selects what --reproduce reruns", "add --reproduce")
    if html and not os.path.isdir(os.path.dirname(os.path.abspath(html))):
        raise UsageError(
            f"--html {html}: no folder {os.path.dirname(html) or '.'}", "create it first"
        )
    repo = Repo()
    verdicts = _reproduce(repo, stages or [], quiet=json) if reproduce else []
    report = repo.doctor(check_types=check_types)
    if html:
        from solvent.doctor.report_html import render
        from solvent.storage.fsutil import atomic_write

        atomic_write(html, render(report).encode())
    if json:
        doc = report.to_dict()
        if reproduce:
            doc["reproduce"] = [v.to_doc() for v in verdicts]
        print_json(doc)
    else:
        _print_verdicts(verdicts)
        _print(report, html)
    if fail_on != "never" and report.fails("error" if fail_on == "error" else "warning"):
        raise typer.Exit(FINDING_EXIT_CODE)


def _print(report: DoctorReport, html: str | None) -> None:
    from solvent.doctor.findings import category

    if not report.findings:
        console.print(f"[green]No debt found[/] in {report.stages} stage(s).")
    for key, findings in report.by_category():
        if not findings:
            continue
        c = category(key)
        console.print(f"\n[bold]{escape(c.title)}[/] [dim]({c.section}, {len(findings)})[/]")
        for f in findings:
            _finding(f)
    counts = ", ".join(
        f"{n} {s}(s)" for s in ("error", "warning", "info") if (n := report.count(s))
    )
    if counts:
        console.print(f"\n{counts}.")
    if report.score is not None:
        _print_score(report.score)
    if html:
        console.print(f"Report: {escape(html)}")


def _finding(f: Finding) -> None:
    where = f" [cyan]{escape(f.where)}[/]" if f.where else ""
    stage = f" [dim]stage {escape(f.stage)}[/]" if f.stage else ""
    console.print(f"  {_MARK[f.severity]}{where}{stage} [dim]{f.code}[/]")
    console.print(f"    {escape(f.message)}")
    console.print(f"    [green]fix:[/] {escape(f.fix)}")


def _reproduce(repo: Repo, stages: list[str], quiet: bool) -> list[StageVerdict]:
    if quiet:
        return repo.doctor_reproduce(stages)
    with console.status("rerunning") as status:
        return repo.doctor_reproduce(
            stages, lambda name: status.update(f"rerunning {escape(name)} on its locked inputs")
        )


_VERDICT = {
    "reproducible": "[green]reproducible[/]: every out as locked",
    "differs": "[red]differs[/]",
    "inputs-changed": "[yellow]not compared[/]:",
    "failed": "[red]failed[/]:",
}


def _print_verdicts(verdicts: list[StageVerdict]) -> None:
    if not verdicts:
        return
    console.print("[bold]Rerun on locked inputs[/]")
    for v in verdicts:
        detail = f": {', '.join(sorted(v.differing))}" if v.verdict == "differs" else ""
        note = f" [dim]{escape(v.note)}[/]" if v.note else ""
        console.print(f"  {escape(v.stage)} {_VERDICT[v.verdict]}{escape(detail)}{note} "
                      f"[dim]({v.seconds:.1f}s)[/]")  # fmt: skip


def _print_score(score: MLTestScore) -> None:
    from rich.table import Table

    table = Table(title="ML Test Score (Breck et al. 2017)", title_justify="left", box=None,
                  pad_edge=False)  # fmt: skip
    table.add_column("section")
    table.add_column("points", justify="right")
    table.add_column("tests in place")
    for s in score.sections:
        names = ", ".join(str(t.number) for t in s.tests if t.status == "in place") or "none"
        table.add_row(s.title, f"{s.points:g}/{len(s.tests)}",
                      f"{names} [dim]({s.visible} of {len(s.tests)} visible)[/]")  # fmt: skip
    console.print()
    console.print(table)
    console.print(f"Final score {score.final:g} (the lowest section): {escape(score.meaning)}.")
