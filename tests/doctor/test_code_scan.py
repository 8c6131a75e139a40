"""The static reading of stage code: thresholds, numbers and outside sources."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from solvent.doctor.code_scan import fixed_thresholds, is_outside, named_numbers, outside_sources
from tests.doctor.tiny import committed, findings


def cuts(source: str) -> list[tuple[float, int]]:
    source = textwrap.dedent(source)
    return [(c.value, c.line) for c in fixed_thresholds(ast.parse(source), source)]


def test_score_and_probability_comparisons_with_float_literals() -> None:
    assert cuts(
        """
        proba = model.predict_proba(x)[:, 1]
        labels = proba > 0.7
        keep = score >= .5
        flag = 0.3 < clf.predict_proba(x)[:, 1]
        p = clf.decision_function(x)
        y = np.where(p > -0.2, 1, 0)
        ok = (df["pred_prob"] <= 0.15).astype(int)
        """
    ) == [(0.7, 3), (0.5, 4), (0.3, 5), (-0.2, 7), (0.15, 8)]


def test_other_comparisons_are_not_thresholds() -> None:
    assert (
        cuts(
            """
        if loss < 0.01: pass
        if len(rows) > 5: pass
        if proba > threshold: pass
        if proba == 0.5: pass
        if epoch > 3.0 and lr < 0.1: pass
        if problem_size > 0.5 or predictor_count < 2.5 or dropout_prob > 0.3: pass
        if val_score > 0.95 or abs(val_score - 0.5) < 1e-4: pass
        if precision_score(y, yp) > 0.8 or scores.mean() > 0.75: pass
        if predicted.sum() > 10.0 or model.score(x, y) > 0.9: pass
        """
        )
        == []
    )


def test_named_cutoffs_sigmoids_and_y_hat() -> None:
    found = cuts(
        """
        THRESHOLD = 0.35
        keep = p_hat > THRESHOLD
        pos = torch.sigmoid(logits_out) > 0.5
        y = y_hat >= 0.6
        """
    )
    assert found == [(0.35, 3), (0.5, 4), (0.6, 5)]


@given(
    name=st.sampled_from(["proba", "y_score", "pred", "confidence", "p_hat_proba"]),
    value=st.floats(0.01, 0.99).map(lambda v: round(v, 3)),
    op=st.sampled_from([">", ">=", "<", "<="]),
    flipped=st.booleans(),
)
def test_any_score_name_compared_with_a_float_is_found(
    name: str, value: float, op: str, flipped: bool
) -> None:
    expr = f"{value!r} {op} {name}" if flipped else f"{name} {op} {value!r}"
    assert cuts(f"x = {expr}\n") == [(value, 1)]


def test_named_numbers() -> None:
    tree = ast.parse(
        "a = -3\nb: float = 0.25\nc = f(7, depth=4)\ndef g(lr=0.1, *, n=2): pass\n"
        "d = {'alpha': 0.3}\nself.k = 5\n"
    )
    assert sorted(named_numbers(tree)) == [
        ("a", -3, 1),
        ("alpha", 0.3, 5),
        ("b", 0.25, 2),
        ("depth", 4, 3),
        ("k", 5, 6),
        ("lr", 0.1, 4),
        ("n", 2, 4),
    ]


def test_outside_sources_are_urls_and_absolute_data_paths_not_docstrings() -> None:
    source = textwrap.dedent(
        '''
        """Reads /mnt/shared/doc.csv (a docstring, not a read)."""
        import pandas as pd
        a = pd.read_csv("https://example.com/data.csv")
        b = open("/mnt/shared/raw/events.parquet")
        c = open("/dev/null")
        d = open("data/local.csv")
        e = "/tmp/scratch/x.csv"
        app.post("/api/v1/predict")
        mlflow.set_tracking_uri("http://localhost:5000")
        docs = "https://scikit-learn.org/stable/"
        '''
    )
    assert outside_sources(ast.parse(source)) == [
        ("https://example.com/data.csv", 4),
        ("/mnt/shared/raw/events.parquet", 5),
    ]


def test_is_outside() -> None:
    assert is_outside("s3://bucket/key.csv") and is_outside("~/data/x.csv")
    assert not is_outside("/usr/bin/python") and not is_outside("/x")
    assert not is_outside("data/x.csv") and not is_outside("a / b / c")


def test_a_metric_computed_from_predictions_is_no_score() -> None:
    """``acc`` holds an accuracy: comparing it with 0.5 reports on the model, it cuts no
    scores. The predictions themselves still are scores."""
    assert cuts(
        """
        preds = model.predict(x_test)
        acc = accuracy_score(y_test, model.predict(x_test))
        if acc > 0.5: print("good")
        accuracy = np.mean(model.predict(x_test) == y_test)
        assert accuracy >= 0.75
        rmse = mean_squared_error(y_test, model.predict(x_test)) ** 0.5
        if rmse < 0.3: pass
        val_auc = roc_auc_score(y_val, clf.predict_proba(x_val)[:, 1])
        if val_auc > 0.8: pass
        labels = preds > 0.5
        """
    ) == [(0.5, 11)]


def test_doctor_reports_no_threshold_for_an_accuracy_check(repo: Path) -> None:
    evaluate = (
        "import json\nfrom sklearn.metrics import accuracy_score\n"
        "def check(model, x, y):\n"
        "    acc = accuracy_score(y, model.predict(x))\n"
        "    if acc > 0.5:\n        print('better than chance')\n"
        "    return model.predict_proba(x)[:, 1] > 0.35\n"
    )
    spec = "stages:\n  evaluate:\n    cmd: python evaluate.py\n    deps: [evaluate.py]\n"
    committed(repo, {"dvc.yaml": spec, "evaluate.py": evaluate, "requirements.txt": "a==1\n"})
    found = findings(repo, "fixed-threshold")
    assert [(f["file"], f["line"]) for f in found] == [("evaluate.py", 7)]
