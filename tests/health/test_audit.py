"""The feature audit on scikit-learn's bundled datasets with injected features: no injected
column is kept, exact duplicates are always flagged, the features recommended for removal can
go together (the joint check), no real feature is flagged, what the data cannot decide says
so; a feature epsilon now but not in an earlier audit is legacy."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from solvent.errors import DataError, UsageError
from solvent.health.audit import AuditOptions, audit

# Log-loss moves smoothly; accuracy on a 114-row fold moves in steps of 0.009, close to the
# ROPE, which leaves the equivalence test little room.
FAST = AuditOptions(n_splits=5, n_repeats=2, screen_repeats=3, n_jobs=2, scoring="neg_log_loss")
FAST_REGRESSION = AuditOptions(n_splits=5, n_repeats=2, screen_repeats=3, n_jobs=2)
CANCER = ["mean texture", "worst area", "worst smoothness", "worst concave points"]
WINE = ["alcohol", "flavanoids", "color_intensity", "proline"]
DIABETES = ["bmi", "bp", "s5", "sex"]


def model() -> Any:
    return make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))


def injected(x: pd.DataFrame, duplicate: str, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return x.assign(
        noise_normal=rng.normal(size=len(x)),
        noise_uniform=rng.random(len(x)),
        copy=x[duplicate] * 2.0 + 1.0,  # a rescaled copy: rank-identical
    )


def verdicts(report: Any) -> dict[str, str]:
    return {v.feature: v.verdict for v in report.features}


@pytest.fixture(scope="module")
def cancer() -> tuple[pd.DataFrame, pd.Series, Any]:
    data = load_breast_cancer(as_frame=True)
    x = injected(data.data[CANCER], "worst area")
    report = audit(x, data.target, model(), FAST)
    return x, data.target, report


def test_noise_is_epsilon_real_features_are_kept_and_a_rescaled_copy_is_not_kept(
    cancer: tuple[pd.DataFrame, pd.Series, Any],
) -> None:
    *_, report = cancer
    found = verdicts(report)
    # The real features are not flagged; dropping one of them may cost less than the band
    # (the others carry some of it) or it may not: keep or undecided, never removable.
    assert all(found[k] in ("keep", "undecided") for k in CANCER), found
    assert found["worst area"] == "keep"
    assert found["noise_normal"] == found["noise_uniform"] == "epsilon"
    # A rescaled copy is no exact duplicate: with an L2 penalty two copies share the weight,
    # so dropping it alone costs a little (p=0.04) but maybe less than the band: undecided.
    assert found["copy"] in ("correlated", "undecided")
    copy = next(v for v in report.features if v.feature == "copy")
    assert copy.group == ("worst area", "copy")
    assert copy.group_drop is not None and copy.group_drop.outcome == "worse"
    noise = next(v for v in report.features if v.feature == "noise_normal")
    assert noise.drop is not None
    assert -report.band < noise.drop.low <= noise.drop.high < report.band
    assert report.band == pytest.approx(0.05 * -report.baseline)  # a twentieth of the log-loss
    assert report.joint is not None and report.joint.restored == ()
    assert set(report.joint.dropped) == {"noise_normal", "noise_uniform"}


def test_on_diabetes_the_noise_goes_and_the_copy_does_not_stay() -> None:
    data = load_diabetes(as_frame=True)
    x = injected(data.data[DIABETES], "bmi")
    report = audit(x, data.target / data.target.std(), make_pipeline(StandardScaler(), Ridge()),
                   AuditOptions(n_jobs=2))  # fmt: skip
    found = verdicts(report)
    assert found["noise_normal"] == found["noise_uniform"] == "epsilon"
    assert found["copy"] != "keep"
    assert found["bmi"] in ("keep", "undecided") and found["s5"] in ("keep", "undecided")
    assert report.folds == 30


def acceptance_frame(x: pd.DataFrame, exact: list[str], near: list[str]) -> pd.DataFrame:
    """Issue 17's test set: 3 noise columns, 2 exact and 2 near duplicates injected."""
    rng = np.random.default_rng(7)
    extra = {
        "noise_normal": rng.normal(size=len(x)),
        "noise_uniform": rng.random(len(x)),
        "noise_int": rng.integers(0, 5, len(x)).astype(float),
    }
    for i, column in enumerate(exact):
        extra[f"exact{i}"] = x[column].to_numpy().copy()
    for i, column in enumerate(near):
        extra[f"near{i}"] = x[column] + rng.normal(0, 0.01 * x[column].std(), len(x))
    return x.assign(**extra)


INJECTED = ["noise_normal", "noise_uniform", "noise_int", "exact0", "exact1", "near0", "near1"]


