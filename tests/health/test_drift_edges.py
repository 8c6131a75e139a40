"""Drift on the columns real data has: infinities, a column retyped between versions, a test
that does not fit the column, and a row count that moved."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from solvent.errors import UsageError
from solvent.health.drift import DriftOptions, drift
from solvent.health.report_html import render
from tests.helpers import solvent
from tests.viz.htmltree import all_text, parse


def test_infinities_are_counted_like_missing_values_and_left_out_of_the_statistics() -> None:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=2000)})
    cur_values = rng.normal(size=2000)
    cur_values[:100] = np.inf
    cur_values[100:150] = -np.inf
    cur_values[150:170] = np.nan
    report = drift(ref, pd.DataFrame({"x": cur_values}))
    (x,) = report.columns
    assert x.skipped is None and x.statistic is not None
    assert x.infinite == (0.0, 150 / 2000) and x.missing == (0.0, 20 / 2000)
    # The statistic is that of the finite values alone.
    finite = drift(ref, pd.DataFrame({"x": cur_values[170:]})).columns[0]
    assert x.statistic == pytest.approx(finite.statistic, abs=1e-12)
    assert "inf" in all_text(parse(render(report)))  # rendered without an error


def test_a_column_of_infinities_only_is_skipped_with_the_reason() -> None:
    ref = pd.DataFrame({"x": [1.0, 2.0, 3.0] * 10})
    report = drift(ref, pd.DataFrame({"x": [np.inf] * 30}))
    assert report.columns[0].skipped == "no finite values in the current"
    assert report.columns[0].infinite == (0.0, 1.0)


def test_a_float_column_retyped_to_text_is_a_schema_change_compared_as_numbers() -> None:
    values = np.round(np.random.default_rng(1).normal(size=500), 0)
    ref = pd.DataFrame({"x": values})
    cur = pd.DataFrame({"x": [f"{v:g}" for v in values]})  # 1.0 printed as "1"
    report = drift(ref, cur)
    (x,) = report.columns
    assert [r.name for r in report.schema.retyped] == ["x"]
    assert x.retyped == "float64 → string" and x.skipped is None
    assert not x.drifted  # the same numbers: no drift (it was p=4e-43 when compared as text)


def test_a_retype_whose_values_do_not_convert_is_not_compared() -> None:
    ref = pd.DataFrame({"x": [1.0, 2.0, 3.0] * 20})
    cur = pd.DataFrame({"x": ["one", "two", "three"] * 20})
    (x,) = drift(ref, cur).columns
    assert x.skipped is not None and "not all numbers" in x.skipped
    assert not x.drifted


@pytest.mark.parametrize("test", ["chisquare", "z"])
def test_a_category_test_on_a_continuous_column_is_refused(test: str) -> None:
    rng = np.random.default_rng(2)
    ref, cur = pd.DataFrame({"x": rng.normal(size=300)}), pd.DataFrame({"x": rng.normal(size=300)})
    with pytest.raises(UsageError, match="category of its own"):
        drift(ref, cur, DriftOptions(tests={"x": test}))


def test_a_category_test_on_a_numeric_column_of_few_values_is_taken() -> None:
    ref = pd.DataFrame({"x": [1, 2, 3] * 100})
    report = drift(ref, ref.copy(), DriftOptions(tests={"x": "chisquare"}))
    assert report.columns[0].test == "chisquare" and not report.columns[0].drifted


def test_the_html_report_shows_missing_shares_and_highlights_a_row_count_change() -> None:
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"x": rng.normal(size=1000), "y": rng.normal(size=1000)})
    cur = ref.iloc[:760].copy()
    cur.loc[cur.index[:76], "y"] = np.nan
    tree = parse(render(drift(ref, cur)))
    text = all_text(tree)
    assert "-24.0%: the row count moved by more than 10%" in text
    assert "0.0% → 10.0%" in text  # y's missing share, reference → current


def test_cli_drift_on_infinities_and_a_retype_ends_cleanly(tmp_path: Path) -> None:
    values = np.random.default_rng(4).normal(size=300)
    pd.DataFrame({"x": values, "n": np.round(values)}).to_csv(tmp_path / "ref.csv", index=False)
    cur = pd.DataFrame({"x": np.where(values > 1, np.inf, values), "n": np.round(values)})
    cur["n"] = cur["n"].map(lambda v: f"{v:g}")
    cur.to_parquet(tmp_path / "cur.parquet")
    proc = solvent(tmp_path, "drift", "ref.csv", "cur.parquet", "--json")
    assert proc.returncode in (0, 3), proc.stderr
    doc = json.loads(proc.stdout)
    x = next(c for c in doc["columns"] if c["name"] == "x")
    assert x["infinite"][1] > 0
