"""A drift report as one self-contained HTML page: inline CSS and SVG, no script, no network.

Each tested column gets a chart of the reference's and the current data's shares per bin (or
per category) side by side, with axes and a legend (Vega-Lite, ``solvent.viz.charts``).
"""

from __future__ import annotations

from html import escape

from solvent.health.drift import ColumnDrift, DriftReport, Plot
from solvent.viz.charts import CSS as CHART_CSS

REF_COLOUR = "#4c78a8"
CUR_COLOUR = "#f58518"

STYLE = f"""
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 980px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: left; }}
.drift {{ color: #b00020; font-weight: 600; }}
.ok {{ color: #1b7f3b; }}
section.column {{ margin: 1.5em 0; }}
.legend span {{ display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; }}
.ref {{ background: {REF_COLOUR}; }} .cur {{ background: {CUR_COLOUR}; }}
.gaps {{ color: #555; margin: 0; }}
{CHART_CSS}"""


def render(report: DriftReport) -> str:
    verdict = (
        '<p class="drift">Dataset drift detected</p>'
        if report.dataset_drift
        else '<p class="ok">No dataset drift</p>'
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        "<title>Solvent drift report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Drift report</h1>",
        f"<p>Reference: <b>{escape(report.reference.label)}</b> ({report.reference.rows} rows)"
        f" · current: <b>{escape(report.current.label)}</b> ({report.current.rows} rows,"
        f" {_row_change(report)})</p>",
        verdict,
        f"<p>{report.drifted} of {report.tested} tested columns drifted"
        f" ({report.drift_share:.0%}).</p>",
        _schema(report),
        _summary(report),
        *(_section(c) for c in report.columns if c.plot is not None),
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def _row_change(report: DriftReport) -> str:
    change = f"{report.row_change:+.1%}"
    if report.row_alert:
        return (
            f'<span class="drift row-alert">{change}: the row count moved by more than 10%</span>'
        )
    return change


def _share(pair: tuple[float, float]) -> str:
    a, b = pair
    return f"{a:.1%} → {b:.1%}" if a or b else "0"


def _schema(report: DriftReport) -> str:
    s = report.schema
    items = [f"<li>added: {escape(n)}</li>" for n in s.added]
    items += [f"<li>removed: {escape(n)}</li>" for n in s.removed]
    items += [
        f"<li>retyped: {escape(r.name)} {escape(r.reference)} → {escape(r.current)}</li>"
        for r in s.retyped
    ]
    return f"<h2>Schema changes</h2><ul>{''.join(items)}</ul>" if items else ""


def _summary(report: DriftReport) -> str:
    rows = ["<tr><th>column</th><th>test</th><th>statistic</th><th>threshold</th>"
            "<th>PSI</th><th>missing</th><th>infinite</th><th>drift</th></tr>"]  # fmt: skip
    for c in report.columns:
        gaps = (
            f'<td class="missing">{_share(c.missing)}</td>'
            f'<td class="infinite">{_share(c.infinite)}</td>'
        )
        if c.skipped is not None:
            rows.append(
                f"<tr><td>{escape(c.name)}</td><td colspan=4>{escape(c.skipped)}</td>{gaps}"
                "<td></td></tr>"
            )
            continue
        verdict = '<td class="drift">drift</td>' if c.drifted else '<td class="ok">ok</td>'
        rows.append(
            f'<tr><td><a href="#col-{_anchor(c.name)}">{escape(c.name)}</a></td>'
            f"<td>{c.test}</td><td>{c.statistic:.4g}</td><td>{c.threshold:g}</td>"
            f"<td>{c.psi:.4g}</td>{gaps}{verdict}</tr>"
        )
    return f"<table>{''.join(rows)}</table>"


def _section(c: ColumnDrift) -> str:
    assert c.plot is not None
    what = "p-value" if c.measure == "p_value" else "distance"
    gaps = "; ".join(
        f"{name} {_share(pair)}"
        for name, pair in (("missing", c.missing), ("infinite", c.infinite))
        if any(pair)
    )
    gaps_line = (
        f'<p class="gaps">{gaps} (reference → current; left out of the chart and the test)</p>'
        if gaps
        else ""
    )
    return (
        f'<section class="column" id="col-{_anchor(c.name)}" data-column="{escape(c.name)}">'
        f"<h3>{escape(c.name)} <small>{c.kind}, {c.test} {what} {c.statistic:.4g}</small></h3>"
        f"{gaps_line}{_chart(c.name, c.plot)}</section>"
    )


def _chart(name: str, plot: Plot) -> str:
    from solvent.viz import charts

    sides = {"reference": plot.reference, "current": plot.current}
    if plot.labels is not None:
        shown = len(plot.labels)
        more = plot.categories - shown
        caption = (
            f"top {shown} of {plot.categories} categories; the other {more} hold "
            f"{1 - sum(plot.reference):.1%} of the reference and {1 - sum(plot.current):.1%} "
            "of the current rows"
            if more > 0
            else f"all {shown} categories"
        )
        spec = charts.category_shares(plot.labels, sides, x_title=name)
        return charts.figure(spec, name, caption)
    assert plot.edges is not None
    edges = plot.edges
    if plot.bins == "quantile":
        starts = [_short(e) for e in edges[:-1]]
        title = f"{name} (bins of equal reference share, by lower edge)"
        spec = charts.category_shares(starts, sides, x_title=title)
        caption = (
            f"a long tail ({_short(edges[0])} to {_short(edges[-1])}): each bin holds an equal "
            "share of the reference"
        )
        return charts.figure(spec, name, caption)
    caption = {
        "integer": "whole numbers: each bin holds the same count of them",
        "equal": f"{len(edges) - 1} bins of equal width",
    }.get(plot.bins, "")
    return charts.figure(charts.binned_shares(edges, sides, x_title=name), name, caption)


def _short(value: float) -> str:
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= scale:
            return f"{value / scale:.3g}{suffix}"
    return f"{value:.3g}"


def _anchor(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name)
