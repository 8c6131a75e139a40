"""``solvent threshold / monitor``: model health. Parsing and rendering only; the work is done
by ``solvent.health_data`` and ``solvent.health`` (loaded only when a command runs)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from solvent.cli.render import command_group, console, escape, print_json
from solvent.cli.repo_cmds import JSON
from solvent.errors import FINDING_EXIT_CODE, UsageError

if TYPE_CHECKING:
    from solvent.health.audit import AuditReport
    from solvent.health.monitor import MonitorReport
    from solvent.health.thresholds import CheckReport, Thresholds

threshold_app = command_group("Decision thresholds learned from held-out scores, and re-checked.")
DATA = typer.Argument(help="A .csv, .parquet or .jsonl file, or PATH@REV (a tracked version).")
HTML = Annotated[
    str | None, typer.Option("--html", help="Also write a self-contained HTML report.")
]
SCORES_HELP = (
    "COL[=CLASS],...: the score column (a probability), or one per class for a multi-class "
    "model (CLASS defaults to the column's name)."
)


audit_app = command_group("Audits of what a model depends on.")


def register(app: typer.Typer) -> None:
    app.add_typer(threshold_app, name="threshold")
    app.command("monitor")(monitor)
    app.add_typer(audit_app, name="audit")


@threshold_app.command("fit")
def threshold_fit(
    data: Annotated[str, DATA],
    scores: Annotated[str, typer.Option("--scores", help=SCORES_HELP)],
    labels: Annotated[str, typer.Option("--labels", help="The column of true labels.")],
    objective: Annotated[
        str,
        typer.Option(
            "--objective",
            help="balanced-accuracy, f-beta:B, precision>=P, recall>=R or cost:FP,FN.",
        ),
    ] = "balanced-accuracy",
    positive: Annotated[
        str | None, typer.Option("--positive", help="The positive class (default 1 or True).")
    ] = None,
    out: Annotated[
        str, typer.Option("--out", "-o", help="Where to write the threshold file.")
    ] = "threshold.json",
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap.")] = 0,
    html: HTML = None,
    json: JSON = False,
) -> None:
    """Learn a threshold (or one per class) on held-out data and write it with the achieved
    metric, its bootstrap 95% interval and the id of the data."""
    from solvent import health_data

    pairs = _score_columns(scores)
    _writable(out, "--out")
    _writable(html, "--html")
    health_data.require_health("sklearn")
    found = health_data.threshold_fit(data, pairs, labels, objective, positive, seed=seed)
    _write(out, _dumps(found.to_dict()))
    if html:
        from solvent.health.report_model_html import render_thresholds

        _write(html, render_thresholds(found))
    if json:
        print_json(found)
        return
    _print_fit(found, out)


@threshold_app.command("check")
def threshold_check(
    thresholds: Annotated[str, typer.Argument(help="A file written by 'solvent threshold fit'.")],
    data: Annotated[str, DATA],
    no_labels: Annotated[
        bool, typer.Option("--no-labels", help="Ignore the label column even if present.")
    ] = False,
    false_alarms: Annotated[
        float,
        typer.Option("--false-alarms", help="Alerts per check on unshifted data (a share)."),
    ] = 0.01,
    html: HTML = None,
    json: JSON = False,
) -> None:
    """A stored threshold on newer data, alerting on a batch from the fit data's population at
    most --false-alarms of the time. The positive rate against limits for a batch of this size;
    with labels, the metric at the stored cut against the same, and whether re-choosing the cut
    on this data wins out-of-bag (bootstrap). Exits 3 on an alert."""
    from solvent import health_data

    _writable(html, "--html")
    health_data.require_health()
    stored = health_data.read_thresholds(thresholds)
    report = health_data.threshold_check(stored, data, not no_labels, false_alarms)
    if html:
        from solvent.health.report_model_html import render_check

        _write(html, render_check(stored, report))
    if json:
        print_json({**_plain(report), "alert": report.alert})
    else:
        _print_check(report)
    if report.alert:
        raise typer.Exit(FINDING_EXIT_CODE)


def monitor(
    reference: Annotated[
        str, typer.Option("--reference", help="Training data with its labels (file or PATH@REV).")
    ],
    current: Annotated[
        str, typer.Option("--current", help="A prediction log: .csv, .parquet or .jsonl.")
    ],
    label: Annotated[
        str, typer.Option("--label", help="The reference's column of training labels.")
    ] = "label",
    prediction: Annotated[
        str, typer.Option("--prediction", help="The log's column of predicted labels.")
    ] = "prediction",
    time_column: Annotated[
        str | None, typer.Option("--time-column", help="The log's timestamps: one row a window.")
    ] = None,
    window: Annotated[
        str, typer.Option("--window", help="Window length with --time-column: 1h, 1D, 7D...")
    ] = "1D",
    slice_: Annotated[
        str | None, typer.Option("--slice", help="A column whose values are checked apart.")
    ] = None,
    min_rows: Annotated[
        int, typer.Option("--min-rows", help="Windows with fewer rows are listed, not tested.")
    ] = 30,
    false_alarms: Annotated[
        float,
        typer.Option(
            "--false-alarms",
            help="Bias alerts per report on unshifted data (a share; Bonferroni over windows, "
            "slices and labels).",
        ),
    ] = 0.01,
    no_drift: Annotated[
        bool, typer.Option("--no-drift", help="Skip the input drift tests.")
    ] = False,
    html: HTML = None,
    json: JSON = False,
) -> None:
    """Prediction bias (predicted-label shares per window and slice against the training
    labels, with action limits) and input drift. Exits 3 on an alert."""
    from solvent import health_data

    _writable(html, "--html")
    health_data.require_health()
    from solvent.health.monitor import MonitorOptions

    options = MonitorOptions(
        label, prediction, time_column, window, slice_, min_rows, false_alarms, not no_drift
    )
    report = health_data.monitor(reference, current, options)
    if html:
        from solvent.health.report_model_html import render_monitor

        _write(html, render_monitor(report))
    if json:
        print_json({**_plain(report), "alert": report.alert})
    else:
        _print_monitor(report, html)
    if report.alert:
        raise typer.Exit(FINDING_EXIT_CODE)


@audit_app.command("features")
def audit_features(
    data: Annotated[str, typer.Option("--data", help="The training table (file or PATH@REV).")],
    target: Annotated[str, typer.Option("--target", help="The column to predict.")],
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="An estimator's import path (sklearn.ensemble:RandomForestClassifier) or a "
            "model saved with joblib (trusted: loading runs its code).",
        ),
    ],
    scoring: Annotated[
        str | None,
        typer.Option(
            "--scoring",
            help="A scikit-learn scorer (default: the model's score). On small folds prefer a "
            "smooth one (roc_auc, neg_log_loss): accuracy moves in steps of 1/rows.",
        ),
    ] = None,
    folds: Annotated[int, typer.Option("--folds", help="CV folds.")] = 10,
    repeats: Annotated[int, typer.Option("--repeats", help="CV repeats.")] = 3,
    rope: Annotated[
        float | None,
        typer.Option(
            "--rope",
            help="A drop that costs less than ROPE is negligible (default: a twentieth of the "
            "baseline's distance from a perfect score).",
        ),
    ] = None,
    rho: Annotated[
        float, typer.Option("--rho", help="Spearman |rho| above which features group.")
    ] = 0.9,
    previous: Annotated[
        str | None,
        typer.Option("--previous", help="An earlier audit (file or PATH@REV): finds legacy."),
    ] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Parallel fits.")] = -1,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the folds.")] = 0,
    out: Annotated[
        str, typer.Option("--out", "-o", help="Where to write the audit (JSON).")
    ] = "audit.json",
    fail_on: Annotated[
        str, typer.Option("--fail-on", help="flagged or never: what exits 3.")
    ] = "flagged",
    html: HTML = None,
    json: JSON = False,
) -> None:
    """Which features the model could do without: a permutation-importance screen, then
    drop-feature and drop-group runs on identical repeated CV folds, compared with the
    Nadeau-Bengio corrected t-test and a region of practical equivalence, then all removals
    checked together. Verdicts: keep, epsilon, correlated, bundled, legacy, duplicate, harmful,
    undecided, each with its evidence. Exits 3 when any is flagged for removal."""
    from solvent import health_data

    if fail_on not in ("flagged", "never"):
        raise UsageError(f"--fail-on {fail_on!r}", "choose flagged or never")
    _writable(out, "--out")
    _writable(html, "--html")
    health_data.require_health("sklearn", "joblib")
    from solvent.cli.render import DelayedProgress
    from solvent.health.audit import AuditOptions

    options = AuditOptions(folds, repeats, rope, rho, scoring, seed=seed, n_jobs=jobs)
    bar, phase = DelayedProgress(), [""]

    def tick(name: str, done: int, total: int) -> None:
        if name != phase[0]:
            bar.start(name, total)
            phase[0] = name
        bar.advance()

    try:
        report = health_data.audit_features(data, target, model, options, previous, tick)
    finally:
        bar.stop()
    _write(out, _dumps(report.to_dict()))
    if html:
        from solvent.health.report_model_html import render_audit

        _write(html, render_audit(report))
    if json:
        print_json(report.to_dict())
    else:
        _print_audit(report, out)
    if fail_on == "flagged" and report.flagged:
        raise typer.Exit(FINDING_EXIT_CODE)


def _score_columns(text: str) -> list[tuple[str, str | None]]:
    pairs: list[tuple[str, str | None]] = []
    for item in (i.strip() for i in text.split(",")):
        column, sep, label = item.partition("=")
        if not column or (sep and not label):
            raise UsageError(f"--scores {text!r}: expected COL[=CLASS],...", "e.g. --scores p")
        pairs.append((column, label or None))
    return pairs


def _writable(path: str | None, option: str) -> None:
    if path and not Path(path).resolve().parent.is_dir():
        raise UsageError(f"{option} {path}: no such folder", "create the folder first")


def _write(path: str, text: str) -> None:
    from solvent.storage.fsutil import atomic_write

    atomic_write(path, text.encode())


def _dumps(value: object) -> str:
    import json

    return json.dumps(value, indent=2, sort_keys=True) + "\n"


def _plain(value: object) -> dict[str, object]:
    from dataclasses import asdict, is_dataclass

    assert is_dataclass(value) and not isinstance(value, type)
    return asdict(value)


def _print_table(table: Any) -> None:
    """In a terminal the table fits its width; piped, each row stays on one line."""
    if console.is_terminal:
        console.print(table)
        return
    from rich.console import Console
    from rich.measure import Measurement

    wide = console.options.update_width(100_000)
    width = Measurement.get(console, wide, table).maximum
    Console(width=max(width, console.width), highlight=False).print(table)  # print caps width


def _print_fit(found: Thresholds, out: str) -> None:
    for c in found.classes:
        m = c.metric
        console.print(
            f"{escape(c.label)}: threshold {c.threshold:.4g} on {escape(c.column)} · "
            f"{escape(m.name)} {m.value:.4f} (95% CI {m.low:.4f}..{m.high:.4f}) · "
            f"positive rate {c.positive_rate:.1%}",
            soft_wrap=True,
        )
    if found.neutral_share is not None:
        console.print(f"neutral (no class clears its threshold): {found.neutral_share:.1%}")
    console.print(
        f"fitted {found.objective} on {found.rows} rows of {escape(str(found.data['label']))}; "
        f"written to {escape(out)}",
        soft_wrap=True,
    )


def _print_check(report: CheckReport) -> None:
    for c in report.classes:
        lo, hi = c.limits
        flag = "[red]alert[/]" if c.rate_alert else "[green]ok[/]"
        console.print(
            f"{escape(c.label)}: positive rate {c.positive_rate:.1%} "
            f"(action limits {lo:.1%}..{hi:.1%}) {flag}",
            soft_wrap=True,
        )
        if c.metric is not None:
            expected = (
                "undefined on the reference"
                if c.interval is None
                else f"expected {c.interval[0]:.4f}..{c.interval[1]:.4f} at {report.rows} rows"
            )
            left = "[red]worse than expected[/]" if c.left_interval else "[green]ok[/]"
            console.print(
                f"    {escape(report.metric)} {c.metric:.4f} at {c.threshold:.4g} "
                f"({expected}) {left}",
                soft_wrap=True,
            )
        if c.refit_gain is not None and c.refit_wins is not None:
            advice = "[yellow]re-fit advised[/]" if c.refit_advised else "no re-fit needed"
            where = (
                ""
                if c.refit_threshold is None
                else f" (this data's best cut {c.refit_threshold:.4g})"
            )
            console.print(
                f"    re-fitting the cut{where} wins out-of-bag in {c.refit_wins:.0%} of "
                f"bootstrap replicates, gain {c.refit_gain:+.4f}: {advice}",
                soft_wrap=True,
            )
    verdict = "[red]alert[/]" if report.alert else "[green]no alert[/]"
    console.print(
        f"{report.rows} rows of {escape(str(report.data['label']))}: {verdict} "
        f"[dim](false alarms at most {report.false_alarms:.1%} a check)[/]",
        soft_wrap=True,
    )


def _print_monitor(report: MonitorReport, html: str | None) -> None:
    from rich.table import Table

    base = ", ".join(f"{escape(k)} {v:.1%}" for k, v in report.baseline.items())
    console.print(
        f"reference {escape(report.reference)}: {report.reference_rows} rows, labels {base}",
        soft_wrap=True,
    )
    table = Table(box=None, header_style="bold", pad_edge=False)
    when = "window (UTC)" if report.options.time_column else "window"
    for name in (when, "slice", "rows", "predicted shares (action limits)", "p", "bias"):
        table.add_column(name, no_wrap=name not in ("predicted shares (action limits)", "bias"))
    for w in report.windows:
        if w.skipped is not None:
            table.add_row(escape(w.start), escape(w.slice), str(w.rows), "", "",
                          f"[dim]{escape(w.skipped)}[/]")  # fmt: skip
            continue
        shares = ", ".join(
            f"{escape(k)} {v:.1%} ({w.limits[k][0]:.1%}..{w.limits[k][1]:.1%})"
            for k, v in w.shares.items()
        )
        flag = f"[red]{escape(', '.join(w.alerts))}[/]" if w.alerts else "[green]ok[/]"
        table.add_row(escape(w.start), escape(w.slice), str(w.rows), shares,
                      f"{w.p_value:.3g}", flag)  # fmt: skip
    _print_table(table)
    if report.drift is not None:
        d = report.drift
        names = ", ".join(escape(n) for n in d.drifted_columns) or "none"
        verdict = "[red]dataset drift[/]" if d.dataset_drift else "[green]no dataset drift[/]"
        console.print(
            f"input drift: {d.drifted} of {d.tested} columns ({names}): {verdict}", soft_wrap=True
        )
    verdict = "[red]alert[/]" if report.alert else "[green]no alert[/]"
    console.print(
        f"{len(report.bias_alerts)} of {len(report.windows)} windows biased; {verdict} "
        f"[dim](bias false alarms at most {report.options.false_alarms:.1%} a report: "
        f"Bonferroni over {report.tests} window, slice and label tests)[/]",
        soft_wrap=True,
    )
    if html:
        console.print(f"report written to {escape(html)}")


def _print_audit(report: AuditReport, out: str) -> None:
    from rich.table import Table

    console.print(
        f"{report.rows} rows, target {escape(report.target)}: {escape(report.scoring)} "
        f"{report.baseline:.4f} over {report.folds} folds; band {escape(report.band_rule)}",
        soft_wrap=True,
    )
    table = Table(box=None, header_style="bold", pad_edge=False)
    for name in ("feature", "verdict", "evidence"):
        table.add_column(name, overflow="fold")
    colours = {"keep": "green", "undecided": "cyan"}
    for v in report.features:
        colour = colours.get(v.verdict, "yellow")
        evidence = v.evidence + (f"; {v.decide}" if v.decide else "")
        table.add_row(escape(v.feature), f"[{colour}]{v.verdict}[/]", escape(evidence))
    console.print(table)
    joint = report.joint
    if joint is not None:
        if joint.restored:
            console.print(
                f"Dropping all {len(joint.dropped) + len(joint.restored)} flagged together may "
                f"cost more than the band ({joint.first.said()}); put back "
                f"{escape(', '.join(joint.restored))}",
                soft_wrap=True,
            )
        if joint.dropped:
            console.print(
                f"Joint check: dropping {escape(', '.join(joint.dropped))} together costs "
                f"less than the band: {joint.comparison.said()}",
                soft_wrap=True,
            )
    for line in report.warning_lines():
        console.print(f"[yellow]warning:[/] {escape(line)}", soft_wrap=True)
    console.print(
        f"{len(report.flagged)} of {len(report.features)} features flagged for removal, "
        f"{len(report.undecided)} undecided; written to {escape(out)}"
    )
