"""Decision thresholds learned from held-out scores, instead of a hand-picked 0.5.

An objective is a function of the confusion counts at a threshold; every distinct score is a
candidate cut (predict positive when ``score >= threshold``), so the fit is exact on the data it
is given and O(n log n). The achieved metric comes with a bootstrap 95% interval at the fitted
threshold: rows fall in four cells (TP, FP, FN, TN), so resampling rows is a multinomial draw of
those counts. Multi-class scores get one-vs-rest thresholds per class; a row that clears no
class's threshold is "neutral" (neither side is strong enough).

The file also keeps those counts and the optimism of having chosen the cut on that data, so
that ``check`` holds a newer batch to what a batch of its size from the same population would
show (``solvent.health.alarms``): a check raises a false alarm at most ``FALSE_ALARMS`` of the
time on such data, Bonferroni over classes and tests.

The same objective scores scikit-learn's ``TunedThresholdClassifierCV`` (``Objective.scorer``),
and a binary threshold wraps an estimator as a ``FixedThresholdClassifier`` (``wrap``).
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from solvent.errors import DataError, MalformedFileError, UsageError
from solvent.health import alarms

if TYPE_CHECKING:
    from sklearn.base import BaseEstimator

FORMAT_VERSION = 2  # 2: confusion counts and optimism instead of per-chunk rate spread
BOOTSTRAP = 1000
OPTIMISM_BOOT = 200
OPTIMISM_CELLS = 20_000_000  # replicates x rows spent on the optimism at most
REFIT_BOOT = 100
LEVEL = 0.95
FALSE_ALARMS = 0.01  # per check on unshifted data, all classes and tests together
HIST_BINS = 20
CURVE_POINTS = 300  # thresholds kept of the fit data's metric and precision-recall curves
NEUTRAL = "neutral"
OBJECTIVES = "balanced-accuracy, f-beta:B, precision>=P, recall>=R or cost:FP,FN"
_SYNTAX = re.compile(
    r"^(?:(?P<ba>balanced-accuracy)|f-beta:(?P<beta>[0-9.]+)"
    r"|(?P<kind>precision|recall)>=(?P<floor>[0-9.]+)|cost:(?P<fp>[0-9.]+),(?P<fn>[0-9.]+))$"
)


@dataclass(frozen=True, slots=True)
class Objective:
    """What a threshold maximises; ``metric`` names the reported figure (cost is reported per
    row, lower is better; every other metric is higher is better)."""

    kind: str  # balanced-accuracy | f-beta | precision | recall | cost
    a: float = 0.0  # beta, the constraint's floor, or the cost of a false positive
    b: float = 0.0  # the cost of a false negative

    @classmethod
    def parse(cls, text: str) -> Objective:
        m = _SYNTAX.match(text.strip().replace(" ", ""))
        if m is None:
            raise UsageError(f"unknown objective {text!r}", f"use {OBJECTIVES}")
        if m["ba"]:
            return cls("balanced-accuracy")
        if m["beta"]:
            return cls("f-beta", _number(m["beta"], text, positive=True))
        if m["kind"]:
            floor = _number(m["floor"], text)
            if not 0 < floor <= 1:
                raise UsageError(f"objective {text!r}: the floor must be in (0, 1]", "e.g. 0.9")
            return cls(m["kind"], floor)
        return cls("cost", _number(m["fp"], text), _number(m["fn"], text))

    def __str__(self) -> str:
        if self.kind == "f-beta":
            return f"f-beta:{self.a:g}"
        if self.kind in ("precision", "recall"):
            return f"{self.kind}>={self.a:g}"
        if self.kind == "cost":
            return f"cost:{self.a:g},{self.b:g}"
        return self.kind

    @property
    def metric(self) -> str:
        """The reported figure: under a precision floor, recall is maximised, and vice versa."""
        return {"precision": "recall", "recall": "precision", "cost": "cost per row"}.get(
            self.kind, str(self)
        )

    @property
    def higher_is_better(self) -> bool:
        return self.kind != "cost"

    def values(self, tp: Any, fp: Any, fn: Any, tn: Any) -> Any:
        """The reported metric for arrays of counts (nan where undefined)."""
        tp, fp, fn, tn = (np.asarray(x, dtype=float) for x in (tp, fp, fn, tn))
        with np.errstate(divide="ignore", invalid="ignore"):
            recall = tp / (tp + fn)
            precision = tp / (tp + fp)
            if self.kind == "balanced-accuracy":
                return (recall + tn / (tn + fp)) / 2
            if self.kind == "f-beta":
                b2 = self.a**2
                return (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp)
            if self.kind == "precision":
                return recall
            if self.kind == "recall":
                return precision
            return (self.a * fp + self.b * fn) / (tp + fp + fn + tn)

    def gains(self, tp: Any, fp: Any, fn: Any, tn: Any) -> Any:
        """What the fit maximises: the metric (negated cost), -inf where a floor is not met."""
        value = np.nan_to_num(self.values(tp, fp, fn, tn), nan=0.0)
        tp, fp, fn = (np.asarray(x, dtype=float) for x in (tp, fp, fn))
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.kind == "precision":
                ok = np.nan_to_num(tp / (tp + fp)) >= self.a
                return np.where(ok, value, -np.inf)
            if self.kind == "recall":
                return np.where(np.nan_to_num(tp / (tp + fn)) >= self.a, value, -np.inf)
        return -value if self.kind == "cost" else value

    def scorer(self) -> Any:
        """A scikit-learn scorer of predicted labels (e.g. for ``TunedThresholdClassifierCV``)."""
        from sklearn.metrics import confusion_matrix, make_scorer

        def score(y_true: Any, y_pred: Any) -> float:
            tn, fp, fn, tp = confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
            return float(self.gains(tp, fp, fn, tn))

        return make_scorer(score)


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    value: float
    low: float  # bootstrap interval
    high: float
    higher_is_better: bool

    def left_interval(self, value: float) -> bool:
        """``value`` is worse than the interval's worse end."""
        return value < self.low if self.higher_is_better else value > self.high


