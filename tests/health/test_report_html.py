"""The HTML drift report, as headless Chromium builds it: one chart per tested column with the
reference's and the current data's bars, and nothing loaded from anywhere else.

CI installs Debian's ``chromium``; without a browser binary the test is skipped, saying so.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from solvent.health.drift import drift
from solvent.health.report_html import render
from tests.viz.htmltree import all_text, parse
from tests.viz.test_browser import _browser, _run


def test_browser_builds_a_chart_per_column_with_both_sides(tmp_path: Path) -> None:
    browser = _browser()
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=2000), "<city>": rng.choice(["a", "b"], 2000)})
    cur = pd.DataFrame({"x": rng.normal(1, 1, 1500), "<city>": rng.choice(["a", "c"], 1500)})
    cur["when"] = pd.Timestamp("2024-01-01")
    ref["when"] = pd.Timestamp("2023-01-01")
    page = tmp_path / "report.html"
    page.write_text(render(drift(ref, cur)), encoding="utf-8")
    proc = _run(browser, tmp_path, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    root = parse(proc.stdout)
    sections = {
        s.attrs["data-column"]: s
        for s in root.find(lambda e: e.attrs.get("data-column") is not None)
    }
    assert set(sections) == {"x", "<city>"}  # the datetime column is listed, not charted
    for name, section in sections.items():
        rects = section.find(lambda e: e.tag == "rect")
        ref_bars = [r for r in rects if "ref" in r.cls()]
        cur_bars = [r for r in rects if "cur" in r.cls()]
        assert len(ref_bars) == len(cur_bars) >= 2, name
        assert any(float(r.attrs["height"]) > 0 for r in cur_bars)
    assert "Dataset drift detected" in all_text(root)
    assert "datetime columns are not tested" in all_text(root)
    html = page.read_text()
    for external in ("<script", "<link", "<img", "src=", "@import", "url("):
        assert external not in html
