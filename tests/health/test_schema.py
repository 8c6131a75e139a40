"""Schema diffs from two stored profiles, without the data."""

from __future__ import annotations

import pandas as pd

from solvent.health.profile import profile_frame
from solvent.health.schema import Retyped, profile_schema_diff


def test_added_removed_and_retyped_columns() -> None:
    old = profile_frame(pd.DataFrame({"id": [1, 2], "age": [30, 40], "city": ["a", "b"]}))
    new = profile_frame(pd.DataFrame({"id": [1, 2], "age": [30.5, 40.0], "zip": ["1", "2"]}))
    diff = profile_schema_diff(old, new)
    assert diff.added == ("zip",) and diff.removed == ("city",)
    assert diff.retyped == (Retyped("age", "int64", "float64"),)
    assert diff.changed and not profile_schema_diff(old, old).changed
