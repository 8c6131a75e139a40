"""Threshold, monitoring and feature-audit results as self-contained HTML pages: inline CSS
and SVG, no script, no network (the drift report's conventions, ``report_html``). Charts are
Vega-Lite specs from ``solvent.viz.charts``, rendered to SVG when the page is built."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from solvent.health.audit import AuditReport
from solvent.health.monitor import ALL, MonitorReport
from solvent.health.report_html import STYLE
from solvent.health.thresholds import CheckReport, ClassThreshold, Thresholds

MAX_PANELS = 8  # labels charted per slice of a monitoring report


def page(title: str, *parts: str) -> str:
    return "\n".join([
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        *(p for p in parts if p),
        "</body></html>",
    ])  # fmt: skip


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """``rows`` hold HTML already escaped by the caller."""
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def render_thresholds(found: Thresholds) -> str:
    rows = []
    for c in found.classes:
        m = c.metric
        rows.append([
            escape(c.label), escape(c.column), f"{c.threshold:.4g}",
            f"{escape(m.name)} {m.value:.4f}", f"{m.low:.4f}..{m.high:.4f}",
            f"{c.positive_rate:.1%}",
        ])  # fmt: skip
    neutral = (
        f"<p>Neutral (no class clears its threshold): {found.neutral_share:.1%} of rows.</p>"
        if found.neutral_share is not None
        else ""
    )
    return page(
        "Solvent threshold report",
        f"<p>Objective <b>{escape(found.objective)}</b>, fitted on {found.rows} rows"
        f"{_source(found.data)}.</p>",
        table(["class", "score", "threshold", "metric", "95% interval", "positive rate"], rows),
        neutral,
        *(_class_section(found.objective, c) for c in found.classes),
    )


def render_check(stored: Thresholds, report: CheckReport) -> str:
    """``threshold check``: each class's positive rate against its action limits, and with
    labels its metric at the stored cut against the fit data's curve and interval."""
    from solvent.viz import charts

    rows = []
    for c in report.classes:
        lo, hi = c.limits
        rate = _flag(f"{c.positive_rate:.1%}", c.rate_alert)
        cells = [escape(c.label), f"{c.threshold:.4g}", rate, f"{lo:.1%}..{hi:.1%}"]
        if report.labelled:
            metric = "" if c.metric is None else _flag(f"{c.metric:.4f}", c.left_interval)
            span = "" if c.interval is None else f"{c.interval[0]:.4f}..{c.interval[1]:.4f}"
            refit = (
                ""
                if c.refit_threshold is None
                else f"{c.refit_metric:.4f} at {c.refit_threshold:.4g}"
                + (' <span class="drift">re-fit advised</span>' if c.refit_advised else "")
            )
            cells += [metric, span, refit]
        rows.append(cells)
    header = ["class", "threshold", "positive rate", "action limits"]
    if report.labelled:
        header += [report.metric, "expected at this size", "a re-fit would give"]
    verdict = '<p class="drift">Alert</p>' if report.alert else '<p class="ok">No alert</p>'
    fitted = {c.label: c for c in stored.classes}
    rates = [
        {"label": c.label, "rate": c.positive_rate, "low": c.limits[0], "high": c.limits[1],
         "reference": fitted[c.label].positive_rate if c.label in fitted else None,
         "alert": c.rate_alert}
        for c in report.classes
    ]  # fmt: skip
    sections = [
        '<section class="plot" data-plot="rates"><h3>Positive rate against the action limits'
        "</h3>"
        + charts.figure(charts.rates_against_limits(rates), "rates", _LIMITS_NOTE)
        + "</section>"
    ]
    if report.labelled:
        for c in report.classes:
            fit = fitted.get(c.label)
            if fit is None or c.metric is None:
                continue
            points = [(f"{report.metric} on this data", c.threshold, c.metric,
                       charts.CUT_COLOUR if c.left_interval else charts.OK_COLOUR)]  # fmt: skip
            if c.refit_threshold is not None and c.refit_metric is not None:
                points.append(("a re-fit on this data", c.refit_threshold, c.refit_metric,
                               "#b279a2"))  # fmt: skip
            sections.append(
                f'<section class="plot" data-class="{escape(c.label)}"><h3>'
                f"{escape(c.label)}: {escape(report.metric)} at the stored cut</h3>"
                + _metric_figure(stored.objective, fit, points)
                + "</section>"
            )
    return page(
        "Solvent threshold check",
        f"<p>Thresholds fitted for <b>{escape(stored.objective)}</b> on {stored.rows} rows"
        f"{_source(stored.data)}, checked on {report.rows} rows{_source(report.data)}"
        f"{'' if report.labelled else ' without labels'}.</p>",
        verdict,
        table(header, rows),
        *sections,
    )


