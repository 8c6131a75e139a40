"""``solvent profile / drift / leakage``: data health. Parsing and rendering only; the work is
done by ``solvent.health_data`` (and ``solvent.health``, loaded only when one of these runs)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from solvent.cli.render import console, escape, print_json
from solvent.cli.repo_cmds import JSON
from solvent.errors import FINDING_EXIT_CODE, UsageError

if TYPE_CHECKING:
    from solvent.health.drift import DriftReport
    from solvent.health.leakage import Duplicates
    from solvent.health.profile import ColumnProfile, Profile

T = TypeVar("T")
TEST_HELP = "COL=NAME: test a column with ks, chisquare, z, wasserstein, jensenshannon or psi."
KEY_HELP = "COL,COL: the columns that identify a row (default: all columns both have)."
DATA = typer.Argument(help="A .csv, .parquet or .jsonl file, or PATH@REV (a tracked version).")


def register(app: typer.Typer) -> None:
    app.command("profile")(profile)
    app.command("drift")(drift)
    app.command("leakage")(leakage)


def profile(data: Annotated[str, DATA], json: JSON = False) -> None:
    """Schema and statistics of a table, in one streaming pass (stored per data version)."""
    from solvent import health_data

    health_data.require_health()
    result = health_data.profile(data)
    if json:
        print_json(result.to_dict())
        return
    _print_profile(result)


def drift(
    reference: Annotated[str, typer.Argument(help="The reference table (file or PATH@REV).")],
    current: Annotated[str, typer.Argument(help="The current table (file or PATH@REV).")],
    test: Annotated[
        list[str] | None,
        typer.Option("--test", help=TEST_HELP),
    ] = None,
    threshold: Annotated[
        list[str] | None, typer.Option("--threshold", help="COL=X: a column's threshold.")
    ] = None,
    html: Annotated[
        str | None, typer.Option("--html", help="Also write a self-contained HTML report.")
    ] = None,
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="dataset, column or never: what exits 3.")
    ] = "dataset",
    json: JSON = False,
) -> None:
    """Per-column drift between two tables, with Evidently's default tests.

    Exits 3 when the dataset drifts (half the tested columns or more), so cron and CI can
    alert; errors exit 1 or 2."""
    from solvent import health_data

    if fail_on not in ("dataset", "column", "never"):
        raise UsageError(f"--fail-on {fail_on!r}", "choose dataset, column or never")
    tests = _pairs(test or [], "--test", str)
    thresholds = _pairs(threshold or [], "--threshold", float)
    if html and not Path(html).resolve().parent.is_dir():
        raise UsageError(f"--html {html}: no such folder", "create the folder first")
    health_data.require_health()
    report = health_data.drift(reference, current, tests, thresholds)
    if html:
        from solvent.health.report_html import render
        from solvent.storage.fsutil import atomic_write

        atomic_write(html, render(report).encode())
    if json:
        print_json(report)
    else:
        _print_drift(report, html)
    if (fail_on == "dataset" and report.dataset_drift) or (fail_on == "column" and report.drifted):
        raise typer.Exit(FINDING_EXIT_CODE)


def leakage(
    a: Annotated[str, typer.Argument(help="The table whose rows may leak (e.g. test).")],
    b: Annotated[str, typer.Argument(help="The table they may leak into (e.g. train).")],
    key: Annotated[
        str | None,
        typer.Option("--key", help=KEY_HELP),
    ] = None,
    json: JSON = False,
) -> None:
    """Rows of A also found in B, and duplicate rows within each. Exits 3 when A and B share
    rows."""
    from solvent import health_data

    health_data.require_health()
    keys = [k.strip() for k in key.split(",") if k.strip()] if key else None
    report = health_data.leakage(a, b, keys)
    if json:
        print_json(report)
    else:
        console.print(
            f"{report.shared} of {report.a.rows} rows of {escape(a)} "
            f"({report.shared_share:.1%}) are also in {escape(b)}"
            f" (key: {escape(', '.join(report.key))})",
            soft_wrap=True,
        )
        for row in report.examples:
            console.print(f"    {escape(str(row))}", soft_wrap=True)
        for dup in (report.a, report.b):
            _print_duplicates(dup)
    if report.shared:
        raise typer.Exit(FINDING_EXIT_CODE)


def _pairs(items: list[str], option: str, convert: Callable[[str], T]) -> dict[str, T]:
    found: dict[str, T] = {}
    for item in items:
        column, sep, value = item.rpartition("=")
        try:
            if not sep or not column:
                raise ValueError
            found[column] = convert(value)
        except ValueError:
            raise UsageError(
                f"{option} {item!r}: expected COL=VALUE", f"e.g. {option} age=0.2"
            ) from None
    return found


def _print_duplicates(dup: Duplicates) -> None:
    console.print(
        f"{dup.duplicated} of {dup.rows} rows of {escape(dup.label)} repeat an earlier row",
        soft_wrap=True,
    )
    for row in dup.examples:
        console.print(f"    {escape(str(row))}", soft_wrap=True)


def _print_profile(p: Profile) -> None:
    from rich.table import Table

    console.print(f"{escape(p.source)}: {p.rows} rows, {len(p.columns)} columns ({p.format})")
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name in ("column", "type", "missing", "distinct", "min", "max", "mean", "std", "median",
                 "top values"):  # fmt: skip
        table.add_column(name, no_wrap=name != "top values", overflow="fold")
    approximate = False
    for c in p.columns:
        approximate = approximate or not (c.distinct_exact and c.quantiles_exact)
        table.add_row(
            escape(c.name),
            escape(c.dtype),
            f"{c.missing / p.rows:.1%}" if c.missing else "0",
            f"{'~' if not c.distinct_exact else ''}{c.distinct}",
            _fmt(c.min),
            _fmt(c.max),
            _fmt(c.mean),
            _fmt(c.std),
            ("~" if not c.quantiles_exact else "") + _fmt(c.quantiles.get("p50")),
            _top(c),
        )
    console.print(table)
    if approximate:
        console.print("[dim]~ estimated from a sketch or a uniform sample (see --json)[/]")


def _top(c: ColumnProfile) -> str:
    shown = ", ".join(f"{escape(_fmt(v))} ({n})" for v, n in c.top[:3])
    return shown + (" …" if len(c.top) > 3 else "")


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _gaps(missing: tuple[float, float], infinite: tuple[float, float]) -> str:
    """Missing (and infinite) shares, reference → current; empty when there are none."""
    parts = []
    for what, (a, b) in (("", missing), (" inf", infinite)):
        if a or b:
            parts.append(f"{a:.1%} → {b:.1%}{what}")
    return ", ".join(parts)


def _print_drift(report: DriftReport, html: str | None) -> None:
    from rich.table import Table

    ref, cur = report.reference, report.current
    console.print(
        f"reference {escape(ref.label)}: {ref.rows} rows · current {escape(cur.label)}: "
        f"{cur.rows} rows ({report.row_change:+.1%})",
        soft_wrap=True,
    )
    if report.row_alert:
        console.print(f"[yellow]row count changed by {report.row_change:+.1%}[/]")
    s = report.schema
    for label, names in (("added", s.added), ("removed", s.removed)):
        for n in names:
            console.print(f"[yellow]column {label}:[/] {escape(n)}")
    for r in s.retyped:
        console.print(
            f"[yellow]column retyped:[/] {escape(r.name)} {escape(r.reference)} → "
            f"{escape(r.current)}"
        )
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name in ("column", "kind", "test", "statistic", "threshold", "PSI", "missing", "drift"):
        table.add_column(name)
    for c in report.columns:
        gaps = _gaps(c.missing, c.infinite)
        if c.skipped is not None:
            table.add_row(
                escape(c.name), c.kind, "", "", "", "", gaps, f"[dim]{escape(c.skipped)}[/]"
            )
            continue
        what = "p" if c.measure == "p_value" else "d"
        table.add_row(
            escape(c.name),
            c.kind,
            c.test or "",
            f"{what}={_fmt(c.statistic)}",
            _fmt(c.threshold),
            _fmt(c.psi),
            gaps,
            "[red]drift[/]" if c.drifted else "[green]ok[/]",
        )
    console.print(table)
    verdict = "[red]dataset drift[/]" if report.dataset_drift else "[green]no dataset drift[/]"
    console.print(
        f"{report.drifted} of {report.tested} columns drifted ({report.drift_share:.0%}): {verdict}"
    )
    if html:
        console.print(f"report written to {escape(html)}")