@dataclass(frozen=True, slots=True)
class Curve:
    """The fit data's metric, precision and recall at up to ``CURVE_POINTS`` thresholds
    (spread evenly over the distinct scores; predict positive when ``score >= threshold``),
    for the reports' curves; and precision and recall at the chosen cut."""

    threshold: tuple[float, ...]
    metric: tuple[float, ...]
    precision: tuple[float, ...]
    recall: tuple[float, ...]
    prevalence: float
    cut_precision: float
    cut_recall: float

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Curve:
        def floats(key: str) -> tuple[float, ...]:
            return tuple(float(v) for v in doc[key])

        return cls(
            floats("threshold"), floats("metric"), floats("precision"), floats("recall"),
            float(doc["prevalence"]), float(doc["cut_precision"]), float(doc["cut_recall"]),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class ClassThreshold:
    """One class against the rest: cut, achieved metric, the confusion counts at the cut (tp,
    fp, fn, tn) and the optimism of having chosen the cut on that data, in the metric's better
    direction (what a newer batch is held to)."""

    label: str
    column: str
    threshold: float
    metric: Metric
    positive_rate: float
    counts: tuple[int, int, int, int]
    optimism: float
    # score shares in HIST_BINS equal bins over [0, 1], for rows of this class and the rest
    hist_class: tuple[float, ...] = ()
    hist_rest: tuple[float, ...] = ()
    # the bins' edges, over the fit data's scores (files before them: empty, for [0, 1])
    hist_edges: tuple[float, ...] = ()
    curve: Curve | None = None  # None in files written before the curves were kept

    def limits(self, rows: int, tail: float) -> tuple[float, float]:
        """Positive rates a batch of ``rows`` rows from the reference population falls below or
        above with probability ``tail`` or less each (beta-binomial predictive)."""
        tp, fp, fn, tn = self.counts
        low, high = alarms.rate_limits(tp + fp, tp + fp + fn + tn, rows, tail)
        return float(low), float(high)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """What ``solvent threshold fit`` writes: one entry for a binary model, one per class for a
    multi-class one (with the share of rows left neutral)."""

    objective: str
    label_column: str
    classes: tuple[ClassThreshold, ...]
    rows: int
    data: dict[str, str | None] = field(default_factory=dict)  # label, id
    neutral_share: float | None = None
    version: int = FORMAT_VERSION

    @property
    def binary(self) -> bool:
        return len(self.classes) == 1

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, doc: dict[str, Any]) -> Thresholds:
        if doc.get("version") == 1:
            raise MalformedFileError(
                "threshold file version 1 was written before calibrated alarms (version "
                f"{FORMAT_VERSION} keeps the counts and optimism a check needs)",
                "re-fit it on its data: solvent threshold fit DATA --scores ... --labels ...",
            )
        if doc.get("version") != FORMAT_VERSION:
            raise ValueError(f"threshold file version {doc.get('version')!r}")
        classes = tuple(
            ClassThreshold(**{
                **c, "metric": Metric(**c["metric"]), "counts": tuple(c["counts"]),
                "hist_class": tuple(c["hist_class"]), "hist_rest": tuple(c["hist_rest"]),
                "hist_edges": tuple(c.get("hist_edges", ())),
                "curve": Curve.from_dict(c["curve"]) if c.get("curve") else None,
            })
            for c in doc["classes"]
        )  # fmt: skip
        return cls(**{**doc, "classes": classes})

    def predict(self, scores: np.ndarray) -> np.ndarray:
        """Labels for a (rows, classes) score matrix, with ``neutral`` where no class clears
        its threshold (multi-class); a binary model predicts its positive class or ``rest``."""
        cuts = np.array([c.threshold for c in self.classes])
        margin = scores - cuts
        labels = np.array([c.label for c in self.classes] + [NEUTRAL], dtype=object)
        if self.binary:
            return np.where(margin[:, 0] >= 0, labels[0], "rest")
        best = np.argmax(np.where(margin >= 0, margin, -np.inf), axis=1)
        return np.asarray(np.where((margin >= 0).any(axis=1), labels[best], NEUTRAL))

    def wrap(self, estimator: BaseEstimator) -> Any:
        """A fitted binary estimator deciding at the learned cut (``FixedThresholdClassifier``)."""
        from sklearn.model_selection import FixedThresholdClassifier

        if not self.binary:
            raise UsageError(
                "FixedThresholdClassifier takes one threshold; this model has one per class",
                "use Thresholds.predict on the per-class scores",
            )
        label: Any = self.classes[0].label
        known = getattr(estimator, "classes_", None)
        if known is not None:
            label = next((k for k in known if str(k) == label), label)
        return FixedThresholdClassifier(
            estimator, threshold=self.classes[0].threshold, pos_label=label,
            response_method="predict_proba",
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Cut:
    threshold: float
    gain: float
    counts: tuple[int, int, int, int]  # tp, fp, fn, tn


def best_cut(scores: np.ndarray, positive: np.ndarray, objective: Objective) -> Cut:
    """The cut maximising ``objective`` over every distinct score (and 'nothing positive');
    the returned cut sits halfway to the next lower score, so it holds on unseen values."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]  # end of each distinct value
    tp = np.r_[0, np.cumsum(y)[last]]
    fp = np.r_[0, (last + 1) - tp[1:]]
    n_pos, n = int(y.sum()), len(y)
    fn, tn = n_pos - tp, (n - n_pos) - fp
    gains = objective.gains(tp, fp, fn, tn)
    i = int(np.argmax(gains))  # ties: the highest cut
    if not np.isfinite(gains[i]):
        raise DataError(
            f"no threshold reaches {objective}",
            "lower the floor, or fit on data where the model does better",
        )
    distinct = s[last]
    if i == 0:  # nothing positive
        cut = float(distinct[0]) + 1e-9
    elif i < len(distinct):
        cut = float(distinct[i - 1] + distinct[i]) / 2
    else:  # everything positive
        cut = float(distinct[-1])
    return Cut(cut, float(gains[i]), (int(tp[i]), int(fp[i]), int(fn[i]), int(tn[i])))


def interval(
    objective: Objective, counts: tuple[int, int, int, int], n_boot: int, seed: int
) -> tuple[float, float]:
    """The percentile bootstrap interval of the metric at a fixed cut."""
    n = sum(counts)
    draws = np.random.default_rng(seed).multinomial(n, np.array(counts) / n, size=n_boot)
    values = objective.values(*draws.T)
    values = values[np.isfinite(values)]
    if not len(values):
        return math.nan, math.nan
    lo, hi = np.quantile(values, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    return float(lo), float(hi)


def fit(
    scores: np.ndarray,
    labels: np.ndarray,
    objective: Objective,
    classes: list[tuple[str, str]],
    label_column: str,
    n_boot: int = BOOTSTRAP,
    seed: int = 0,
) -> Thresholds:
    """Thresholds for a (rows, k) score matrix; ``classes`` pairs each score column with its
    class. One column is a binary model scoring ``classes[0]``; several are one-vs-rest."""
    scores, labels = _checked(scores, labels, classes)
    # the optimism shrinks as 1/rows: on a million rows 20 refits estimate it well enough
    optimism_boot = max(20, min(OPTIMISM_BOOT, OPTIMISM_CELLS // len(labels)))
    fitted = []
    for j, (column, label) in enumerate(classes):
        positive = labels == label
        cut = best_cut(scores[:, j], positive, objective)
        low, high = interval(objective, cut.counts, n_boot, seed + j)
        value = float(objective.values(*cut.counts))
        rate = (cut.counts[0] + cut.counts[1]) / len(labels)
        gap = alarms.optimism(scores[:, j], positive, objective, optimism_boot, seed + j)
        metric = Metric(objective.metric, value, low, high, objective.higher_is_better)
        edges = _edges(scores[:, j])
        hists = (_hist(scores[positive, j], edges), _hist(scores[~positive, j], edges))
        fitted.append(
            ClassThreshold(
                label, column, cut.threshold, metric, rate, cut.counts, gap, *hists,
                hist_edges=tuple(edges.tolist()),
                curve=_curve(scores[:, j], positive, objective, cut),
            )
        )  # fmt: skip
    result = Thresholds(str(objective), label_column, tuple(fitted), len(labels))
    if result.binary:
        return result
    return replace(result, neutral_share=float(np.mean(result.predict(scores) == NEUTRAL)))


def _edges(scores: np.ndarray) -> np.ndarray:
    """``HIST_BINS`` equal bins over the scores' range, rounded out to tenths (hundredths for
    a narrow range): a weak model's scores (all near 0.5) get bars, not two."""
    unit = 10 if float(np.ptp(scores)) >= 0.3 else 100
    low, high = math.floor(scores.min() * unit) / unit, math.ceil(scores.max() * unit) / unit
    return np.linspace(low, max(high, low + 1 / unit), HIST_BINS + 1)


