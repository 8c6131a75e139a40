"""The threshold, threshold-check, monitoring and audit reports as headless Chromium lays them
out and paints them: every chart visible inside the window, with titled axes, tick labels and
a legend, the page not scrolling sideways, and nothing loaded from anywhere else.

CI installs Debian's ``chromium``; without a browser binary the tests are skipped, saying so.
Set ``SOLVENT_SCREENS`` to a folder to keep a screenshot of each page there.
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
from solvent.health.report_model_html import (
    render_audit,
    render_check,
    render_monitor,
    render_thresholds,
)
from solvent.health.thresholds import Objective, Thresholds, check, fit
from tests.health.test_monitor import batch, reference
from tests.viz.page_probe import Seen, assert_readable, look


def _scores() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.5, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x_train, y_train)
    scores = model.predict_proba(x_val)[:, 1]
    return scores[:140], y_val[:140], scores[140:], y_val[140:]


def _fitted() -> tuple[Thresholds, np.ndarray, np.ndarray]:
    fit_scores, fit_labels, new_scores, new_labels = _scores()
    found = fit(fit_scores, fit_labels, Objective.parse("f-beta:2"), [("p", "1")], "y")
    return found, new_scores, new_labels


def thresholds_page() -> str:
    return render_thresholds(_fitted()[0])


def check_page() -> str:
    found, scores, labels = _fitted()
    return render_check(found, check(found, scores.reshape(-1, 1), labels.astype(str)))


def monitor_page() -> str:
    options = MonitorOptions(time_column="time", slice="region")
    return render_monitor(monitor(reference(), batch(bias=0.15), options))


def audit_page() -> str:
    data = load_diabetes(as_frame=True)
    rng = np.random.default_rng(0)
    x = data.data[["bmi", "bp", "s5"]].assign(noise=rng.normal(size=len(data.target)))
    options = AuditOptions(n_splits=3, n_repeats=1, screen_repeats=2, n_jobs=1)
    return render_audit(audit(x, pd.Series(data.target, name="y"), Ridge(), options))


def _charts(seen: Seen) -> dict[str, dict[str, object]]:
    return {str(c["chart"]): c for c in seen.charts}


def _thresholds(seen: Seen) -> None:
    charts = _charts(seen)
    assert set(charts) == {"scores", "metric", "pr"}
    assert "threshold" in " ".join(charts["scores"]["legend"])  # type: ignore[arg-type]
    metric = " ".join(charts["metric"]["legend"])  # type: ignore[arg-type]
    assert "chosen cut" in metric and "95% interval" in metric and "f-beta:2" in metric
    pr = charts["pr"]
    assert {a["title"] for a in pr["axes"]} == {"recall", "precision"}  # type: ignore[attr-defined]
    assert "precision-recall curve" in pr["legend"]  # type: ignore[operator]


def _check(seen: Seen) -> None:
    charts = _charts(seen)
    assert set(charts) == {"rates", "metric"}
    assert "action limits" in charts["rates"]["legend"]  # type: ignore[operator]
    metric = " ".join(charts["metric"]["legend"])  # type: ignore[arg-type]
    assert "on this data" in metric and "chosen cut" in metric


def _monitor(seen: Seen) -> None:
    slices = {c["section"]["slice"] for c in seen.charts}  # type: ignore[index]
    assert slices == {"(all)", "north", "south"}
    for c in seen.charts:
        assert {"action limits", "training share", "outside the limits"} <= set(c["legend"])
        windows = [a for a in c["axes"] if a["title"] == "window start"]
        assert len(windows) == 2 and all(len(a["ticks"]) == 7 for a in windows)  # a panel each
        assert {a["title"] for a in c["axes"]} >= {"share of 0", "share of 1"}


def _audit(seen: Seen) -> None:
    charts = _charts(seen)
    assert set(charts) == {"importance", "drop"}
    for c in charts.values():
        legend = " ".join(c["legend"])  # type: ignore[arg-type]
        assert "band of equivalence" in legend and "zero" in legend and "keep" in legend
        x = next(a for a in c["axes"] if "score lost" in a["title"])  # type: ignore[attr-defined]
        assert "0.00" in x["ticks"] or "0" in x["ticks"]
        features = next(a for a in c["axes"] if not a["title"])  # type: ignore[attr-defined]
        assert set(features["ticks"]) == {"bmi", "bp", "s5", "noise"}


@pytest.mark.parametrize(
    ("make", "check_page_of", "charts"),
    [
        (thresholds_page, _thresholds, 3),
        (check_page, _check, 2),
        (monitor_page, _monitor, 3),
        (audit_page, _audit, 2),
    ],
    ids=["threshold", "check", "monitor", "audit"],
)
def test_report_charts_are_readable_in_a_browser(
    tmp_path: Path, make: Callable[[], str], check_page_of: Callable[[Seen], None], charts: int
) -> None:
    name = make.__name__.removesuffix("_page")
    seen = look(make(), tmp_path, name)
    assert_readable(seen, charts)
    check_page_of(seen)


def test_an_unlabelled_check_shows_the_rates_only(tmp_path: Path) -> None:
    found, scores, _ = _fitted()
    html = render_check(found, check(found, scores.reshape(-1, 1), None))
    seen = look(html, tmp_path, "check-unlabelled")
    assert_readable(seen, 1)
    assert "without labels" in html


def test_a_threshold_file_from_before_the_curves_still_renders(tmp_path: Path) -> None:
    doc = _fitted()[0].to_dict()
    for c in doc["classes"]:
        del c["curve"], c["hist_edges"]
    old = Thresholds.from_dict(doc)
    assert old.classes[0].curve is None
    seen = look(render_thresholds(old), tmp_path, "threshold-old")
    assert_readable(seen, 1)
    assert "fit it again" in render_thresholds(old)


def test_a_weak_models_scores_get_bars_over_their_range() -> None:
    """Scores all near 0.5 fell into two of twenty bins over [0, 1]."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 2000)
    scores = 0.46 + 0.08 * rng.random(2000) + 0.01 * labels
    (c,) = fit(scores, labels, Objective.parse("balanced-accuracy"), [("p", "1")], "y").classes
    assert c.hist_edges[0] >= 0.4 and c.hist_edges[-1] <= 0.6
    assert sum(share > 0 for share in c.hist_class) >= 10
    assert sum(share > 0 for share in c.hist_rest) >= 10
    assert abs(sum(c.hist_class) - 1) < 1e-9


def test_the_stored_curve_is_thin_and_counts_as_the_rows_do() -> None:
    import json

    rng = np.random.default_rng(1)
    labels = rng.integers(0, 2, 5000)
    scores = np.clip(rng.normal(0.4 + 0.2 * labels, 0.15), 0, 1)
    found = fit(scores, labels, Objective.parse("f-beta:1"), [("p", "1")], "y")
    (c,) = found.classes
    curve = c.curve
    assert curve is not None and 100 < len(curve.threshold) <= 300
    positive = labels == 1
    for i in (0, len(curve.threshold) // 2, len(curve.threshold) - 1):
        predicted = scores >= curve.threshold[i]
        tp = int((predicted & positive).sum())
        assert curve.precision[i] == tp / predicted.sum()
        assert curve.recall[i] == tp / positive.sum()
    assert max(curve.metric) == c.metric.value  # the chosen cut is the curve's best
    assert curve.prevalence == positive.mean()
    again = Thresholds.from_dict(json.loads(json.dumps(found.to_dict())))
    assert again == found
