"""Feature audit: which features a model could do without (Sculley §3.2).

0. Exact duplicates (a column whose values equal an earlier one's) are flagged ``duplicate``
   and left out of what follows: the model is audited on the other columns.
1. Permutation importance of the full model on each held-out fold: evidence beside the
   verdicts, and the order in which the joint check puts features back. It decides nothing:
   a model may lean on each of several overlapping features that it could each do without.
2. Spearman clusters (complete linkage, every pair |rho| > 0.9) give correlated groups.
3. Every feature is dropped alone, and every group as a whole, and the model is refit on
   the *same* repeated CV folds as the full model. The fold-wise score differences are compared
   with the Nadeau-Bengio corrected t-test (the folds' training sets overlap, so the plain
   variance is too small). Each comparison has three outcomes (``audit_stats``): worse (keep:
   the whole 90% interval of the cost lies above the band), equivalent (can go: its upper end
   lies below the band) or undecided (it straddles the band's edge).
4. The joint check: every feature recommended for removal is dropped together and the model
   refit on the same folds. Verdicts hold one at a time; a set of small losses can add up. If
   the joint drop may cost more than the band, the costliest members are put back one by one until
   it is, and those become ``undecided``.

The band is relative by default: a twentieth of the baseline's distance from a perfect score
(``audit_stats.band``); ``rope`` sets an absolute one.

Verdicts: ``keep``; ``epsilon`` (its removal costs less than the band); ``correlated`` (its group is
needed but it is redundant with the member kept); ``bundled`` (its whole group can go);
``legacy`` (epsilon now, and not in an earlier audit); ``duplicate``; ``harmful`` (the model is
significantly better without it); ``undecided`` (with what would decide it).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from solvent.errors import DataError, UsageError
from solvent.health.audit_stats import (
    Comparison,
    band,
    compare,
    exact_duplicates,
    how_to_decide,
)

FORMAT_VERSION = 2
Progress = Callable[[str, int, int], None]  # phase, runs done, runs in the phase
REMOVABLE = frozenset({"epsilon", "correlated", "bundled", "legacy", "duplicate", "harmful"})


@dataclass(frozen=True, slots=True)
class AuditOptions:
    n_splits: int = 10  # n_test/n_train = 1/9: the correction's floor on the variance is low
    n_repeats: int = 3
    rope: float | None = None  # an absolute band; None: rope_share of the distance to perfect
    rho: float = 0.9
    scoring: str | None = None  # a scikit-learn scorer name; None: the estimator's score
    screen_repeats: int = 5
    seed: int = 0
    n_jobs: int = -1
    rope_share: float = 0.05


@dataclass(frozen=True, slots=True)
class Importance:
    mean: float
    low: float  # 95% interval over the folds
    high: float


@dataclass(frozen=True, slots=True)
class Verdict:
    feature: str
    verdict: str  # keep | epsilon | correlated | bundled | legacy | duplicate | harmful | undecided
    evidence: str
    importance: Importance
    drop: Comparison | None = None
    group: tuple[str, ...] = ()
    group_drop: Comparison | None = None
    decide: str = ""  # for undecided: what would decide it

    @property
    def removable(self) -> bool:
        return self.verdict in REMOVABLE


@dataclass(frozen=True, slots=True)
class JointCheck:
    """All features recommended for removal dropped together (duplicates aside)."""

    dropped: tuple[str, ...]
    comparison: Comparison
    first: Comparison  # the whole recommended set, before any was put back
    restored: tuple[str, ...] = ()  # put back, most important first, to make it equivalent


@dataclass(frozen=True, slots=True)
class AuditReport:
    target: str
    rows: int
    scoring: str
    baseline: float  # mean score of the full model (duplicates aside) over the folds
    folds: int
    options: AuditOptions
    features: tuple[Verdict, ...]
    data: dict[str, str | None] = field(default_factory=dict)
    version: int = FORMAT_VERSION
    band: float = 0.0
    band_rule: str = ""
    joint: JointCheck | None = None
    fits: int = 0
    warnings: dict[str, int] = field(default_factory=dict)  # category: fits that raised it

    @property
    def flagged(self) -> list[Verdict]:
        """The features recommended for removal."""
        return [v for v in self.features if v.removable]

    @property
    def undecided(self) -> list[Verdict]:
        return [v for v in self.features if v.verdict == "undecided"]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def warning_lines(self) -> list[str]:
        """One line per kind of warning the fits raised, with what to do about it."""
        return [
            f"{name} in {count} of {self.fits} fits: {_WARNING_HINTS.get(name, 'see its text')}"
            for name, count in sorted(self.warnings.items())
        ]


_WARNING_HINTS = {
    "ConvergenceWarning": "scale the features or raise max_iter",
    "UndefinedMetricWarning": "some folds lack a class: lower --folds or use another --scoring",
    "FitFailedWarning": "some fits failed: check the model on these columns",
}


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
    all_columns = [str(c) for c in x.columns]
    x = x.set_axis(all_columns, axis=1)
    duplicates = exact_duplicates(x)
    columns = [c for c in all_columns if c not in duplicates]
    x = x[columns]
    parallel = Parallel(n_jobs=options.n_jobs, return_as="generator")
    caught: dict[str, int] = {}
    fits = [0]

    def run(phase: str, tasks: list[Any]) -> Iterator[Any]:
        for i, (value, raised) in enumerate(parallel(tasks)):
            fits[0] += 1
            for name in raised:
                caught[name] = caught.get(name, 0) + 1
            if progress is not None:
                progress(phase, i + 1, len(tasks))
            yield value

    def drop_scores(phase: str, drops: list[tuple[str, ...]]) -> np.ndarray:
        tasks = [delayed(_quiet)(_drop_score, estimator, x, y, tr, te, d, options.scoring)
                 for d in drops for tr, te in folds]  # fmt: skip
        return np.array(list(run(phase, tasks))).reshape(len(drops), len(folds))

    groups = _clusters(x, options.rho)
    screen = [delayed(_quiet)(_screen, estimator, x, y, tr, te, options) for tr, te in folds]
    try:
        base_scores, importances = zip(*run("permutation screen", screen), strict=True)
    except (ValueError, TypeError) as e:  # what scikit-learn raises on data it cannot take
        raise DataError(
            f"the model cannot be fitted on these columns: {str(e).splitlines()[0]}",
            "encode text columns and fill missing values, or pass a pipeline that does",
        ) from None
    base = np.array(base_scores)
    the_band = band(options.scoring, base, options.rope, options.rope_share)
    ratio = len(folds[0][1]) / len(folds[0][0])
    importance = {c: _interval(np.array([imp[i] for imp in importances]))
                  for i, c in enumerate(columns)}  # fmt: skip
    # Every feature is dropped, the important ones too: permutation importance is no drop
    # cost when features overlap (five noisy views of one signal are each important to the
    # model, and each can go while the other four stay).
    drops = [(c,) for c in columns] + list(groups)
    scores = drop_scores("drop runs", drops)
    compared = {
        d: compare(d, base - s, ratio, the_band.width) for d, s in zip(drops, scores, strict=True)
    }
    was = _earlier(previous)
    judged = {
        c: _verdict(c, importance[c], compared, groups, the_band.width, was.get(c)) for c in columns
    }
    for c, v in judged.items():
        if v.verdict == "undecided" and not v.decide:
            test = v.group_drop if v.group_drop and v.group_drop.outcome == "undecided" else v.drop
            if test is not None:
                decide = how_to_decide(test, options.scoring, options.n_repeats, options.n_splits)
                judged[c] = replace(v, decide=decide)
    joint = _joint_check(judged, importance, base, ratio, the_band.width, drop_scores)
    if joint is not None:
        for c in joint.restored:
            v = judged[c]
            why = (
                f"removable alone ({v.evidence}), but not together with the other flagged "
                f"features: the joint check put it back"
            )
            judged[c] = replace(v, verdict="undecided", evidence=why,
                                decide="remove the others, then audit again")  # fmt: skip
    for dup, first in duplicates.items():
        judged[dup] = Verdict(
            dup, "duplicate", f"its values equal those of {first} exactly",
            Importance(0.0, 0.0, 0.0), group=(first, dup),
        )  # fmt: skip
    return AuditReport(
        str(y.name), len(x), options.scoring or "the estimator's score", float(base.mean()),
        len(folds), options, tuple(judged[c] for c in all_columns), band=the_band.width,
        band_rule=the_band.rule, joint=joint, fits=fits[0], warnings=caught,
    )  # fmt: skip


def _joint_check(
    judged: dict[str, Verdict],
    importance: dict[str, Importance],
    base: np.ndarray,
    ratio: float,
    width: float,
    drop_scores: Callable[[str, list[tuple[str, ...]]], np.ndarray],
) -> JointCheck | None:
    """Drop every recommended feature at once; while that is not equivalent (or better), put
    back the one whose own drop cost the most (its group's, for a bundled one; permutation
    importance breaks ties). The features put back are returned in ``restored``."""

    def cost(c: str) -> tuple[float, float]:
        v = judged[c]
        test = v.group_drop if v.verdict == "bundled" else v.drop
        return (test.mean if test is not None else 0.0, importance[c].mean)

    removal = sorted((c for c, v in judged.items() if v.removable), key=cost, reverse=True)
    if not removal:
        return None
    restored: list[str] = []
    first: Comparison | None = None
    while True:
        dropped = tuple(removal)
        result = compare(dropped, base - drop_scores("joint check", [dropped])[0], ratio, width)
        first = first or result
        if result.outcome in ("equivalent", "better"):
            return JointCheck(dropped, result, first, tuple(restored))
        restored.append(removal.pop(0))
        if not removal:  # not even the least important one can go with the others' verdicts
            return JointCheck((), result, first, tuple(restored))


def _verdict(
    column: str,
    importance: Importance,
    compared: dict[tuple[str, ...], Comparison],
    groups: list[tuple[str, ...]],
    width: float,
    earlier: str | None,
) -> Verdict:
    drop = compared.get((column,))
    group = next((g for g in groups if column in g), ())
    together = compared.get(group) if group else None
    if drop is None:
        why = (
            f"permutation importance {importance.mean:.4f} (95% {importance.low:.4f}.."
            f"{importance.high:.4f}) lies beyond the band ±{width:.4g}"
        )
        return Verdict(column, "keep", why, importance)
    if together is not None:
        names = ", ".join(group)
        if together.equivalent or together.outcome == "better":
            why = f"dropping its whole group ({names}) costs less than the band: {together.said()}"
            return Verdict(column, "bundled", why, importance, drop, group, together)
        if together.outcome == "worse":
            costs = [compared[(c,)].mean for c in group]
            kept = next(
                c for c, cost in zip(group, costs, strict=True) if cost >= max(costs) - width
            )
            if column == kept:
                why = f"the member of {names} to keep: dropping the group costs {together.said()}"
                return Verdict(column, "keep", why, importance, drop, group, together)
            if drop.equivalent:
                why = (
                    f"redundant with {kept} (Spearman-correlated group {names}); dropping it "
                    f"alone costs less than the band: {drop.said()}; dropping the group does not: "
                    f"{together.said()}"
                )
                return Verdict(column, "correlated", why, importance, drop, group, together)
        elif drop.outcome != "worse":
            why = f"dropping its group ({names}) is undecided: {together.said()}"
            return Verdict(column, "undecided", why, importance, drop, group, together)
    if drop.outcome == "worse":
        why = f"dropping it costs more than the band ±{width:.4g}: {drop.said()}"
        return Verdict(column, "keep", why, importance, drop, group, together)
    if drop.outcome == "better":
        why = f"the model is better without it: {drop.said()}"
        return Verdict(column, "harmful", why, importance, drop, group, together)
    if drop.outcome == "undecided":
        why = f"dropping it may cost more than the band {width:.4g}, or less: {drop.said()}"
        return Verdict(column, "undecided", why, importance, drop, group, together)
    why = f"dropping it costs less than the band {width:.4g}: {drop.said()}"
    if earlier is not None and earlier not in ("epsilon", "legacy", "bundled"):
        why += f"; it was '{earlier}' in the earlier audit"
        return Verdict(column, "legacy", why, importance, drop, group, together)
    return Verdict(column, "epsilon", why, importance, drop, group, together)


def _quiet(fn: Callable[..., Any], *args: Any) -> tuple[Any, list[str]]:
    """``fn(*args)`` with its warnings caught: the value, and the kinds of warning raised
    (once each), so the parent can count them instead of printing one block per fit."""
    with warnings.catch_warnings(record=True) as raised:
        warnings.simplefilter("always")
        value = fn(*args)
    return value, sorted({type(w.message).__name__ for w in raised} if raised else set())


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
    if kept.shape[1] == 0:  # every feature dropped: what a model knowing none would score
        from sklearn.base import is_classifier
        from sklearn.dummy import DummyClassifier, DummyRegressor

        dummy = DummyClassifier(strategy="prior") if is_classifier(estimator) else DummyRegressor()
        model = dummy.fit(kept.iloc[train], y.iloc[train])
        return float(check_scoring(model, scoring=scoring)(model, kept.iloc[test], y.iloc[test]))
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
    if not 0 < options.rho < 1 or (options.rope is not None and options.rope <= 0):
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
