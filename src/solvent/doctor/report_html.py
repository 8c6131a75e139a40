"""The doctor's report as one self-contained HTML page: inline CSS, no script, no network.

At the top, the counts by severity and the ML Test Score per section; then one section per
debt category (the paper's section and why it costs), each finding a card with its place, its
evidence and its fix; last, the rubric test by test. Every text from the project is escaped.
"""

from __future__ import annotations

import time
from html import escape

from solvent.doctor.findings import CATEGORIES, Finding
from solvent.doctor.mltestscore import MLTestScore, RubricTest, SectionScore
from solvent.doctor.report import DoctorReport
from solvent.health.report_html import STYLE as HEALTH_STYLE

SEVERITY_COLOUR = {"error": "#b00020", "warning": "#b26a00", "info": "#1f5fa8"}
STATUS_COLOUR = {"in place": "#1b7f3b", "missing": "#c9821b", "not visible": "#d5d8dc"}

STYLE = (
    HEALTH_STYLE
    + f"""
body {{ max-width: 1040px; padding: 0 1.2em; background: #fafafa; }}
h1 {{ margin-bottom: 0.1em; }} h2 {{ margin: 0 0 0.2em; font-size: 1.25em; }}
.meta {{ color: #666; margin-top: 0; }}
.summary {{ display: flex; gap: 1em; flex-wrap: wrap; margin: 1.2em 0; align-items: flex-start; }}
.panel {{ background: #fff; border: 1px solid #e2e2e2; border-radius: 8px; padding: 0.9em 1.2em; }}
.counts {{ display: flex; gap: 1.6em; align-items: flex-end; }}
.count b {{ display: block; font-size: 2em; line-height: 1.1; }}
.count.error b {{ color: {SEVERITY_COLOUR["error"]}; }}
.count.warning b {{ color: {SEVERITY_COLOUR["warning"]}; }}
.count.info b {{ color: {SEVERITY_COLOUR["info"]}; }}
.count span, .small {{ color: #666; font-size: 0.9em; }}
.score {{ flex: 1; min-width: 420px; }}
.final {{ font-size: 1.1em; margin-bottom: 0.5em; }} .final b {{ font-size: 1.6em; }}
.bar-row {{ display: grid; grid-template-columns: 8.5em 1fr 4em; gap: 0.7em;
  align-items: center; margin: 0.25em 0; }}
.cells {{ display: grid; grid-template-columns: repeat(7, 1fr); gap: 3px; }}
.cell {{ height: 16px; border-radius: 3px; }}
.cell.in-place {{ background: {STATUS_COLOUR["in place"]}; }}
.cell.missing {{ background: {STATUS_COLOUR["missing"]}; opacity: 0.45; }}
.cell.not-visible {{
  background: repeating-linear-gradient(45deg, #e4e6e8 0 4px, #f4f5f6 4px 8px); }}
.legend-row span.cell {{ display: inline-block; width: 14px; height: 10px; margin: 0 4px 0 10px;
  vertical-align: middle; }}
nav.toc a {{ margin-right: 1.2em; color: #1f5fa8; text-decoration: none; }}
section.category {{ margin: 2em 0; }}
.why {{ color: #555; margin: 0 0 0.8em; }}
.clean {{ color: #1b7f3b; }}
.clean-list {{ margin: 2em 0; }}
.clean-list ul {{ margin: 0.3em 0; padding-left: 1.2em; columns: 2; }}
#ml-test-score {{ margin-top: 2.5em; }}
.card {{ background: #fff; border: 1px solid #e2e2e2; border-left: 5px solid #999;
  border-radius: 6px; padding: 0.7em 1em; margin: 0.7em 0; }}
.card.error {{ border-left-color: {SEVERITY_COLOUR["error"]}; }}
.card.warning {{ border-left-color: {SEVERITY_COLOUR["warning"]}; }}
.card.info {{ border-left-color: {SEVERITY_COLOUR["info"]}; }}
.badge {{ display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
  font-size: 0.8em; font-weight: 600; text-transform: uppercase; letter-spacing: 0.03em; }}
.badge.error {{ background: {SEVERITY_COLOUR["error"]}; }}
.badge.warning {{ background: {SEVERITY_COLOUR["warning"]}; }}
.badge.info {{ background: {SEVERITY_COLOUR["info"]}; }}
.where {{ font-family: ui-monospace, SFMono-Regular, Menlo, monospace; margin-left: 0.5em; }}
.code {{ color: #777; font-size: 0.85em; margin-left: 0.5em; }}
.message {{ margin: 0.4em 0; }}
.fix {{ background: #f3f6f4; border: 1px solid #d7e3da; border-radius: 4px; padding: 0.5em 0.8em;
  font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.88em;
  white-space: pre-wrap; word-break: break-word; margin: 0.4em 0 0; }}
.fix::before {{ content: "fix  "; color: #1b7f3b; font-weight: 700; }}
table.ids {{ margin: 0.5em 0 0; font-size: 0.85em; }}
table.ids td {{ font-family: ui-monospace, SFMono-Regular, Menlo, monospace;
  word-break: break-all; vertical-align: top; }}
table.ids td:first-child {{ white-space: nowrap; word-break: normal; color: #444; }}
table.rubric {{ width: 100%; background: #fff; }}
table.rubric td {{ vertical-align: top; }}
table.rubric td.label, table.rubric td.status {{ white-space: nowrap; }}
table.rubric td.status {{ font-weight: 600; }}
table.rubric td.name {{ width: 36%; }}
.status.in-place {{ color: {STATUS_COLOUR["in place"]}; }}
.status.missing {{ color: #a3650c; }}
.status.not-visible {{ color: #888; font-weight: 400; }}
"""
)


