"""The statistics under the feature audit: the band of practical equivalence, the corrected
comparison of two models on the same folds with its three outcomes, and exact duplicates.

A comparison has three outcomes, never two: ``worse`` (the 90% interval of the cost of
dropping lies entirely above the band: dropping costs more than the band), ``equivalent``
(the interval's upper end lies below the band: dropping costs less than the band, a one-sided
test at 5%, the upper half of TOST; a model that may be much better without the features is
no reason to keep them) or ``undecided`` (the interval straddles the band's upper edge: the
data cannot tell). A fourth, ``better``, is the mirror of ``worse``: the whole interval lies
below minus the band, the model is significantly better without.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from scipy import stats

Outcome = Literal["worse", "equivalent", "undecided", "better"]

# Scorers whose best value is known: the band is a share of the distance to it.
_BEST_ONE = (
    "accuracy", "balanced_accuracy", "top_k_accuracy", "roc_auc", "average_precision", "f1",
    "precision", "recall", "jaccard", "r2", "explained_variance", "matthews_corrcoef",
    "adjusted_rand_score", "rand_score", "homogeneity_score", "completeness_score",
    "v_measure_score", "mutual_info_score", "adjusted_mutual_info_score",
    "normalized_mutual_info_score", "fowlkes_mallows_score", "d2_absolute_error_score",
)  # fmt: skip
DEFAULT_SHARE = 0.05


def best_score(scoring: str | None) -> float | None:
    """The best value a scikit-learn scorer can take; None when it has none we know.

    The estimator's own score (``scoring=None``) is accuracy for a classifier and R² for a
    regressor: 1 at best. Losses are negated by scikit-learn (``neg_…``): 0 at best."""
    if scoring is None:
        return 1.0
    if scoring.startswith("neg_"):
        return 0.0
    if scoring.startswith(_BEST_ONE):
        return 1.0
    return None


@dataclass(frozen=True, slots=True)
class Band:
    """The region of practical equivalence, ±``width`` in score units, and how it was set."""

    width: float
    rule: str


def band(
    scoring: str | None, base: np.ndarray, rope: float | None, share: float = DEFAULT_SHARE
) -> Band:
    """``rope`` when given (absolute); else ``share`` of the baseline's distance from a perfect
    score: dropping a feature is negligible when it raises the model's error by less than a
    twentieth of what the error is. At AUC 0.995 that is ±0.00025, at R² 0.45 it is ±0.0275. For a
    scorer without a known best value, ``share`` of the fold-to-fold spread of its scores."""
    if rope is not None:
        return Band(rope, f"±{rope:g} (--rope)")
    mean = float(base.mean())
    best = best_score(scoring)
    if best is not None:
        width = share * abs(best - mean)
        if width > 0:
            rule = f"±{width:.4g}: {share:g} of the distance from {mean:.4g} to a perfect {best:g}"
            return Band(width, rule)
    spread = float(base.std(ddof=1)) if len(base) > 1 else 0.0
    width = max(share * spread, 1e-12)
    return Band(width, f"±{width:.4g}: {share:g} of the fold-to-fold spread {spread:.4g}")


@dataclass(frozen=True, slots=True)
class Comparison:
    """Full model minus the model without ``dropped``, on the same folds (positive: the
    dropped features helped)."""

    dropped: tuple[str, ...]
    mean: float
    low: float  # 90% interval of the mean, Nadeau-Bengio corrected
    high: float
    p_value: float  # corrected t-test of a zero difference
    outcome: Outcome
    needed: float  # the half-width an interval needs to be decided (0: it is decided)

    @property
    def equivalent(self) -> bool:
        return self.outcome == "equivalent"

    def said(self) -> str:
        return (
            f"score change {-self.mean:+.4f} (90% {-self.high:+.4f}..{-self.low:+.4f}, "
            f"p={self.p_value:.3g})"
        )


def compare(dropped: tuple[str, ...], diffs: np.ndarray, ratio: float, width: float) -> Comparison:
    """Nadeau & Bengio (2003): the variance of the mean of ``J`` fold differences is
    ``(1/J + n_test/n_train)·s²``; the folds' training sets overlap, so ``s²/J`` is too small.
    Removable when the cost's 90% interval ends below ``width`` (one-sided at 5%)."""
    j = len(diffs)
    mean = float(diffs.mean())
    se = math.sqrt((1 / j + ratio) * float(diffs.var(ddof=1))) if j > 1 else 0.0
    if se == 0:
        low = high = mean
        p = 1.0 if mean == 0 else 0.0
    else:
        t = stats.t(j - 1)
        half = float(t.ppf(0.95)) * se
        low, high = mean - half, mean + half
        p = float(2 * t.sf(abs(mean) / se))
    outcome: Outcome
    if low > width:
        outcome = "worse"
    elif high < -width:
        outcome = "better"
    elif high < width:
        outcome = "equivalent"
    else:
        outcome = "undecided"
    needed = 0.0 if outcome != "undecided" else max(width - mean, 0.0)
    return Comparison(dropped, mean, low, high, p, outcome, needed)


def how_to_decide(c: Comparison, scoring: str | None, repeats: int, folds: int) -> str:
    """What would turn an undecided comparison into a verdict."""
    half = (c.high - c.low) / 2
    tips = ["more rows"]
    if repeats * folds < 50:
        tips.append(f"more --repeats (now {repeats})")
    if scoring is None or scoring.startswith(("accuracy", "balanced_accuracy", "f1")):
        tips.append("a smoother --scoring (neg_log_loss, roc_auc)")
    if c.needed <= 0:
        return (
            f"dropping it costs {c.mean:.4f} on average, at or above the band: "
            f"{', '.join(tips)} would most likely show it is needed"
        )
    ask = f"the interval is ±{half:.4f} and needs to be within ±{c.needed:.4f}"
    return f"{ask}: {', '.join(tips)} would decide it"


def exact_duplicates(x: pd.DataFrame) -> dict[str, str]:
    """Each column whose values equal an earlier column's exactly, with that earlier column."""
    seen: dict[tuple[int, str], list[str]] = {}
    found: dict[str, str] = {}
    for column in x.columns:
        key = (int(pd.util.hash_pandas_object(x[column], index=False).sum()), str(x[column].dtype))
        earlier = seen.setdefault(key, [])
        first = next((e for e in earlier if x[column].equals(x[e])), None)
        if first is not None:
            found[str(column)] = first
        else:
            earlier.append(str(column))
    return found
