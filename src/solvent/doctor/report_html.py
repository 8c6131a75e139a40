"""The doctor's report as one self-contained HTML page (a fuller page comes next)."""

from __future__ import annotations

import html

from solvent.doctor.findings import category
from solvent.doctor.report import DoctorReport


def render(report: DoctorReport) -> str:
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'><title>solvent doctor</title></head>",
        f"<body><h1>Debt report</h1><p>{len(report.findings)} finding(s)</p>",
    ]
    for key, findings in report.by_category():
        if not findings:
            continue
        c = category(key)
        parts.append(f"<h2>{html.escape(c.title)} ({c.section})</h2><ul>")
        for f in findings:
            parts.append(
                f"<li><b>{f.severity}</b> {html.escape(f.where)} {html.escape(f.message)}"
                f"<br>fix: {html.escape(f.fix)}</li>"
            )
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
