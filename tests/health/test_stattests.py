"""Every drift statistic equals scipy's on the same values, within 1e-9, and the default test
choice follows Evidently's rules."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from solvent.health import stattests
from solvent.health.drift import DriftOptions, drift

TOL = 1e-9
floats = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=300)
categories = st.lists(st.sampled_from("abcdefg"), min_size=2, max_size=300)


def shares(a: pd.Series, b: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    keys = sorted(set(a) | set(b))
    sa = a.value_counts(normalize=True).reindex(keys, fill_value=0).to_numpy()
    sb = b.value_counts(normalize=True).reindex(keys, fill_value=0).to_numpy()
    return sa, sb


def patched(s: np.ndarray) -> np.ndarray:
    """Evidently's PSI: an empty share becomes 0.0001, or a millionth of the smallest share."""
    low = s[s > 0].min()
    return np.where(s == 0, low / 1e6 if low <= 0.0001 else 0.0001, s)


@pytest.mark.filterwarnings("ignore:ks_2samp:RuntimeWarning")  # scipy's fallback, on both sides
@settings(max_examples=40, deadline=None)
@given(floats, floats)
def test_ks_and_wasserstein_equal_scipy(a: list[float], b: list[float]) -> None:
    ra, rb = np.array(a), np.array(b)
    assert stattests.ks(ra, rb, 0.05).statistic == pytest.approx(
        stats.ks_2samp(ra, rb).pvalue, abs=TOL
    )
    expected = stats.wasserstein_distance(ra, rb) / max(np.std(ra), 0.001)
    assert stattests.wasserstein(ra, rb, 0.1).statistic == pytest.approx(expected, abs=TOL)


@settings(max_examples=40, deadline=None)
@given(categories, categories)
def test_categorical_tests_equal_scipy(a: list[str], b: list[str]) -> None:
    sa, sb = pd.Series(a), pd.Series(b)
    codes = {k: i for i, k in enumerate(sorted(set(a) | set(b)))}
    ca, cb = np.array([codes[x] for x in a]), np.array([codes[x] for x in b])
    table = pd.crosstab(np.r_[np.zeros(len(a)), np.ones(len(b))], np.r_[ca, cb]).to_numpy()
    chi = stattests.chisquare(ca, cb, 0.05, True).statistic
    if table.shape[1] > 1:
        assert chi == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue, abs=TOL)
    pa_, pb_ = shares(sa, sb)
    js = stattests.jensenshannon(ca, cb, 0.1, True).statistic
    assert js == pytest.approx(jensenshannon(pa_, pb_), abs=TOL)
    psi = stattests.psi(ca, cb, 0.1, True).statistic
    qa, qb = patched(pa_), patched(pb_)
    assert psi == pytest.approx(float(np.sum((qa - qb) * np.log(qa / qb))), abs=TOL)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.booleans(), min_size=2, max_size=200), st.lists(st.booleans(), min_size=2))
def test_z_test_equals_chi_square_on_the_two_by_two_table(a: list[bool], b: list[bool]) -> None:
    """For two proportions, z² is Pearson's chi-square without continuity correction."""
    ra, rb = np.array(a, dtype=int), np.array(b, dtype=int)
    got = stattests.z(ra, rb, 0.05, True).statistic
    table = np.array([[ra.sum(), len(ra) - ra.sum()], [rb.sum(), len(rb) - rb.sum()]])
    if (table.sum(axis=0) == 0).any():
        assert got == 1.0
    else:
        assert got == pytest.approx(stats.chi2_contingency(table, correction=False).pvalue, abs=TOL)


def test_numeric_jensenshannon_and_psi_bin_both_sides_alike() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=3000), rng.normal(0.3, 1, 2500)
    edges = np.histogram_bin_edges(np.r_[a, b], bins="sturges")
    pa_, pb_ = np.histogram(a, edges)[0] / len(a), np.histogram(b, edges)[0] / len(b)
    assert stattests.jensenshannon(a, b, 0.1).statistic == pytest.approx(
        jensenshannon(pa_, pb_), abs=TOL
    )
    qa, qb = patched(pa_), patched(pb_)
    assert stattests.psi(a, b, 0.1).statistic == pytest.approx(
        float(np.sum((qa - qb) * np.log(qa / qb))), abs=TOL
    )


def frames(n_ref: int, n_cur: int, shift: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(7)

    def one(n: int, s: float) -> pd.DataFrame:
        cats = [0.4, 0.3, 0.2 - s / 10, 0.1 + s / 10]
        return pd.DataFrame(
            {
                "num": rng.normal(s, 1, n),
                "cat": rng.choice(["a", "b", "c", "d"], n, p=cats),
                "flag": rng.random(n) < 0.3 + s / 5,
                "few": rng.integers(0, 4, n),
            }
        )

    return one(n_ref, 0.0), one(n_cur, shift)


def test_small_reference_uses_ks_chisquare_and_z_with_scipy_values() -> None:
    ref, cur = frames(800, 900, 0.5)
    report = drift(ref, cur)
    by = {c.name: c for c in report.columns}
    assert {n: c.test for n, c in by.items()} == {
        "num": "ks", "cat": "chisquare", "flag": "z", "few": "chisquare",
    }  # fmt: skip
    assert by["num"].statistic == pytest.approx(
        stats.ks_2samp(ref["num"], cur["num"]).pvalue, abs=TOL
    )
    table = pd.crosstab(
        np.r_[np.zeros(len(ref)), np.ones(len(cur))], np.r_[ref["cat"], cur["cat"]]
    ).to_numpy()
    assert by["cat"].statistic == pytest.approx(stats.chi2_contingency(table).pvalue, abs=TOL)
    assert by["num"].drifted and by["num"].measure == "p_value"


def test_large_reference_uses_normed_wasserstein_and_jensenshannon() -> None:
    ref, cur = frames(5000, 4000, 0.5)
    report = drift(ref, cur)
    by = {c.name: c for c in report.columns}
    assert {n: c.test for n, c in by.items()} == {
        "num": "wasserstein", "cat": "jensenshannon", "flag": "jensenshannon",
        "few": "jensenshannon",
    }  # fmt: skip
    expected = stats.wasserstein_distance(ref["num"], cur["num"]) / np.std(ref["num"])
    assert by["num"].statistic == pytest.approx(expected, abs=TOL)
    pa_, pb_ = shares(ref["cat"], cur["cat"])
    assert by["cat"].statistic == pytest.approx(jensenshannon(pa_, pb_), abs=TOL)
    assert by["num"].drifted and by["num"].statistic >= 0.1
    assert report.drifted == 1 and report.drift_share == 0.25 and not report.dataset_drift


def test_overrides_and_no_drift_on_the_same_data() -> None:
    ref, _ = frames(3000, 10, 0.0)
    few = drift(ref, ref.copy(), DriftOptions(tests={"few": "ks"})).columns[3]
    assert (few.name, few.kind, few.test) == ("few", "numeric", "ks")
    report = drift(ref, ref.copy(), DriftOptions(tests={"num": "ks"}, thresholds={"cat": 0.5}))
    by = {c.name: c for c in report.columns}
    assert by["num"].test == "ks" and by["num"].statistic == pytest.approx(1.0)
    assert by["cat"].threshold == 0.5
    assert not report.dataset_drift and report.drifted == 0
    assert not report.schema.changed and not report.row_alert