_LIMITS_NOTE = (
    "the bar spans the action limits for a batch of this size; the tick is the rate on the "
    "fit data, the dot the rate on this data"
)


def _flag(text: str, alert: bool) -> str:
    return f'<span class="{"drift" if alert else "ok"}">{text}</span>'


def _source(data: dict[str, str | None]) -> str:
    if not data.get("label"):
        return ""
    return f" of <b>{escape(str(data['label']))}</b> ({escape(str(data.get('id')))})"


def _class_section(objective: str, c: ClassThreshold) -> str:
    """The scores of the class and of the rest with the cut; the metric at every threshold
    with the chosen cut and its interval; the precision-recall curve."""
    from solvent.viz import charts

    edges = c.hist_edges or tuple(i / len(c.hist_class) for i in range(len(c.hist_class) + 1))
    series = {f"rows of {c.label}": c.hist_class, "the rest": c.hist_rest}
    hist = charts.binned_shares(
        edges, series, x_title=f"score ({c.column})", y_title="share of the group's rows",
        cut=(f"threshold {c.threshold:.3g}", c.threshold), name="scores",
    )  # fmt: skip
    parts = [charts.figure(hist, "scores", "each group's scores sum to 100%")]
    if c.curve is not None:
        parts.append(_metric_figure(objective, c, []))
        floor = _floor(objective)
        pr = charts.pr_curve(
            c.curve.recall, c.curve.precision, prevalence=c.curve.prevalence,
            chosen=(c.curve.cut_recall, c.curve.cut_precision), floor=floor,
        )  # fmt: skip
        parts.append(charts.figure(pr, "pr", "precision and recall of the class at each threshold"))
    else:
        parts.append("<p>This file was written before curves were kept: fit it again to see "
                     "the metric and precision-recall curves.</p>")  # fmt: skip
    return (
        f'<section class="plot" data-class="{escape(c.label)}"><h3>{escape(c.label)}</h3>'
        f"{''.join(parts)}</section>"
    )


def _metric_figure(
    objective: str, c: ClassThreshold, points: list[tuple[str, float, float, str]]
) -> str:
    from solvent.viz import charts

    m = c.metric
    xs: Sequence[float] = c.curve.threshold if c.curve is not None else ()
    ys: Sequence[float] = c.curve.metric if c.curve is not None else ()
    spec = charts.metric_curve(
        xs, ys, metric=m.name, cut=c.threshold, value=m.value, interval=(m.low, m.high),
        points=points, name="metric",
    )  # fmt: skip
    floor = _floor(objective)
    among = f" among the thresholds that keep {floor[0]} ≥ {floor[1]:g}" if floor else ""
    best = "minimises" if objective.startswith("cost:") else "maximises"
    caption = (
        f"{m.name} of the fit data at every threshold ({objective}); the cut {best} it{among}, "
        "and the bar is its bootstrap 95% interval"
    )
    return charts.figure(spec, "metric", caption)


def _floor(objective: str) -> tuple[str, float] | None:
    for kind in ("precision", "recall"):
        if objective.startswith(f"{kind}>="):
            return kind, float(objective.split(">=", 1)[1])
    return None


def render_monitor(report: MonitorReport) -> str:
    rows = []
    for w in report.windows:
        if w.skipped is not None:
            rows.append([escape(w.start), escape(w.slice), str(w.rows), escape(w.skipped), ""])
            continue
        shares = ", ".join(f"{escape(k)} {v:.1%}" for k, v in w.shares.items())
        flag = (
            f'<span class="drift">{escape(", ".join(w.alerts))}</span>'
            if w.alerts
            else ('<span class="ok">ok</span>')
        )
        rows.append([escape(w.start), escape(w.slice), str(w.rows), shares, flag])
    verdict = '<p class="drift">Alert</p>' if report.alert else '<p class="ok">No alert</p>'
    drifted = ""
    if report.drift is not None:
        d = report.drift
        names = escape(", ".join(d.drifted_columns)) or "none"
        drifted = f"<p>Input drift: {d.drifted} of {d.tested} columns drifted ({names}).</p>"
    base = ", ".join(f"{escape(k)} {v:.1%}" for k, v in report.baseline.items())
    return page(
        "Solvent monitoring report",
        f"<p>Reference <b>{escape(report.reference)}</b> ({report.reference_rows} rows; labels "
        f"{base}) · current <b>{escape(report.current)}</b> ({report.current_rows} rows).</p>",
        verdict,
        drifted,
        table(["window", "slice", "rows", "predicted shares", "bias"], rows),
        *(_slice_section(report, part) for part in dict.fromkeys(w.slice for w in report.windows)),
    )


