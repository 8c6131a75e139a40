"""The drift tests, each a thin call into scipy on the two columns' values (nulls dropped).

Names, defaults and drift rules follow Evidently's: p-value tests drift when ``p < threshold``,
distances when ``distance >= threshold``. Jensen-Shannon and PSI compare shares per category,
or for a numeric column with more than 20 values in the reference, per bin (Sturges' rule over
both sides' range). PSI replaces an empty bin's share by 0.0001 (or a millionth of the smallest
share when that is smaller), as Evidently does, so a bin seen on one side only does not make it
infinite; Jensen-Shannon needs no such patch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats
from scipy.spatial.distance import jensenshannon as scipy_jensenshannon

EMPTY_SHARE = 0.0001
BINNED_ABOVE = 20  # distinct reference values above which a numeric column is binned


@dataclass(frozen=True, slots=True)
class TestResult:
    test: str
    statistic: float  # the p-value for p-value tests, the distance for the others
    threshold: float
    drifted: bool
    measure: str  # p_value: drift below the threshold; distance: drift at or above it


def ks(ref: np.ndarray, cur: np.ndarray, threshold: float, categorical: bool = False) -> TestResult:
    p = float(stats.ks_2samp(ref, cur).pvalue)
    return TestResult("ks", p, threshold, p < threshold, "p_value")


def chisquare(
    ref: np.ndarray, cur: np.ndarray, threshold: float, categorical: bool = False
) -> TestResult:
    """Pearson's chi-square test of independence on the 2-by-k table of category counts."""
    table = np.vstack(category_counts(ref, cur))
    if table.shape[1] < 2:
        return TestResult("chisquare", 1.0, threshold, False, "p_value")
    p = float(stats.chi2_contingency(table, correction=False).pvalue)
    return TestResult("chisquare", p, threshold, p < threshold, "p_value")


def z(ref: np.ndarray, cur: np.ndarray, threshold: float, categorical: bool = False) -> TestResult:
    """Two-proportion z-test (pooled variance, two-sided) for a column of at most two values."""
    a, b = category_counts(ref, cur)
    if len(a) < 2:
        return TestResult("z", 1.0, threshold, False, "p_value")
    if len(a) > 2:
        raise ValueError("the z-test takes a column with two values; use chisquare")
    n1, n2 = a.sum(), b.sum()
    p1, p2 = a[0] / n1, b[0] / n2
    pooled = (a[0] + b[0]) / (n1 + n2)
    score = (p1 - p2) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p = float(2 * stats.norm.sf(abs(score)))
    return TestResult("z", p, threshold, p < threshold, "p_value")


def wasserstein(
    ref: np.ndarray, cur: np.ndarray, threshold: float, categorical: bool = False
) -> TestResult:
    """Wasserstein distance in units of the reference's (population) standard deviation."""
    norm = max(float(np.std(ref)), 0.001)
    d = float(stats.wasserstein_distance(ref, cur)) / norm
    return TestResult("wasserstein", d, threshold, d >= threshold, "distance")


def jensenshannon(
    ref: np.ndarray, cur: np.ndarray, threshold: float, categorical: bool = False
) -> TestResult:
    a, b = _shares(ref, cur, categorical)
    d = float(scipy_jensenshannon(a, b))
    return TestResult("jensenshannon", d, threshold, d >= threshold, "distance")


def psi(
    ref: np.ndarray, cur: np.ndarray, threshold: float, categorical: bool = False
) -> TestResult:
    a, b = (_patch_empty(s) for s in _shares(ref, cur, categorical))
    value = float(np.sum((a - b) * np.log(a / b)))
    return TestResult("psi", value, threshold, value >= threshold, "distance")


Test = Callable[[np.ndarray, np.ndarray, float, bool], TestResult]
# name → (test, default threshold, takes categorical columns)
TESTS: dict[str, tuple[Test, float, bool]] = {
    "ks": (ks, 0.05, False),
    "chisquare": (chisquare, 0.05, True),
    "z": (z, 0.05, True),
    "wasserstein": (wasserstein, 0.1, False),
    "jensenshannon": (jensenshannon, 0.1, True),
    "psi": (psi, 0.1, True),
}


def category_counts(ref: np.ndarray, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Counts per category over the categories either side has, in sorted order. Small
    non-negative integer codes (as ``drift`` makes of text) are counted without sorting."""
    both = np.concatenate([ref, cur])
    if both.dtype.kind in "iu" and len(both) and both.min() >= 0 and both.max() < 1 << 20:
        k = int(both.max()) + 1
        a, b = np.bincount(ref, minlength=k), np.bincount(cur, minlength=k)
        seen = (a + b) > 0
        return a[seen], b[seen]
    categories, inverse = np.unique(both, return_inverse=True)
    k = len(categories)
    return (
        np.bincount(inverse[: len(ref)], minlength=k),
        np.bincount(inverse[len(ref) :], minlength=k),
    )


def _shares(ref: np.ndarray, cur: np.ndarray, categorical: bool) -> tuple[np.ndarray, np.ndarray]:
    """Shares per category, or per bin for a numeric column with many values."""
    if not categorical and _more_values_than(ref, BINNED_ABOVE):
        edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        a, b = np.histogram(ref, edges)[0], np.histogram(cur, edges)[0]
    else:
        a, b = category_counts(ref, cur)
    return a / len(ref), b / len(cur)


def _patch_empty(shares: np.ndarray) -> np.ndarray:
    smallest = shares[shares > 0].min()
    fill = smallest / 1e6 if smallest <= EMPTY_SHARE else EMPTY_SHARE
    return np.where(shares == 0, fill, shares)


def _more_values_than(values: np.ndarray, n: int) -> bool:
    """Whether ``values`` hold more than ``n`` distinct values (a prefix answers most)."""
    return len(np.unique(values[:4096])) > n or len(np.unique(values)) > n
