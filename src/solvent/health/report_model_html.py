"""Threshold, monitoring and feature-audit results as self-contained HTML pages: inline CSS
and SVG, no script, no network (the drift report's conventions, ``report_html``)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from solvent.health.audit import AuditReport
from solvent.health.monitor import ALL, MonitorReport
from solvent.health.report_html import CUR_COLOUR, REF_COLOUR, STYLE
from solvent.health.thresholds import Thresholds

WIDTH, HEIGHT, PAD = 560, 200, 32
CUT_COLOUR = "#b00020"


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


def svg(body: str, cls: str) -> str:
    return (
        f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        f'stroke="#888"/>{body}</svg>'
    )


def x_of(value: float, low: float, high: float) -> float:
    return PAD + (WIDTH - 2 * PAD) * (value - low) / ((high - low) or 1.0)


def y_of(value: float, low: float, high: float) -> float:
    return HEIGHT - PAD - (HEIGHT - 2 * PAD) * (value - low) / ((high - low) or 1.0)


def label(x: float, y: float, text: str, anchor: str = "middle") -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="10" text-anchor="{anchor}">{escape(text)}</text>'
    )


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
        '<p class="legend"><span class="ref"></span>rows of the class'
        '<span class="cur"></span>the rest</p>',
        *(_score_section(c.label, c.threshold, c.hist_class, c.hist_rest) for c in found.classes),
    )


def _source(data: dict[str, str | None]) -> str:
    if not data.get("label"):
        return ""
    return f" of <b>{escape(str(data['label']))}</b> ({escape(str(data.get('id')))})"


def _score_section(name: str, cut: float, ours: Sequence[float], rest: Sequence[float]) -> str:
    n = len(ours)
    top = max([*ours, *rest, 1e-12])
    slot = (WIDTH - 2 * PAD) / max(n, 1)
    bars = []
    for i, (a, b) in enumerate(zip(ours, rest, strict=True)):
        for offset, share, cls, colour in (
            (0.0, a, "ref", REF_COLOUR),
            (slot / 2, b, "cur", CUR_COLOUR),
        ):
            h = (HEIGHT - 2 * PAD) * share / top
            bars.append(
                f'<rect class="{cls}" x="{PAD + i * slot + offset:.1f}" y="{HEIGHT - PAD - h:.1f}"'
                f' width="{slot * 0.45:.1f}" height="{h:.1f}" fill="{colour}">'
                f"<title>{share:.2%}</title></rect>"
            )
    x = x_of(cut, 0.0, 1.0)
    line = (
        f'<line class="threshold" x1="{x:.1f}" y1="{PAD / 2}" x2="{x:.1f}" y2="{HEIGHT - PAD}" '
        f'stroke="{CUT_COLOUR}" stroke-width="2"/>' + label(x, PAD / 2 - 2, f"threshold {cut:.3g}")
    )
    axis = label(PAD, HEIGHT - PAD + 14, "0", "start") + label(
        WIDTH - PAD, HEIGHT - PAD + 14, "1", "end"
    )
    return (
        f'<section class="plot" data-class="{escape(name)}"><h3>{escape(name)}: scores</h3>'
        f"{svg(''.join(bars) + line + axis, 'scores')}</section>"
    )


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
        *(_share_section(report, label) for label in report.baseline),
    )


def _share_section(report: MonitorReport, name: str) -> str:
    """The share of one predicted label over the windows (all slices), inside its limits."""
    points = [w for w in report.windows if w.skipped is None and w.slice == ALL]
    if not points:
        return ""
    n = len(points)
    step = (WIDTH - 2 * PAD) / max(n - 1, 1)
    lows = [w.limits[name][0] if name in w.limits else 0.0 for w in points]
    highs = [w.limits[name][1] if name in w.limits else 1.0 for w in points]
    shares = [w.shares.get(name, 0.0) for w in points]
    top = max([*highs, *shares, 1e-9])
    xs = [PAD + i * step if n > 1 else WIDTH / 2 for i in range(n)]

    def path(values: list[float]) -> str:
        return " ".join(f"{x:.1f},{y_of(v, 0.0, top):.1f}" for x, v in zip(xs, values, strict=True))

    band = (
        f'<polyline class="limit" points="{path(lows)}" fill="none" stroke="#888" '
        'stroke-dasharray="4 3"/>'
        f'<polyline class="limit" points="{path(highs)}" fill="none" stroke="#888" '
        'stroke-dasharray="4 3"/>'
        f'<line class="baseline" x1="{PAD}" x2="{WIDTH - PAD}" '
        f'y1="{y_of(report.baseline[name], 0.0, top):.1f}" '
        f'y2="{y_of(report.baseline[name], 0.0, top):.1f}" stroke="{REF_COLOUR}"/>'
    )
    dots = "".join(
        f'<circle class="{"alert" if name in w.alerts else "share"}" cx="{x:.1f}" '
        f'cy="{y_of(v, 0.0, top):.1f}" r="4" '
        f'fill="{CUT_COLOUR if name in w.alerts else CUR_COLOUR}">'
        f"<title>{escape(w.start)}: {v:.1%}</title></circle>"
        for x, v, w in zip(xs, shares, points, strict=True)
    )
    line = f'<polyline points="{path(shares)}" fill="none" stroke="{CUR_COLOUR}"/>'
    axis = label(PAD, HEIGHT - PAD + 14, points[0].start[:16], "start")
    if n > 1:
        axis += label(WIDTH - PAD, HEIGHT - PAD + 14, points[-1].start[:16], "end")
    return (
        f'<section class="plot" data-label="{escape(name)}"><h3>Predicted share of '
        f"{escape(name)} over time (training share, action limits dashed)</h3>"
        f"{svg(band + line + dots + axis, 'shares')}</section>"
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
            f"<p>Dropping all flagged features together was not equivalent "
            f"({escape(joint.first.said())}); put back: {escape(', '.join(joint.restored))}.</p>"
        )
    if joint is not None and joint.dropped:
        parts.append(
            f"<p>Joint check: dropping {escape(', '.join(joint.dropped))} together is "
            f"equivalent: {escape(joint.comparison.said())}.</p>"
        )
    parts.extend(f'<p class="drift">{escape(line)}</p>' for line in report.warning_lines())
    return "".join(parts)


def _interval_section(
    title: str, cls: str, rows: list[tuple[str, float, float, float, str]], rope: float
) -> str:
    """One row per feature: a dot at the mean, a bar over the interval, the ROPE shaded."""
    if not rows:
        return ""
    row_h = 22
    height = PAD + row_h * len(rows)
    low = min(-rope * 2, *(r[2] for r in rows))
    high = max(rope * 2, *(r[3] for r in rows))
    left = 170

    def x(v: float) -> float:
        return left + (WIDTH - left - PAD) * (v - low) / ((high - low) or 1.0)

    parts = [
        f'<rect class="rope" x="{x(-rope):.1f}" y="0" width="{x(rope) - x(-rope):.1f}" '
        f'height="{height - PAD}" fill="#eee"/>',
        f'<line x1="{x(0):.1f}" y1="0" x2="{x(0):.1f}" y2="{height - PAD}" stroke="#888"/>',
    ]
    for i, (name, mean, lo, hi, verdict) in enumerate(rows):
        y = row_h * i + row_h / 2
        colour = REF_COLOUR if verdict == "keep" else CUT_COLOUR
        parts.append(
            label(left - 6, y + 4, name[:28], "end")
            + f'<line class="interval" x1="{x(lo):.1f}" y1="{y:.1f}" x2="{x(hi):.1f}" '
            f'y2="{y:.1f}" stroke="{colour}" stroke-width="2"/>'
            f'<circle class="mean" data-feature="{escape(name)}" cx="{x(mean):.1f}" '
            f'cy="{y:.1f}" r="4" fill="{colour}"><title>{escape(name)}: {mean:.4f} '
            f"({lo:.4f}..{hi:.4f})</title></circle>"
        )
    parts.append(label(x(low), height - PAD + 14, f"{low:.3g}", "start"))
    parts.append(label(x(high), height - PAD + 14, f"{high:.3g}", "end"))
    return (
        f'<section class="plot" data-plot="{cls}"><h3>{escape(title)}</h3>'
        f'<svg class="{cls}" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img">{"".join(parts)}</svg>'
        "</section>"
    )
