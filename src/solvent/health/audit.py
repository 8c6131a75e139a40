"""Feature audit: which features a model could do without (Sculley §3.2).

1. Screen: permutation importance of the full model on each held-out fold. A feature whose
   importance interval lies above the region of practical equivalence (ROPE) is kept on that
   evidence alone, unless it is correlated with another.
2. Spearman clusters (complete linkage, every pair |rho| > 0.9) give correlated groups.
3. Every other feature is dropped alone, and every group as a whole, and the model is refit on
   the *same* repeated CV folds as the full model. The fold-wise score differences are compared
   with the Nadeau-Bengio corrected t-test (the folds' training sets overlap, so the plain
   variance is too small): a drop is practically equivalent when the 90% interval of the mean
   difference lies inside ±ROPE (two one-sided tests at 5%).

Verdicts: ``keep``; ``epsilon`` (its removal is equivalent); ``correlated`` (its group is
needed but it is redundant with the member kept: the first whose drop costs within ROPE of
the costliest); ``bundled`` (its whole group can go); ``legacy`` (epsilon now, and not in an
earlier audit).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from solvent.errors import DataError, UsageError

FORMAT_VERSION = 1
Progress = Callable[[str, int, int], None]  # phase, runs done, runs in the phase


@dataclass(frozen=True, slots=True)
class AuditOptions:
    n_splits: int = 10  # n_test/n_train = 1/9: the correction's floor on the variance is low
    n_repeats: int = 3
    rope: float = 0.01
    rho: float = 0.9
    scoring: str | None = None  # a scikit-learn scorer name; None: the estimator's score
    screen_repeats: int = 5
    seed: int = 0
    n_jobs: int = -1


@dataclass(frozen=True, slots=True)
class Comparison:
    """Full model minus the model without ``dropped``, on the same folds (positive: the
    dropped features helped)."""

    dropped: tuple[str, ...]
    mean: float
    low: float  # 90% interval of the mean, Nadeau-Bengio corrected
    high: float
    p_value: float  # corrected t-test of a zero difference
    equivalent: bool  # the interval lies inside ±ROPE


@dataclass(frozen=True, slots=True)
class Importance:
    mean: float
    low: float  # 95% interval over the folds
    high: float


@dataclass(frozen=True, slots=True)
class Verdict:
    feature: str
    verdict: str  # keep | epsilon | correlated | bundled | legacy
    evidence: str
    importance: Importance
    drop: Comparison | None = None
    group: tuple[str, ...] = ()
    group_drop: Comparison | None = None


@dataclass(frozen=True, slots=True)
class AuditReport:
    target: str
    rows: int
    scoring: str
    baseline: float  # mean score of the full model over the folds
    folds: int
    options: AuditOptions
    features: tuple[Verdict, ...]
    data: dict[str, str | None] = field(default_factory=dict)
    version: int = FORMAT_VERSION

    @property
    def flagged(self) -> list[Verdict]:
        return [v for v in self.features if v.verdict != "keep"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def audit(
    x: pd.DataFrame,
    y: pd.Series,
    estimator: Any,
    options: AuditOptions | None = None,
    previous: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> AuditReport:
    """Audit the columns of ``x`` for ``estimator`` predicting ``y``; ``previous`` is an earlier
    report's ``to_dict()`` (for legacy features)."""
    from joblib import Parallel, delayed
    from sklearn.base import is_classifier

    options = options or AuditOptions()
    _check(x, y, options)
    folds = _folds(x, y, is_classifier(estimator), options)
    columns = [str(c) for c in x.columns]
    x = x.set_axis(columns, axis=1)
    parallel = Parallel(n_jobs=options.n_jobs, return_as="generator")

    def run(phase: str, tasks: list[Any]) -> Iterator[Any]:
        for i, done in enumerate(parallel(tasks)):
            if progress is not None:
                progress(phase, i + 1, len(tasks))
            yield done

    groups = _clusters(x, options.rho)
    grouped = {c for g in groups for c in g}
    screen = [delayed(_screen)(estimator, x, y, tr, te, options) for tr, te in folds]
    try:
        base_scores, importances = zip(*run("permutation screen", screen), strict=True)
    except (ValueError, TypeError) as e:  # what scikit-learn raises on data it cannot take
        raise DataError(
            f"the model cannot be fitted on these columns: {str(e).splitlines()[0]}",
            "encode text columns and fill missing values, or pass a pipeline that does",
        ) from None
    importance = {c: _interval(np.array([imp[i] for imp in importances]))
                  for i, c in enumerate(columns)}  # fmt: skip
    base = np.array(base_scores)
    sure = {c for c, imp in importance.items() if imp.low > options.rope and c not in grouped}
    drops = [(c,) for c in columns if c not in sure] + [g for g in groups]
    tasks = [delayed(_drop_score)(estimator, x, y, tr, te, d, options.scoring)
             for d in drops for tr, te in folds]  # fmt: skip
    scores = np.array(list(run("drop runs", tasks))).reshape(len(drops), len(folds))
    ratio = len(folds[0][1]) / len(folds[0][0])
    compared = {
        d: _compare(d, base - s, ratio, options.rope) for d, s in zip(drops, scores, strict=True)
    }
    was = _earlier(previous)
    verdicts = tuple(
        _verdict(c, importance[c], compared, groups, options.rope, was.get(c)) for c in columns
    )
    return AuditReport(
        str(y.name), len(x), options.scoring or "the estimator's score", float(base.mean()),
        len(folds), options, verdicts,
    )  # fmt: skip