def assert_acceptance(report: Any, strong: list[str]) -> None:
    found = verdicts(report)
    assert [c for c in INJECTED if found[c] == "keep"] == []
    assert found["exact0"] == found["exact1"] == "duplicate"
    assert report.joint is not None
    assert report.joint.comparison.outcome in ("equivalent", "better")
    assert {"exact0", "exact1"}.isdisjoint(report.joint.restored)
    for column in strong:  # informative features are never epsilon, nor flagged at the end
        assert found[column] not in ("epsilon", "legacy", "harmful"), (column, found[column])


def test_breast_cancer_with_noise_and_duplicates_injected() -> None:
    data = load_breast_cancer(as_frame=True)
    x = acceptance_frame(data.data, ["mean radius", "worst texture"], ["worst area", "mean area"])
    report = audit(x, data.target, model(), replace(FAST, scoring=None))
    assert_acceptance(report, ["worst concave points", "worst texture"])


def test_diabetes_with_noise_and_duplicates_injected() -> None:
    data = load_diabetes(as_frame=True)
    x = acceptance_frame(data.data, ["age", "bmi"], ["bmi", "s5"])
    report = audit(x, data.target, make_pipeline(StandardScaler(), Ridge()), FAST_REGRESSION)
    assert_acceptance(report, ["bmi", "s5", "bp"])


def test_the_joint_check_puts_back_what_is_only_redundant_one_at_a_time() -> None:
    """Eight noisy views of one signal: any one can go (the others carry it), not all."""
    rng = np.random.default_rng(11)
    n = 800
    signal = rng.normal(size=n)
    views = {f"view{i}": signal + rng.normal(0, 0.45, n) for i in range(8)}  # rho ~0.82
    x = pd.DataFrame({"other": rng.normal(size=n), **views})
    y = pd.Series(signal + 0.5 * x["other"] + rng.normal(0, 0.3, n), name="y")
    report = audit(x, y, Ridge(), replace(FAST_REGRESSION, rope=0.01))
    joint = report.joint
    assert joint is not None and joint.first.outcome == "worse"  # all together: a loss
    assert joint.restored and joint.comparison.outcome in ("equivalent", "better")
    restored = {v.feature for v in report.features if v.feature in joint.restored}
    assert all(verdicts(report)[c] == "undecided" for c in restored)
    assert all("joint check put it back" in v.evidence for v in report.features
               if v.feature in restored)  # fmt: skip


def test_a_drop_the_data_cannot_decide_is_undecided_and_says_what_would_decide_it() -> None:
    data = load_breast_cancer(as_frame=True)
    x = data.data[[*CANCER, "mean smoothness", "mean symmetry"]]
    report = audit(x, data.target, model(), replace(FAST, scoring=None))  # accuracy: steps
    undecided = report.undecided
    assert undecided, verdicts(report)
    assert all(v.decide for v in undecided)
    assert any("a smoother --scoring" in v.decide for v in undecided)


def test_an_absolute_rope_is_taken_as_given() -> None:
    data = load_diabetes(as_frame=True)
    x = injected(data.data[DIABETES], "bmi")
    report = audit(x, data.target, Ridge(), replace(FAST_REGRESSION, rope=0.001))
    assert report.band == 0.001 and "--rope" in report.band_rule


def test_fit_warnings_are_counted_once_per_kind() -> None:
    data = load_breast_cancer(as_frame=True)
    report = audit(data.data[CANCER], data.target, LogisticRegression(max_iter=3),
                   replace(FAST, n_repeats=1))  # fmt: skip
    assert report.warnings.get("ConvergenceWarning", 0) > 0
    (line,) = [w for w in report.warning_lines() if w.startswith("ConvergenceWarning")]
    assert f"of {report.fits} fits: scale the features or raise max_iter" in line


def test_a_feature_that_became_epsilon_is_legacy(
    cancer: tuple[pd.DataFrame, pd.Series, Any],
) -> None:
    x, y, report = cancer
    earlier = report.to_dict()
    for f in earlier["features"]:
        if f["feature"] == "noise_uniform":
            f["verdict"] = "keep"
    again = audit(x, y, model(), FAST, previous=earlier)
    assert verdicts(again)["noise_uniform"] == "legacy"
    assert verdicts(again)["noise_normal"] == "epsilon"


def test_a_group_that_can_go_whole_is_bundled() -> None:
    data = load_breast_cancer(as_frame=True)
    rng = np.random.default_rng(3)
    noise = rng.normal(size=len(data.target))
    x = data.data[CANCER].assign(n1=noise, n2=noise + rng.normal(0, 0.01, len(noise)))
    report = audit(x, data.target, model(), FAST)
    flagged = {v.feature: v.verdict for v in report.flagged}
    assert flagged == {"n1": "bundled", "n2": "bundled"}


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (AuditOptions(n_splits=1), UsageError),
        (AuditOptions(rho=1.5), UsageError),
        (AuditOptions(n_splits=200), DataError),
    ],
)
def test_bad_options_are_refused(options: AuditOptions, error: type) -> None:
    data = load_wine(as_frame=True)
    with pytest.raises(error):
        audit(data.data[WINE], data.target, model(), options)
