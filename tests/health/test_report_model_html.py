"""The threshold, monitoring and audit reports as headless Chromium builds them: each renders
without a console error, shows its plots, and loads nothing from anywhere else.

CI installs Debian's ``chromium``; without a browser binary the test is skipped, saying so.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from solvent.health.audit import AuditOptions, audit
from solvent.health.monitor import MonitorOptions, monitor
from solvent.health.report_model_html import render_audit, render_monitor, render_thresholds
from solvent.health.thresholds import Objective, fit
from tests.health.test_monitor import batch, reference
from tests.viz.htmltree import Element, all_text, parse
from tests.viz.test_browser import _browser, _run


def thresholds_page() -> str:
    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.5, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x_train, y_train)
    scores = model.predict_proba(x_val)[:, 1]
    return render_thresholds(fit(scores, y_val, Objective.parse("f-beta:2"), [("p", "1")], "y"))


def monitor_page() -> str:
    options = MonitorOptions(time_column="time", slice="region")
    return render_monitor(monitor(reference(), batch(bias=0.15), options))


def audit_page() -> str:
    data = load_diabetes(as_frame=True)
    rng = np.random.default_rng(0)
    x = data.data[["bmi", "bp", "s5"]].assign(noise=rng.normal(size=len(data.target)))
    options = AuditOptions(n_splits=3, n_repeats=1, screen_repeats=2, n_jobs=1)
    return render_audit(audit(x, pd.Series(data.target, name="y"), Ridge(), options))


def _thresholds(root: Element) -> None:
    (section,) = root.find(lambda e: e.attrs.get("data-class") == "1")
    bars = section.find(lambda e: e.tag == "rect")
    assert len(bars) == 40 and any(float(b.attrs["height"]) > 0 for b in bars)
    assert section.find(lambda e: "threshold" in e.cls())
    assert "f-beta:2" in all_text(root)


def _monitor(root: Element) -> None:
    plots = root.find(lambda e: e.tag == "section" and e.attrs.get("data-label") is not None)
    assert {p.attrs["data-label"] for p in plots} == {"0", "1"}
    dots = plots[1].find(lambda e: e.tag == "circle")
    assert len(dots) == 7 and any("alert" in d.cls() for d in dots)
    assert "Alert" in all_text(root)


def _audit(root: Element) -> None:
    for plot in ("importance", "drop"):
        (section,) = root.find(lambda e, p=plot: e.attrs.get("data-plot") == p)  # type: ignore[misc]
        assert section.find(lambda e: e.tag == "circle" and "mean" in e.cls())
    means = root.find(lambda e: e.tag == "circle" and e.attrs.get("data-feature") == "noise")
    assert len(means) == 2


@pytest.mark.parametrize(
    ("make", "check"),
    [(thresholds_page, _thresholds), (monitor_page, _monitor), (audit_page, _audit)],
    ids=["threshold", "monitor", "audit"],
)
def test_report_renders_its_plots_without_console_errors(
    tmp_path: Path, make: Callable[[], str], check: Callable[[Element], None]
) -> None:
    browser = _browser()
    html = make()
    for external in ("<script", "<link", "<img", "src=", "@import", "url("):
        assert external not in html
    page = tmp_path / "report.html"
    page.write_text(html, encoding="utf-8")
    proc = _run(browser, tmp_path, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    root = parse(proc.stdout)
    assert root.find(lambda e: e.tag == "svg")
    check(root)
