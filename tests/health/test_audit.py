"""The feature audit on scikit-learn's bundled datasets with injected features: exactly the
pure-noise ones come out epsilon, exactly the duplicated ones correlated, no real feature is
flagged; a feature epsilon now but not in an earlier audit is legacy."""

from __future__ import annotations

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


def test_exactly_the_injected_features_are_flagged_on_breast_cancer(
    cancer: tuple[pd.DataFrame, pd.Series, Any],
) -> None:
    *_, report = cancer
    assert verdicts(report) == {
        **dict.fromkeys(CANCER, "keep"),
        "noise_normal": "epsilon",
        "noise_uniform": "epsilon",
        "copy": "correlated",
    }
    copy = next(v for v in report.features if v.feature == "copy")
    assert copy.group == ("worst area", "copy") and "redundant with worst area" in copy.evidence
    assert copy.group_drop is not None and not copy.group_drop.equivalent
    noise = next(v for v in report.features if v.feature == "noise_normal")
    assert noise.drop is not None and -0.01 < noise.drop.low <= noise.drop.high < 0.01


def test_exactly_the_injected_features_are_flagged_on_diabetes() -> None:
    data = load_diabetes(as_frame=True)
    x = injected(data.data[DIABETES], "bmi")
    report = audit(x, data.target / data.target.std(), make_pipeline(StandardScaler(), Ridge()),
                   AuditOptions(n_jobs=2))  # fmt: skip
    assert verdicts(report) == {
        **dict.fromkeys(DIABETES, "keep"),
        "noise_normal": "epsilon",
        "noise_uniform": "epsilon",
        "copy": "correlated",
    }
    assert report.folds == 30


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
    assert {k: v for k, v in verdicts(report).items() if v != "keep"} == {
        "n1": "bundled",
        "n2": "bundled",
    }


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
