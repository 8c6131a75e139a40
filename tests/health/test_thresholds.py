"""Learned thresholds: the objectives, their agreement with scikit-learn on the same held-out
folds, the bootstrap interval, per-class thresholds with a neutral band, and the estimator
wrapper."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score, precision_score, recall_score
from sklearn.model_selection import StratifiedKFold, TunedThresholdClassifierCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from solvent.errors import DataError, UsageError
from solvent.health.thresholds import NEUTRAL, Objective, Thresholds, best_cut, check, fit


def _model() -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=500))


@pytest.fixture(scope="module")
def held_out() -> tuple[Any, np.ndarray, np.ndarray, np.ndarray]:
    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.5, random_state=0)
    model = _model().fit(x_train, y_train)
    return model, x_val, y_val, model.predict_proba(x_val)[:, 1]


def test_balanced_accuracy_cut_agrees_with_tuned_threshold_classifier(
    held_out: tuple[Any, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    model, x_val, y_val, scores = held_out
    ours = best_cut(scores, y_val == 1, Objective.parse("balanced-accuracy"))
    tuned = TunedThresholdClassifierCV(
        model, cv="prefit", refit=False, thresholds=np.unique(scores), scoring="balanced_accuracy"
    ).fit(x_val, y_val)
    theirs = balanced_accuracy_score(y_val, scores >= tuned.best_threshold_)
    assert ours.gain == pytest.approx(tuned.best_score_) == pytest.approx(theirs)
    assert balanced_accuracy_score(y_val, scores >= ours.threshold) == pytest.approx(theirs)


def test_our_objective_tunes_scikit_learn_as_its_own_scorer_does(
    held_out: tuple[Any, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    model, x_val, y_val, scores = held_out
    grid = np.unique(scores)

    def tuned(scoring: Any) -> Any:
        return TunedThresholdClassifierCV(
            model, cv="prefit", refit=False, thresholds=grid, scoring=scoring
        ).fit(x_val, y_val)

    ours = tuned(Objective.parse("balanced-accuracy").scorer())
    theirs = tuned("balanced_accuracy")
    assert ours.best_threshold_ == theirs.best_threshold_
    assert ours.best_score_ == pytest.approx(theirs.best_score_)
    floor = tuned(Objective.parse("recall>=0.99").scorer())
    assert recall_score(y_val, scores >= floor.best_threshold_) >= 0.99


def test_agreement_on_the_same_cv_folds() -> None:
    """Fold by fold, our cut on the fold's held-out scores scores as well as scikit-learn's
    (which averages the folds' curves on a grid) on each fold, within 0.01."""
    x, y = load_breast_cancer(return_X_y=True)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(x, y))
    objective = Objective.parse("balanced-accuracy")
    tuned = TunedThresholdClassifierCV(_model(), cv=folds, scoring="balanced_accuracy").fit(x, y)
    ours_all, theirs_all = [], []
    for train, val in folds:
        scores = _model().fit(x[train], y[train]).predict_proba(x[val])[:, 1]
        cut = best_cut(scores, y[val] == 1, objective)
        ours_all.append(balanced_accuracy_score(y[val], scores >= cut.threshold))
        theirs_all.append(balanced_accuracy_score(y[val], scores >= tuned.best_threshold_))
    assert np.mean(ours_all) >= np.mean(theirs_all) - 0.01
    assert np.mean(ours_all) == pytest.approx(tuned.best_score_, abs=0.02)


@pytest.mark.parametrize(
    ("text", "check"),
    [
        ("precision>=0.98", lambda y, p: precision_score(y, p) >= 0.98),
        ("recall>=0.99", lambda y, p: recall_score(y, p) >= 0.99),
    ],
)
def test_constraint_objectives_hold_their_floor(
    held_out: tuple[Any, np.ndarray, np.ndarray, np.ndarray], text: str, check: Any
) -> None:
    _, _, y_val, scores = held_out
    cut = best_cut(scores, y_val == 1, Objective.parse(text))
    assert check(y_val, scores >= cut.threshold)