def _hist(values: np.ndarray, edges: np.ndarray) -> tuple[float, ...]:
    counts, _ = np.histogram(values, bins=edges)
    return tuple(float(c) for c in counts / max(len(values), 1))


def _curve(scores: np.ndarray, positive: np.ndarray, objective: Objective, cut: Cut) -> Curve:
    """The metric, precision and recall at up to ``CURVE_POINTS`` of the distinct scores."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], positive[order]
    last = np.r_[np.flatnonzero(np.diff(s) != 0), len(s) - 1]
    ctp, cfp, _, _ = cut.counts
    chosen = np.searchsorted(last + 1, ctp + cfp)  # the cut's point: always kept
    spread = np.linspace(0, len(last) - 1, min(CURVE_POINTS - 1, len(last))).round()
    keep = np.unique(np.r_[spread, chosen if ctp + cfp else []].astype(np.int64))
    at = last[keep]
    tp = np.cumsum(y)[at].astype(float)
    fp = (at + 1) - tp
    n_pos, n = float(y.sum()), len(y)
    fn, tn = n_pos - tp, (n - n_pos) - fp
    metric = objective.values(tp, fp, fn, tn)
    precision, recall = tp / (tp + fp), tp / max(n_pos, 1.0)
    ok = np.isfinite(metric) & np.isfinite(precision)
    return Curve(
        tuple(s[at][ok].tolist()), tuple(metric[ok].tolist()), tuple(precision[ok].tolist()),
        tuple(recall[ok].tolist()), n_pos / n,
        ctp / (ctp + cfp) if ctp + cfp else math.nan, ctp / max(n_pos, 1.0),
    )  # fmt: skip


def _checked(
    scores: np.ndarray,
    labels: np.ndarray | None,
    classes: list[tuple[str, str]],
    fitting: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    if not len(scores):
        raise DataError("no rows to fit a threshold on", "name a file that holds data")
    scores = np.asarray(scores, dtype=float).reshape(len(scores), -1)
    if not np.isfinite(scores).all():
        raise DataError("the scores hold missing or infinite values", "drop or fix those rows")
    if scores.min() < 0 or scores.max() > 1:
        raise DataError(
            f"scores must be probabilities in [0, 1]; found {scores.min():.4g}..{scores.max():.4g}",
            "pass predict_proba outputs (or rescale decision scores)",
        )
    if labels is None:
        return scores, np.empty(0, dtype=object)
    if any(v is None or v != v for v in labels):  # None or NaN
        raise DataError("some labels are missing", "drop the rows without a label")
    labels = np.asarray([str(v) for v in labels], dtype=object)
    known = {label for _, label in classes}
    seen = set(labels.tolist())
    if not fitting:  # newer data may hold one class only
        return scores, labels
    if len(classes) == 1 and len(seen) != 2:
        raise DataError(
            f"a binary threshold needs two label values; found {len(seen)}: "
            f"{', '.join(sorted(seen)[:5])}",
            "name the label column of a binary task, or one score column per class",
        )
    if len(classes) == 1 and classes[0][1] not in seen:
        raise DataError(
            f"positive class {classes[0][1]!r} is not among the labels {sorted(seen)[:5]}",
            "name it with --positive",
        )
    if len(classes) > 1 and not seen <= known:
        raise DataError(
            f"labels {sorted(seen - known)[:5]} have no score column",
            "give a score column per class: --scores COL=CLASS,...",
        )
    return scores, labels


def _number(text: str, objective: str, positive: bool = False) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UsageError(f"objective {objective!r}: {text!r} is not a number", OBJECTIVES) from None
    if value < 0 or (positive and value == 0):
        raise UsageError(f"objective {objective!r}: {text} must be positive", OBJECTIVES)
    return value


@dataclass(frozen=True, slots=True)
class ClassCheck:
    """One class's threshold on newer data: its positive rate against the action limits, and
    with labels the metric at the stored cut against the range a batch of this size from the
    reference population shows (``interval``; alarmed on its worse end only), and whether a
    re-fit on this data pays once the choosing is paid for (out-of-bag)."""

    label: str
    threshold: float
    positive_rate: float
    limits: tuple[float, float]
    rate_alert: bool
    metric: float | None = None
    interval: tuple[float, float] | None = None
    left_interval: bool = False
    refit_threshold: float | None = None
    refit_metric: float | None = None
    refit_gain: float | None = None  # mean out-of-bag gain, in the metric's better direction
    refit_wins: float | None = None  # share of bootstrap replicates the re-fit won out-of-bag
    refit_advised: bool = False

    @property
    def alert(self) -> bool:
        return self.rate_alert or self.left_interval or self.refit_advised


@dataclass(frozen=True, slots=True)
class CheckReport:
    objective: str
    metric: str
    rows: int
    labelled: bool
    classes: tuple[ClassCheck, ...]
    data: dict[str, str | None] = field(default_factory=dict)
    false_alarms: float = FALSE_ALARMS  # the stated rate: per check, all classes and tests
    tail: float = FALSE_ALARMS  # what each test (each side of the rate) is held to

    @property
    def alert(self) -> bool:
        return any(c.alert for c in self.classes)


def check(
    stored: Thresholds,
    scores: np.ndarray,
    labels: np.ndarray | None,
    false_alarms: float = FALSE_ALARMS,
    seed: int = 0,
) -> CheckReport:
    """``stored`` on newer scores (rows, classes in the stored order), with or without labels.
    On a batch from the reference population an alert comes up ``false_alarms`` of the time
    or less: each class has the rate test (two-sided) and, with labels, the metric and the
    re-fit test (one-sided), Bonferroni over all of them."""
    if not 0 < false_alarms < 1:
        raise UsageError(
            f"--false-alarms {false_alarms:g} is not a share in (0, 1)", "e.g. --false-alarms 0.01"
        )
    objective = Objective.parse(stored.objective)
    pairs = [(c.column, c.label) for c in stored.classes]
    scores, known = _checked(scores, labels, pairs, fitting=False)
    tail = false_alarms / (len(stored.classes) * (3 if labels is not None else 1))
    found = []
    for j, c in enumerate(stored.classes):
        predicted = scores[:, j] >= c.threshold
        rate, limits = float(predicted.mean()), c.limits(len(predicted), tail / 2)
        one = ClassCheck(c.label, c.threshold, rate, limits, not limits[0] <= rate <= limits[1])
        if labels is not None:
            one = _labelled(one, c, objective, scores[:, j], known == c.label, tail, seed + j)
        found.append(one)
    return CheckReport(
        stored.objective, objective.metric, len(scores), labels is not None, tuple(found),
        false_alarms=false_alarms, tail=tail,
    )  # fmt: skip


def _labelled(
    one: ClassCheck,
    c: ClassThreshold,
    objective: Objective,
    scores: np.ndarray,
    positive: np.ndarray,
    tail: float,
    seed: int,
) -> ClassCheck:
    value = float(objective.values(*_counts(scores >= c.threshold, positive)))
    draws = alarms.metric_draws(objective, c.counts, c.optimism, len(scores), seed)
    bounds = alarms.metric_bounds(objective, draws, tail)
    worse = False
    if bounds is not None and math.isfinite(value):
        worse = value < bounds[0] if objective.higher_is_better else value > bounds[1]
    try:
        refit: Cut | None = best_cut(scores, positive, objective)
    except DataError:  # no cut reaches the objective's floor on this batch
        refit = None
    test = alarms.refit_test(scores, positive, objective, c.threshold, REFIT_BOOT, tail, seed)
    return replace(
        one,
        metric=value,
        interval=bounds,
        left_interval=bool(worse),
        refit_threshold=None if refit is None else refit.threshold,
        refit_metric=None if refit is None else float(objective.values(*refit.counts)),
        refit_gain=test.gain,
        refit_wins=test.wins,
        refit_advised=test.advised,
    )


def _counts(predicted: np.ndarray, positive: np.ndarray) -> tuple[int, int, int, int]:
    tp = int((predicted & positive).sum())
    fp = int((predicted & ~positive).sum())
    fn = int((~predicted & positive).sum())
    return tp, fp, fn, len(predicted) - tp - fp - fn
