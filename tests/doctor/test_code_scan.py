"""The static reading of stage code: thresholds, numbers and outside sources."""

from __future__ import annotations

import ast
import textwrap

from hypothesis import given
from hypothesis import strategies as st

from solvent.doctor.code_scan import fixed_thresholds, is_outside, number_literals, outside_sources


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
        """
        )
        == []
    )


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


def test_numbers_include_negatives_once() -> None:
    tree = ast.parse("a = -3\nb = 0.25\nc = f(7)\n")
    assert sorted(number_literals(tree)) == [(-3, 1), (0.25, 2), (7, 3)]


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