def test_cost_moves_the_cut_towards_the_cheaper_mistake(
    held_out: tuple[Any, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    _, _, y_val, scores = held_out
    cheap_fn = best_cut(scores, y_val == 1, Objective.parse("cost:10,1")).threshold
    cheap_fp = best_cut(scores, y_val == 1, Objective.parse("cost:1,10")).threshold
    assert cheap_fn > cheap_fp
    assert Objective.parse("f-beta:2").metric == "f-beta:2"


def test_fit_reports_an_interval_around_the_metric_and_a_wrapper(
    held_out: tuple[Any, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    model, x_val, y_val, scores = held_out
    result = fit(scores, y_val, Objective.parse("balanced-accuracy"), [("p", "1")], "y")
    (c,) = result.classes
    assert c.metric.low < c.metric.value < c.metric.high
    assert c.metric.high - c.metric.low < 0.1
    assert Thresholds.from_dict(result.to_dict()) == result
    wrapped = result.wrap(model)
    assert (wrapped.predict(x_val) == (scores >= c.threshold)).all()


def test_multi_class_thresholds_leave_weak_rows_neutral() -> None:
    x, y = load_wine(return_X_y=True)
    x = x[:, [0, 6]]  # alcohol and flavanoids alone leave some rows in doubt
    x_train, x_val, y_train, y_val = train_test_split(x, y, test_size=0.5, random_state=0)
    scores = _model().fit(x_train, y_train).predict_proba(x_val)
    classes = [(f"p{k}", str(k)) for k in range(3)]
    result = fit(scores, y_val, Objective.parse("precision>=0.95"), classes, "y")
    assert result.neutral_share is not None and 0 < result.neutral_share < 0.5
    predicted = result.predict(scores)
    decided = predicted != NEUTRAL
    assert (predicted[decided] == y_val[decided].astype(str)).mean() >= 0.95
    with pytest.raises(UsageError, match="one per class"):
        result.wrap(LogisticRegression())


@pytest.mark.parametrize(
    ("scores", "labels", "needle"),
    [
        ([0.2, 1.5], [0, 1], "probabilities in"),
        ([0.2, 0.3, 0.4], [0, 1, 2], "two label values"),
        ([], [], "no rows"),
        ([0.1, 0.9], [0, 0], "two label values"),
    ],
)
def test_bad_input_is_refused(scores: list[float], labels: list[int], needle: str) -> None:
    with pytest.raises(DataError, match=needle):
        fit(np.array(scores), np.array(labels), Objective.parse("balanced-accuracy"),
            [("p", "1")], "y")  # fmt: skip


@pytest.mark.parametrize("text", ["accuracy", "f-beta:x", "precision>=2", "cost:1", "f-beta:0"])
def test_unknown_objective_syntax_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError):
        Objective.parse(text)


def test_check_takes_a_batch_of_one_class_and_flags_a_worse_metric(
    held_out: tuple[Any, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    _, _, y_val, scores = held_out
    stored = fit(scores, y_val, Objective.parse("balanced-accuracy"), [("p", "1")], "y")
    positives = y_val == 1
    (one,) = check(stored, scores[positives], y_val[positives]).classes
    assert one.rate_alert  # every row positive: far above the reference's positive rate
    noisy = np.clip(scores + np.random.default_rng(0).normal(0, 0.4, len(scores)), 0, 1)
    (worse,) = check(stored, noisy, y_val).classes
    assert worse.metric is not None and worse.left_interval and worse.refit_gain is not None


# Calibrated alarms: a known population (30% positives; scores Beta(4, 2) for positives and
# Beta(2, 4) for negatives), references of REFERENCE rows fitted afresh, batches of 200 rows up
# to the reference's size drawn iid from the same population. A check that holds its rate
# alerts at most FALSE_ALARMS of the time; the bound allows the Monte Carlo spread: a check
# calibrated exactly at the rate exceeds binom.ppf(0.999) with probability 0.1% (the seeds
# fix the outcome, so the test is deterministic).
REFERENCE = 1000


def _population(
    rng: np.random.Generator, n: int, prevalence: float = 0.3, positive: tuple[int, int] = (4, 2)
) -> tuple[np.ndarray, np.ndarray]:
    y = rng.random(n) < prevalence
    return np.where(y, rng.beta(*positive, n), rng.beta(2, 4, n)), y.astype(int)


def _bound(trials: int, rate: float) -> int:
    from scipy import stats

    return int(stats.binom.ppf(0.999, trials, rate))


def _references(objective: str, count: int, seed: int) -> list[Thresholds]:
    rng = np.random.default_rng(seed)
    goal = Objective.parse(objective)
    return [
        fit(*_population(rng, REFERENCE), goal, [("p", "1")], "y", n_boot=50, seed=k)
        for k in range(count)
    ]


@pytest.mark.parametrize("objective", ["balanced-accuracy", "f-beta:2"])
def test_labelled_checks_of_unshifted_batches_alert_at_most_the_stated_rate(
    objective: str,
) -> None:
    """200 batches (10 references x 20) from 200 to 1,000 rows: the rate, metric and re-fit
    tests together alert at most 1% of the time (was 48% and 63% at 1,000 rows)."""
    from solvent.health.thresholds import FALSE_ALARMS

    rng = np.random.default_rng(7)
    found = []
    for stored in _references(objective, 10, seed=11):
        for _ in range(20):
            scores, labels = _population(rng, int(rng.integers(200, REFERENCE + 1)))
            found.append(check(stored, scores, labels).classes[0])
    alerts = sum(c.alert for c in found)
    print(
        f"{objective}: {alerts} of {len(found)} checks alerted (rate "
        f"{sum(c.rate_alert for c in found)}, metric {sum(c.left_interval for c in found)}, "
        f"re-fit {sum(c.refit_advised for c in found)})"
    )
    assert alerts <= _bound(len(found), FALSE_ALARMS)
    assert not any(c.refit_advised for c in found)

    # power: a weaker model (positives scored Beta(2, 3)) and inflated scores (s ** 0.3)
    stored = _references(objective, 1, seed=12)[0]
    weaker = [check(stored, *_population(rng, REFERENCE, positive=(2, 3))).classes[0]
              for _ in range(10)]  # fmt: skip
    print(f"  power: weaker model {sum(c.left_interval for c in weaker)} of 10", end="")
    assert sum(c.left_interval for c in weaker) >= 9
    inflated = []
    for _ in range(10):
        scores, labels = _population(rng, REFERENCE)
        inflated.append(check(stored, scores**0.3, labels).classes[0])
    print(f", inflated scores re-fit {sum(c.refit_advised for c in inflated)} of 10")
    assert sum(c.refit_advised for c in inflated) >= 8


def test_unlabelled_checks_of_unshifted_batches_alert_at_most_the_stated_rate() -> None:
    """Per reference (20 of them): 20 batches from 200 to 1,000 rows and 40 as large as the
    reference, against the positive rate's limits: at most 1% alert in either group, and at
    most 0.27% when that is the stated rate (the old 3-sigma limits claimed 0.27% and gave
    1.6% here, 5.6-5.8% in the issue); a prevalence shift from 30% to 45% is found."""
    from solvent.health.thresholds import FALSE_ALARMS

    rng = np.random.default_rng(8)
    varied, full, strict = [], [], []  # strict: stated 0.27%, the old 3-sigma limits' claim
    for stored in _references("balanced-accuracy", 20, seed=13):
        for _ in range(20):
            scores = _population(rng, int(rng.integers(200, REFERENCE + 1)))[0]
            varied.append(check(stored, scores, None).alert)
        for _ in range(40):
            scores = _population(rng, REFERENCE)[0]
            full.append(check(stored, scores, None).alert)
            strict.append(check(stored, scores, None, false_alarms=0.0027).alert)
    print(
        f"unlabelled: {sum(varied)} of {len(varied)} from 200 rows, {sum(full)} of "
        f"{len(full)} at the reference's size, {sum(strict)} at a stated 0.27%"
    )
    assert sum(varied) <= _bound(len(varied), FALSE_ALARMS)
    assert sum(full) <= _bound(len(full), FALSE_ALARMS)
    assert sum(strict) <= _bound(len(strict), 0.0027)
    stored = _references("balanced-accuracy", 1, seed=14)[0]
    shifted = [
        check(stored, _population(rng, REFERENCE, prevalence=0.45)[0], None).classes[0]
        for _ in range(20)
    ]
    print(f"  power: prevalence 45% {sum(c.rate_alert for c in shifted)} of 20")
    assert sum(c.rate_alert for c in shifted) >= 18


def test_the_reference_size_alone_does_not_make_the_limits_exact() -> None:
    """A batch as large as the reference: the limits are wider than the batch's own binomial
    spread, since the reference rate is itself an estimate."""
    from scipy import stats

    stored = _references("balanced-accuracy", 1, seed=15)[0]
    (c,) = stored.classes
    low, high = c.limits(REFERENCE, 0.005)
    binomial = stats.binom(REFERENCE, c.positive_rate)
    assert high - low > (binomial.isf(0.005) - binomial.ppf(0.005)) / REFERENCE * 1.3


def test_a_version_1_threshold_file_is_refused_with_what_to_do() -> None:
    from solvent.errors import MalformedFileError

    with pytest.raises(MalformedFileError, match="version 1") as caught:
        Thresholds.from_dict({"version": 1, "classes": []})
    assert caught.value.hint is not None and "re-fit" in caught.value.hint


def test_multi_class_checks_share_the_rate_over_their_classes() -> None:
    """Three one-vs-rest thresholds (classes at 50/30/20%, softmax scores): 300 unlabelled
    batches of 200 to 1,000 rows alert at most 1% of the time in all (each class's rate test
    gets a third), and a batch of one class only is found."""
    from solvent.health.thresholds import FALSE_ALARMS

    def population(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        y = rng.choice(3, n, p=[0.5, 0.3, 0.2])
        logits = 1.5 * np.eye(3)[y] + rng.normal(0, 1, (n, 3))
        scores = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return scores, y

    rng = np.random.default_rng(9)
    classes = [(f"p{k}", str(k)) for k in range(3)]
    goal = Objective.parse("balanced-accuracy")
    alerts, trials = 0, 0
    for k in range(10):
        stored = fit(*population(rng, REFERENCE), goal, classes, "y", n_boot=50, seed=k)
        for _ in range(30):
            scores, _ = population(rng, int(rng.integers(200, REFERENCE + 1)))
            report = check(stored, scores, None)
            assert report.tail == pytest.approx(FALSE_ALARMS / 3)
            alerts += report.alert
            trials += 1
    print(f"multi-class: {alerts} of {trials} unlabelled checks alerted")
    assert alerts <= _bound(trials, FALSE_ALARMS)
    scores, y = population(rng, 600)
    assert check(stored, scores[y == 0], None).alert
