"""Threshold, monitoring and feature-audit results as self-contained HTML pages: inline CSS
and SVG, no script, no network (the drift report's conventions, ``report_html``)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

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
        f"<p>Objective <b>{escape(found.objective)}</b>, fitted on {found.rows} rows of "
        f"<b>{escape(str(found.data.get('label')))}</b> ({escape(str(found.data.get('id')))}).</p>",
        table(["class", "score", "threshold", "metric", "95% interval", "positive rate"], rows),
        neutral,
        '<p class="legend"><span class="ref"></span>rows of the class'
        '<span class="cur"></span>the rest</p>',
        *(_score_section(c.label, c.threshold, c.hist_class, c.hist_rest) for c in found.classes),
    )


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