def render(report: DoctorReport) -> str:
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(report.created))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>Solvent doctor: debt report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Debt report</h1>",
        f'<p class="meta">{escape(report.root)} · {report.stages} stage(s) · {when} · '
        "categories of Sculley et al. 2015, “Hidden Technical Debt in Machine Learning "
        "Systems”</p>",
        '<div class="summary">',
        _counts(report),
        _score(report.score) if report.score is not None else "",
        "</div>",
        _toc(report),
        *(_category(key, found) for key, found in report.by_category() if found),
        _clean(report),
        _rubric(report.score) if report.score is not None else "",
        "</body></html>",
    ]
    return "\n".join(p for p in parts if p)


def _counts(report: DoctorReport) -> str:
    counts = "".join(
        f'<div class="count {s}" data-severity="{s}"><b>{report.count(s)}</b>'
        f"<span>{s}{'s' if report.count(s) != 1 else ''}</span></div>"
        for s in ("error", "warning", "info")
    )
    verdict = (
        '<p class="clean">No debt found.</p>'
        if not report.findings
        else f'<p class="small">{len(report.findings)} finding(s) in '
        f"{sum(1 for _, f in report.by_category() if f)} of {len(CATEGORIES)} categories</p>"
    )
    return f'<div class="panel"><h2>Findings</h2><div class="counts">{counts}</div>{verdict}</div>'


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower())


def _cells(section: SectionScore) -> str:
    return "".join(
        f'<div class="cell {_slug(t.status)}" title="{escape(t.label)}: {escape(t.name)} '
        f'({t.status})"></div>'
        for t in section.tests
    )