def _verdict(
    column: str,
    importance: Importance,
    compared: dict[tuple[str, ...], Comparison],
    groups: list[tuple[str, ...]],
    rope: float,
    earlier: str | None,
) -> Verdict:
    drop = compared.get((column,))
    group = next((g for g in groups if column in g), ())
    together = compared.get(group) if group else None
    if drop is None:
        why = (
            f"permutation importance {importance.mean:.4f} (95% {importance.low:.4f}.."
            f"{importance.high:.4f}) lies above the ROPE ±{rope:g}"
        )
        return Verdict(column, "keep", why, importance)
    if together is not None:
        names = ", ".join(group)
        if together.equivalent:
            why = f"dropping its whole group ({names}) is equivalent: {_said(together)}"
            return Verdict(column, "bundled", why, importance, drop, group, together)
        costs = [compared[(c,)].mean for c in group]
        kept = next(c for c, cost in zip(group, costs, strict=True) if cost >= max(costs) - rope)
        if column == kept:
            why = f"the member of {names} to keep: dropping the group is not equivalent: "
            return Verdict(column, "keep", why + _said(together), importance, drop, group, together)
        if drop.equivalent:
            why = (
                f"redundant with {kept} (Spearman-correlated group {names}); dropping it alone "
                f"is equivalent: {_said(drop)}; dropping the group is not: {_said(together)}"
            )
            return Verdict(column, "correlated", why, importance, drop, group, together)
    if not drop.equivalent:
        why = f"dropping it is not equivalent: {_said(drop)}"
        return Verdict(column, "keep", why, importance, drop, group, together)
    why = f"dropping it is equivalent: {_said(drop)}"
    if earlier is not None and earlier not in ("epsilon", "legacy", "bundled"):
        why += f"; it was '{earlier}' in the earlier audit"
        return Verdict(column, "legacy", why, importance, drop, group, together)
    return Verdict(column, "epsilon", why, importance, drop, group, together)


def _said(c: Comparison) -> str:
    return f"score change {-c.mean:+.4f} (90% {-c.high:+.4f}..{-c.low:+.4f}, p={c.p_value:.3g})"


def _compare(dropped: tuple[str, ...], diffs: np.ndarray, ratio: float, rope: float) -> Comparison:
    """Nadeau & Bengio (2003): var of the mean = (1/J + n_test/n_train) · s²."""
    j = len(diffs)
    mean = float(diffs.mean())
    se = math.sqrt((1 / j + ratio) * float(diffs.var(ddof=1)))
    if se == 0:
        low = high = mean
        p = 1.0 if mean == 0 else 0.0
    else:
        t = stats.t(j - 1)
        half = float(t.ppf(0.95)) * se
        low, high = mean - half, mean + half
        p = float(2 * t.sf(abs(mean) / se))
    return Comparison(dropped, mean, low, high, p, -rope < low and high < rope)


def _interval(values: np.ndarray) -> Importance:
    mean = float(values.mean())
    if len(values) < 2:
        return Importance(mean, mean, mean)
    half = (
        float(stats.t(len(values) - 1).ppf(0.975))
        * float(values.std(ddof=1))
        / math.sqrt(len(values))
    )
    return Importance(mean, mean - half, mean + half)


