"""Leakage counts agree with a plain set-of-tuples reference, whatever the rows."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from solvent.health.leakage import leakage

rows = st.lists(st.tuples(st.integers(0, 4), st.sampled_from("xyz")), min_size=1, max_size=60)


@settings(max_examples=50, deadline=None)
@given(rows, rows)
def test_shared_and_duplicate_rows_match_sets(
    a: list[tuple[int, str]], b: list[tuple[int, str]]
) -> None:
    fa, fb = pd.DataFrame(a, columns=["k", "v"]), pd.DataFrame(b, columns=["k", "v"])
    report = leakage(fa, fb)
    in_b = set(b)
    assert report.shared == sum(row in in_b for row in a)
    assert report.a.duplicated == len(a) - len(set(a))
    assert report.b.duplicated == len(b) - len(set(b))
    assert all((r["k"], r["v"]) in in_b for r in report.examples)
    by_key = leakage(fa, fb, ["k"])
    assert by_key.shared == sum(k in {k for k, _ in b} for k, _ in a)


def test_int_and_float_columns_compare_by_value() -> None:
    a = pd.DataFrame({"id": [1, 2, 3]})
    b = pd.DataFrame({"id": [1.0, 3.0, 4.5]})
    assert leakage(a, b).shared == 2
