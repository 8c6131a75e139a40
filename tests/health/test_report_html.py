"""The HTML drift report: a chart per tested column that headless Chromium lays out with axes,
tick labels and a legend, bins a reader can trust (whole numbers binned whole, long tails by
quantiles), truncated category lists that say so, and nothing loaded from anywhere else.

CI installs Debian's ``chromium``; without a browser binary the browser test is skipped, saying
so. Set ``SOLVENT_SCREENS`` to a folder to keep the page's screenshot there.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from solvent.health.drift import drift
from solvent.health.report_html import render
from tests.viz.page_probe import assert_readable, look


def _tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    cities = [f"city{i:03d}" for i in range(200)]

    def table(n: int, shift: float, pair: list[str]) -> pd.DataFrame:
        return pd.DataFrame({
            "x": rng.normal(shift, 1, n),
            "age": rng.integers(0, 100, n),
            "income": rng.lognormal(10 + shift, 1.5, n),
            "city": rng.choice(cities, n),
            "<city>": rng.choice(pair, n),
        })  # fmt: skip

    ref, cur = table(2000, 0.0, ["a", "b"]), table(1500, 0.5, ["a", "c"])
    cur.loc[:20, "x"] = np.inf
    cur.loc[30:60, "x"] = np.nan
    cur["when"] = pd.Timestamp("2024-01-01")
    ref["when"] = pd.Timestamp("2023-01-01")
    return ref, cur


def test_browser_shows_a_readable_chart_per_column(tmp_path: Path) -> None:
    ref, cur = _tables()
    html = render(drift(ref, cur))
    seen = look(html, tmp_path, "drift")
    assert_readable(seen, 5)  # the datetime column is listed, not charted
    charts = {c["chart"]: c for c in seen.charts}
    assert set(charts) == {"x", "age", "income", "city", "<city>"}
    for name, c in charts.items():
        assert c["legend"] == ["reference", "current"], name
        assert c["section"]["column"] == name
        assert any(a["title"] == "share of rows" and "0%" in a["ticks"] for a in c["axes"])
    assert "top 20 of 200 categories" in charts["city"]["caption"]
    assert "all 3 categories" in charts["<city>"]["caption"]
    assert "equal share of the reference" in charts["income"]["caption"]
    age = next(a for a in charts["age"]["axes"] if a["title"] == "age")
    assert "0" in age["ticks"] and all(t.lstrip("\u2212-").isdigit() for t in age["ticks"])
    assert "infinite 0.0% → 1.4%" in html and "missing 0.0% → 2.1%" in html
    assert "Dataset drift detected" in html and "datetime columns are not tested" in html


def test_whole_numbers_get_bins_of_a_whole_count_of_values() -> None:
    """30 equal bins over 0..99 hold 3 or 4 values each: a uniform column looks saw-toothed."""
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"n": rng.integers(0, 100, 20_000)})
    cur = pd.DataFrame({"n": rng.integers(0, 100, 20_000)})
    (column,) = drift(ref, cur).columns
    plot = column.plot
    assert plot is not None and plot.bins == "integer" and plot.edges is not None
    edges = np.array(plot.edges)
    assert np.all(np.mod(edges, 1) == 0.5) and edges[0] == -0.5 and edges[-1] == 99.5
    assert len(set(np.diff(edges).tolist())) == 1  # every bin holds as many whole numbers
    shares = np.array(plot.reference)
    assert shares.max() / shares.min() < 1.25, shares  # flat, as the data is


def test_few_whole_numbers_get_one_bin_each() -> None:
    rng = np.random.default_rng(2)
    ref = pd.DataFrame({"k": rng.integers(0, 12, 3000)})
    (column,) = drift(ref, ref.sample(frac=1.0, random_state=0)).columns
    assert column.plot is not None and column.plot.edges is not None
    assert np.allclose(np.diff(column.plot.edges), 1.0) and len(column.plot.reference) == 12


def test_a_long_tail_gets_bins_of_equal_reference_share() -> None:
    """Equal widths put nearly all of a lognormal column into the first bar or two."""
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"v": rng.lognormal(0, 2, 5000)})
    cur = pd.DataFrame({"v": rng.lognormal(0.3, 2, 5000)})
    (column,) = drift(ref, cur).columns
    plot = column.plot
    assert plot is not None and plot.bins == "quantile"
    assert np.allclose(plot.reference, 1 / len(plot.reference), atol=0.002)
    assert max(plot.current) < 0.1


def test_a_bell_curve_keeps_equal_bins_and_the_statistics_are_the_same() -> None:
    from scipy import stats

    rng = np.random.default_rng(4)
    ref, cur = rng.normal(size=500), rng.normal(0.2, 1, 400)
    (column,) = drift(pd.DataFrame({"v": ref}), pd.DataFrame({"v": cur})).columns
    assert column.plot is not None and column.plot.bins == "equal"
    assert len(column.plot.reference) == 30
    assert column.statistic == stats.ks_2samp(ref, cur).pvalue


def test_categories_beyond_the_top_20_are_counted() -> None:
    rng = np.random.default_rng(5)
    names = [f"c{i}" for i in range(200)]
    ref = pd.DataFrame({"c": rng.choice(names, 4000)})
    cur = pd.DataFrame({"c": rng.choice(names[:150], 3000)})
    (column,) = drift(ref, cur).columns
    assert column.plot is not None and column.plot.categories == 200
    assert len(column.plot.labels or ()) == 20
