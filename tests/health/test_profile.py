"""Profiles: exact where they say so (pandas gives the same numbers), the same whatever the
batch size, the same for CSV, Parquet and JSON Lines, and bounded in size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvent.health import profile as profile_mod
from solvent.health.profile import Profile, profile_batches, profile_file, profile_frame


def sample_frame(n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "x": rng.normal(10, 2, n),
            "k": rng.integers(0, 5, n),
            "s": rng.choice(["red", "green", "blue"], n),
            "b": rng.random(n) < 0.2,
        }
    )
    frame.loc[::7, "x"] = np.nan
    return frame


def test_exact_statistics_match_pandas() -> None:
    frame = sample_frame()
    p = profile_frame(frame)
    x, k, s = p.column("x"), p.column("k"), p.column("s")
    assert p.rows == len(frame)
    assert (x.kind, k.kind, s.kind, p.column("b").kind) == (
        "numeric", "numeric", "categorical", "boolean",
    )  # fmt: skip
    assert x.missing == frame["x"].isna().sum() and x.nullable and not k.nullable
    assert x.min == frame["x"].min() and x.max == frame["x"].max()
    assert x.mean == pytest.approx(frame["x"].mean(), abs=1e-9)
    assert x.std == pytest.approx(frame["x"].std(), abs=1e-9)
    assert x.distinct == frame["x"].nunique() and x.distinct_exact
    assert x.quantiles_exact and x.quantiles["p50"] == pytest.approx(frame["x"].median())
    assert sum(x.histogram.counts) == frame["x"].notna().sum()  # type: ignore[union-attr]
    assert dict(s.top) == frame["s"].value_counts().to_dict()
    assert s.domain == ("blue", "green", "red") and k.domain == (0, 1, 2, 3, 4)
    assert s.min == "blue" and s.max == "red"


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 700))
def test_same_profile_whatever_the_batch_size(batch: int) -> None:
    table = pa.Table.from_pandas(sample_frame(1500), preserve_index=False)
    whole = profile_batches(table.to_batches(), "t", "frame")
    split = profile_batches(table.to_batches(max_chunksize=batch), "t", "frame")
    for a, b in zip(whole.columns, split.columns, strict=True):
        assert (a.missing, a.distinct, a.min, a.max, a.top, a.domain) == (
            b.missing, b.distinct, b.min, b.max, b.top, b.domain,
        )  # fmt: skip
        if a.mean is not None:
            assert a.mean == pytest.approx(b.mean, abs=1e-9)
            assert a.std == pytest.approx(b.std, abs=1e-9)
            assert sum(a.histogram.counts) == sum(b.histogram.counts)  # type: ignore[union-attr]


def test_csv_parquet_and_jsonl_profile_alike(tmp_path: Path) -> None:
    frame = sample_frame(500)
    frame.to_csv(tmp_path / "d.csv", index=False)
    frame.to_parquet(tmp_path / "d.parquet", row_group_size=100)
    frame.to_json(tmp_path / "d.jsonl", orient="records", lines=True)
    profiles = [profile_file(tmp_path / f"d.{ext}") for ext in ("csv", "parquet", "jsonl")]
    for p in profiles:
        assert p.rows == 500 and [c.name for c in p.columns] == ["x", "k", "s", "b"]
        assert p.column("k").top == profiles[0].column("k").top
        assert p.column("x").mean == pytest.approx(frame["x"].mean(), abs=1e-6)


def test_large_columns_stay_bounded_and_say_they_are_estimates(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(profile_mod, "SAMPLE_SIZE", 1000)
    monkeypatch.setattr(profile_mod, "SKETCH_SIZE", 1000)
    monkeypatch.setattr(profile_mod, "COUNT_LIMIT", 100)
    n = 20_000
    frame = pd.DataFrame({"u": np.arange(n, dtype=float), "id": [f"u{i % 5000}" for i in range(n)]})
    p = profile_batches(pa.Table.from_pandas(frame).to_batches(max_chunksize=1000), "big", "frame")
    u, ids = p.column("u"), p.column("id")
    assert not u.distinct_exact and abs(u.distinct - n) / n < 0.15
    assert not u.quantiles_exact and abs(u.quantiles["p50"] - n / 2) < n * 0.05
    assert u.top == () and u.domain is None
    assert not ids.top_exact and len(ids.top) == profile_mod.TOP
    assert u.min == 0 and u.max == n - 1 and u.mean == pytest.approx((n - 1) / 2)


def test_round_trips_through_json() -> None:
    import json

    p = profile_frame(sample_frame(200))
    assert Profile.from_dict(json.loads(json.dumps(p.to_dict()))) == p


def test_dates_times_decimals_dictionaries_lists_and_empty_columns() -> None:
    import datetime
    import decimal

    table = pa.table(
        {
            "day": [datetime.date(2020, 1, d) for d in (3, 1, 2)],
            "at": [datetime.time(1, m) for m in (5, 0, 5)],
            "price": pa.array([decimal.Decimal("1.50"), decimal.Decimal("2.25"), None]),
            "city": pa.array(["b", "a", None]).dictionary_encode(),
            "tags": [[1], [], None],
            "empty": pa.array([None, None, None], pa.float64()),
        }
    )
    p = profile_batches(table.to_batches(), "t", "frame")
    day, at, price, city = (p.column(n) for n in ("day", "at", "price", "city"))
    assert (day.kind, day.min, day.max) == ("datetime", "2020-01-01", "2020-01-03")
    assert at.top == (("01:05:00", 2), ("01:00:00", 1))
    assert (price.kind, price.mean, price.missing) == ("numeric", 1.875, 1)
    assert (city.dtype, city.domain, city.missing) == ("string", ("a", "b"), 1)
    assert p.column("tags").kind == "other" and p.column("empty").missing == 3
    assert Profile.from_dict(p.to_dict()) == p


def test_parquet_is_profiled_a_row_group_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Arrow memory while profiling stays near one row group, not the file (3.2 MB here)."""
    import pyarrow.parquet as pq

    rng = np.random.default_rng(0)
    table = pa.table({"a": rng.normal(size=200_000), "b": rng.normal(size=200_000)})
    pq.write_table(table, tmp_path / "t.parquet", row_group_size=5_000)
    del table
    peak = [0]
    update = profile_mod._Column.update

    def watched(self: profile_mod._Column, array: pa.Array) -> None:
        peak[0] = max(peak[0], pa.total_allocated_bytes())
        update(self, array)

    monkeypatch.setattr(profile_mod._Column, "update", watched)
    before = pa.total_allocated_bytes()
    assert profile_file(tmp_path / "t.parquet").rows == 200_000
    assert peak[0] - before < 1_000_000, peak[0] - before
