"""A drift report as one self-contained HTML page: inline CSS and SVG, no script, no network.

Each tested column gets a chart of the reference's and the current data's shares per bin (or
per category) side by side.
"""

from __future__ import annotations

from html import escape

from solvent.health.drift import ColumnDrift, DriftReport, Plot

REF_COLOUR = "#4c78a8"
CUR_COLOUR = "#f58518"
WIDTH, HEIGHT, PAD = 560, 180, 28

STYLE = f"""
body {{ font: 14px/1.4 system-ui, sans-serif; margin: 2em auto; max-width: 980px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ padding: 3px 10px; border-bottom: 1px solid #ddd; text-align: left; }}
.drift {{ color: #b00020; font-weight: 600; }}
.ok {{ color: #1b7f3b; }}
section.column {{ margin: 1.5em 0; }}
.legend span {{ display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; }}
.ref {{ background: {REF_COLOUR}; }} .cur {{ background: {CUR_COLOUR}; }}
"""


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
        '<p class="legend"><span class="ref"></span>reference<span class="cur"></span>current</p>',
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
    return (
        f'<section class="column" id="col-{_anchor(c.name)}" data-column="{escape(c.name)}">'
        f"<h3>{escape(c.name)} <small>{c.kind}, {c.test} {what} {c.statistic:.4g}</small></h3>"
        f"{_svg(c.plot)}</section>"
    )


def _svg(plot: Plot) -> str:
    n = len(plot.reference)
    top = max([*plot.reference, *plot.current, 1e-12])
    slot = (WIDTH - 2 * PAD) / max(n, 1)
    bar = slot * 0.42
    bars = []
    for i, (a, b) in enumerate(zip(plot.reference, plot.current, strict=True)):
        x = PAD + i * slot
        sides = ((0.0, a, "ref", REF_COLOUR), (bar, b, "cur", CUR_COLOUR))
        for offset, share, cls, colour in sides:
            h = (HEIGHT - 2 * PAD) * share / top
            bars.append(
                f'<rect class="{cls}" x="{x + offset:.1f}" y="{HEIGHT - PAD - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}" fill="{colour}"><title>{share:.3%}</title>'
                "</rect>"
            )
    labels = _axis(plot, slot)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img">'
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        f'stroke="#888"/>{"".join(bars)}{labels}</svg>'
    )


def _axis(plot: Plot, slot: float) -> str:
    y = HEIGHT - PAD + 14
    if plot.labels is not None:
        step = max(1, len(plot.labels) // 10)
        return "".join(
            f'<text x="{PAD + i * slot + slot / 2:.1f}" y="{y}" font-size="10" '
            f'text-anchor="middle">{escape(label[:12])}</text>'
            for i, label in enumerate(plot.labels)
            if i % step == 0
        )
    assert plot.edges is not None
    ends = ((PAD, plot.edges[0], "start"), (WIDTH - PAD, plot.edges[-1], "end"))
    return "".join(
        f'<text x="{x}" y="{y}" font-size="10" text-anchor="{anchor}">{value:.4g}</text>'
        for x, value, anchor in ends
    )


def _anchor(name: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in name)