def _score(score: MLTestScore) -> str:
    rows = "".join(
        f'<div class="bar-row" data-section="{s.key}"><span>{escape(s.title)}</span>'
        f'<div class="cells">{_cells(s)}</div><b>{s.points:g} / {len(s.tests)}</b></div>'
        for s in score.sections
    )
    legend = (
        '<p class="small legend-row"><span class="cell in-place"></span>in place'
        '<span class="cell missing"></span>missing'
        '<span class="cell not-visible"></span>not visible to Solvent</p>'
    )
    return (
        f'<div class="panel score" data-final="{score.final:g}"><h2>ML Test Score</h2>'
        f'<div class="final"><b>{score.final:g}</b> (the lowest section): '
        f"{escape(score.meaning)}</div>{rows}{legend}"
        '<p class="small">Breck et al. 2017, “The ML Test Score: A Rubric for ML Production '
        "Readiness and Technical Debt Reduction”: one point per automated test in place.</p>"
        "</div>"
    )


def _toc(report: DoctorReport) -> str:
    links = [
        f'<a href="#{key}">{escape(title)} ({len(found)})</a>'
        for (key, found), title in zip(report.by_category(), (c.title for c in CATEGORIES),
                                       strict=True)
        if found
    ]  # fmt: skip
    if report.score is not None:
        links.append('<a href="#ml-test-score">ML Test Score, test by test</a>')
    return f'<nav class="toc">{"".join(links)}</nav>' if links else ""


def _category(key: str, found: list[Finding]) -> str:
    c = next(c for c in CATEGORIES if c.key == key)
    return (
        f'<section class="category" id="{key}" data-category="{key}">'
        f"<h2>{escape(c.title)} <small>({escape(c.section)})</small></h2>"
        f'<p class="why">{escape(c.why[:1].upper() + c.why[1:])}.</p>'
        + "".join(_card(f) for f in found)
        + "</section>"
    )


def _clean(report: DoctorReport) -> str:
    """The categories with nothing found, in one short list (they are good news, not work)."""
    clean = [c for c, (_, found) in zip(CATEGORIES, report.by_category(), strict=True)
             if not found]  # fmt: skip
    if not clean:
        return ""
    items = "".join(
        f'<li data-category="{c.key}"><b>{escape(c.title)}</b> <small>({escape(c.section)})'
        f"</small></li>"
        for c in clean
    )
    return (
        '<section class="panel clean-list"><h2 class="clean">Nothing found in</h2>'
        f"<ul>{items}</ul></section>"
    )


def _card(f: Finding) -> str:
    where = f'<span class="where">{escape(f.where)}</span>' if f.where else ""
    stage = f' <span class="small">stage {escape(f.stage)}</span>' if f.stage else ""
    ids = ""
    if f.ids:
        rows = "".join(
            f"<tr><td>{escape(path)}</td><td>{escape(oid)}</td></tr>" for path, oid in f.ids.items()
        )
        ids = f'<table class="ids">{rows}</table>'
    return (
        f'<div class="card {f.severity}" data-code="{escape(f.code)}">'
        f'<span class="badge {f.severity}">{f.severity}</span>{where}{stage}'
        f'<span class="code">{escape(f.code)}</span>'
        f'<p class="message">{escape(f.message)}</p>'
        f'<div class="fix">{escape(f.fix)}</div>{ids}</div>'
    )


def _rubric(score: MLTestScore) -> str:
    parts = ['<section id="ml-test-score"><h2>ML Test Score, test by test</h2>']
    for s in score.sections:
        rows = "".join(_test_row(t) for t in s.tests)
        parts.append(
            f"<h3>{escape(s.title)}: {s.points:g} point(s), {s.in_place} of {len(s.tests)} "
            f"in place, {s.visible} visible</h3>"
            f'<table class="rubric" data-section="{s.key}">'
            "<tr><th>test</th><th>name</th><th>status</th><th>evidence</th></tr>"
            f"{rows}</table>"
        )
    parts.append("</section>")
    return "".join(parts)


def _test_row(t: RubricTest) -> str:
    return (
        f'<tr data-test="{t.section}-{t.number}"><td class="label">{escape(t.label)}</td>'
        f'<td class="name">{escape(t.name)}</td>'
        f'<td class="status {_slug(t.status)}">{escape(t.status)}</td>'
        f"<td>{escape(t.evidence)}</td></tr>"
    )