def _slice_section(report: MonitorReport, part: str) -> str:
    """One slice's predicted shares over the windows, per label inside its action limits."""
    from solvent.viz import charts

    windows = [w for w in report.windows if w.skipped is None and w.slice == part]
    if not windows:
        return ""
    known = dict.fromkeys([*report.baseline, *(k for w in windows for k in w.shares)])
    alerted = {k for w in windows for k in w.alerts}
    ranked = sorted(known, key=lambda k: (k not in alerted, -report.baseline.get(k, 0.0)))
    labels = [k for k in known if k in ranked[:MAX_PANELS]]
    midnight = all(w.start.endswith("T00:00:00+00:00") for w in windows)
    rows = [
        {"window": w.start[:10] if midnight else w.start[:16].replace("T", " "),
         "label": k, "share": w.shares.get(k, 0.0),
         "low": w.limits.get(k, (0.0, 1.0))[0], "high": w.limits.get(k, (0.0, 1.0))[1],
         "alert": k in w.alerts}
        for w in windows for k in labels
    ]  # fmt: skip
    spec = charts.shares_over_time(rows, labels=labels, baseline=report.baseline, name=part)
    alerts = sum(bool(w.alerts) for w in windows)
    shown = (
        f"; the {len(labels)} of {len(known)} labels shown are those that alert, then the "
        "most common"
        if len(labels) < len(known)
        else ""
    )
    caption = (
        "shaded: each label's action limits for the window's size; dashed: its training "
        f"share; {alerts} of {len(windows)} windows alert{shown}"
    )
    title = "all rows" if part == ALL else f"slice {part}"
    return (
        f'<section class="plot" data-slice="{escape(part)}"><h3>Predicted shares: '
        f"{escape(title)}</h3>{charts.figure(spec, part, caption)}</section>"
    )


def render_audit(report: AuditReport) -> str:
    rows = [
        [
            escape(v.feature),
            f'<span class="{"ok" if v.verdict == "keep" else "drift"}">{v.verdict}</span>',
            escape(v.evidence + (f"; {v.decide}" if v.decide else "")),
        ]
        for v in report.features
    ]
    return page(
        "Solvent feature audit",
        f"<p>Target <b>{escape(report.target)}</b>, {report.rows} rows{_source(report.data)}; "
        f"{escape(report.scoring)} "
        f"{report.baseline:.4f} over {report.folds} folds; band {escape(report.band_rule)}.</p>",
        f"<p>{len(report.flagged)} of {len(report.features)} features flagged for removal, "
        f"{len(report.undecided)} undecided.</p>",
        _joint(report),
        table(["feature", "verdict", "evidence"], rows),
        _interval_section(
            "Permutation importance (95% interval over folds)",
            "importance",
            [
                (v.feature, v.importance.mean, v.importance.low, v.importance.high, v.verdict)
                for v in report.features
            ],
            report.band,
        ),
        _interval_section(
            "Score lost by dropping the feature (90% interval, Nadeau-Bengio)",
            "drop",
            [
                (v.feature, v.drop.mean, v.drop.low, v.drop.high, v.verdict)
                for v in report.features
                if v.drop is not None
            ],
            report.band,
        ),
    )


def _joint(report: AuditReport) -> str:
    """The joint check and the fits' warnings, in words."""
    parts = []
    joint = report.joint
    if joint is not None and joint.restored:
        parts.append(
            f"<p>Dropping all flagged features together may cost more than the band "
            f"({escape(joint.first.said())}); put back: {escape(', '.join(joint.restored))}.</p>"
        )
    if joint is not None and joint.dropped:
        parts.append(
            f"<p>Joint check: dropping {escape(', '.join(joint.dropped))} together costs "
            f"less than the band: {escape(joint.comparison.said())}.</p>"
        )
    parts.extend(f'<p class="drift">{escape(line)}</p>' for line in report.warning_lines())
    return "".join(parts)


def _interval_section(
    title: str, cls: str, rows: list[tuple[str, float, float, float, str]], band: float
) -> str:
    x_title = {
        "importance": "score lost when the feature is shuffled",
        "drop": "score lost when the feature is dropped",
    }[cls]
    """One row per feature: its mean and interval, coloured by verdict, over the band."""
    from solvent.viz import charts

    if not rows:
        return ""
    groups = list(dict.fromkeys(r[4] for r in rows))
    spec = charts.intervals(rows, band=band, x_title=x_title, groups=groups, name=cls)
    caption = (
        "shaded: the band of practical equivalence; a feature is removable when its whole "
        "interval lies inside it, kept when outside, undecided when it crosses an edge"
    )
    return (
        f'<section class="plot" data-plot="{cls}"><h3>{escape(title)}</h3>'
        f"{charts.figure(spec, cls, caption)}</section>"
    )