def _screen(
    estimator: Any, x: pd.DataFrame, y: pd.Series, train: np.ndarray, test: np.ndarray,
    options: AuditOptions,
) -> tuple[float, np.ndarray]:  # fmt: skip
    from sklearn.base import clone
    from sklearn.inspection import permutation_importance
    from sklearn.metrics import check_scoring

    model = clone(estimator).fit(x.iloc[train], y.iloc[train])
    scorer = check_scoring(model, scoring=options.scoring)
    found = permutation_importance(
        model, x.iloc[test], y.iloc[test], scoring=scorer,
        n_repeats=options.screen_repeats, random_state=options.seed, n_jobs=1,
    )  # fmt: skip
    return float(scorer(model, x.iloc[test], y.iloc[test])), found.importances_mean


def _drop_score(
    estimator: Any, x: pd.DataFrame, y: pd.Series, train: np.ndarray, test: np.ndarray,
    dropped: tuple[str, ...], scoring: str | None,
) -> float:  # fmt: skip
    from sklearn.base import clone
    from sklearn.metrics import check_scoring

    kept = x.drop(columns=list(dropped))
    model = clone(estimator).fit(kept.iloc[train], y.iloc[train])
    return float(check_scoring(model, scoring=scoring)(model, kept.iloc[test], y.iloc[test]))


def _folds(
    x: pd.DataFrame, y: pd.Series, classifier: bool, options: AuditOptions
) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import RepeatedKFold, RepeatedStratifiedKFold
    from sklearn.utils.multiclass import type_of_target

    if classifier and type_of_target(y) not in ("binary", "multiclass"):
        raise DataError(
            f"a classifier needs class labels; the target {y.name!r} is {type_of_target(y)}",
            "audit a regressor, or name a column of class labels",
        )
    kind = RepeatedStratifiedKFold if classifier else RepeatedKFold
    cv = kind(n_splits=options.n_splits, n_repeats=options.n_repeats, random_state=options.seed)
    try:
        return list(cv.split(x, y))
    except ValueError as e:
        raise DataError(f"cannot cut {options.n_splits} folds: {e}", "lower --folds") from None


def _clusters(x: pd.DataFrame, rho: float) -> list[tuple[str, ...]]:
    """Groups of two or more columns whose every pair has Spearman |rho| > ``rho``."""
    from scipy.cluster.hierarchy import fcluster, linkage
    from scipy.spatial.distance import squareform

    if x.shape[1] < 2:
        return []
    codes = x.apply(
        lambda c: c if pd.api.types.is_numeric_dtype(c) else c.astype("category").cat.codes
    )
    corr = np.nan_to_num(codes.corr(method="spearman").to_numpy(), nan=0.0)
    distance = np.clip(1 - np.abs(corr), 0, None)
    np.fill_diagonal(distance, 0)
    labels = fcluster(linkage(squareform(distance, checks=False), "complete"), 1 - rho, "distance")
    found: dict[int, list[str]] = {}
    for column, label in zip(x.columns, labels, strict=True):
        found.setdefault(int(label), []).append(str(column))
    return [tuple(g) for g in found.values() if len(g) > 1]


def _earlier(previous: dict[str, Any] | None) -> dict[str, str]:
    if previous is None:
        return {}
    try:
        return {str(f["feature"]): str(f["verdict"]) for f in previous["features"]}
    except (KeyError, TypeError):
        raise DataError(
            "the earlier audit is not an audit report",
            "name a file that 'solvent audit features' wrote",
        ) from None


def _check(x: pd.DataFrame, y: pd.Series, options: AuditOptions) -> None:
    if options.n_splits < 2 or options.n_repeats < 1 or options.screen_repeats < 1:
        raise UsageError(
            "--folds must be at least 2 and --repeats at least 1", "e.g. --folds 5 --repeats 2"
        )
    if not 0 < options.rho < 1 or options.rope <= 0:
        raise UsageError(
            "--rho must be in (0, 1) and --rope positive", "e.g. --rho 0.9 --rope 0.01"
        )
    if x.shape[1] == 0:
        raise DataError(
            "no feature columns to audit", "name a table with features beside the target"
        )
    if len(x) < 2 * options.n_splits:
        raise DataError(f"{len(x)} rows are too few for {options.n_splits} folds", "lower --folds")
    if y.isna().any():
        raise DataError(f"the target {y.name!r} has missing values", "drop the rows without one")
