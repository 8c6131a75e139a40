"""Leakage and duplicates: rows of A that are also in B, and rows repeated within each.

Rows are compared by a 64-bit hash of their values in the key columns (all columns both
tables have, by default), through pandas' ``hash_pandas_object``. A column typed differently
on the two sides is compared as float when both are numbers, as text otherwise.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from solvent.errors import DataError, UsageError
from solvent.health.read import Tabular, load

EXAMPLES = 5

Row = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Duplicates:
    label: str
    rows: int
    duplicated: int  # rows equal to an earlier row of the same table
    examples: tuple[Row, ...]


@dataclass(frozen=True, slots=True)
class LeakageReport:
    key: tuple[str, ...]
    shared: int  # rows of A whose key is also in B
    shared_share: float  # of A's rows
    examples: tuple[Row, ...]
    a: Duplicates
    b: Duplicates


def leakage(a: Tabular, b: Tabular, key: list[str] | None = None) -> LeakageReport:
    a_label, ta = load(a, "a")
    b_label, tb = load(b, "b")
    columns = key or [n for n in ta.column_names if n in tb.column_names]
    if not columns:
        raise DataError(
            f"{a_label} and {b_label} have no column in common",
            "name the columns that identify a row with --key COL,COL",
        )
    for label, table in ((a_label, ta), (b_label, tb)):
        missing = [c for c in columns if c not in table.column_names]
        if missing:
            raise UsageError(
                f"{label} has no column {missing[0]!r}",
                f"its columns are: {', '.join(table.column_names[:20])}",
            )
    ka, kb = _aligned(ta.select(columns), tb.select(columns))
    ha, hb = _hashes(ka), _hashes(kb)
    shared = np.flatnonzero(np.isin(ha, hb))
    return LeakageReport(
        key=tuple(columns),
        shared=len(shared),
        shared_share=len(shared) / ta.num_rows,
        examples=_rows(ta.select(columns), shared),
        a=_duplicates(a_label, ta.select(columns), ha),
        b=_duplicates(b_label, tb.select(columns), hb),
    )


def duplicates(table: Tabular) -> Duplicates:
    """Rows repeated within one table (all columns), read and hashed once."""
    label, t = load(table, "table")
    return _duplicates(label, t, _hashes(t))


def _aligned(a: pa.Table, b: pa.Table) -> tuple[pa.Table, pa.Table]:
    for i, name in enumerate(a.column_names):
        ta, tb = a.schema.field(name).type, b.schema.field(name).type
        if ta == tb:
            continue
        numeric = all(pa.types.is_integer(t) or pa.types.is_floating(t) for t in (ta, tb))
        to = pa.float64() if numeric else pa.string()
        a = a.set_column(i, name, a.column(name).cast(to))
        b = b.set_column(i, name, b.column(name).cast(to))
    return a, b


def _hashes(table: pa.Table) -> np.ndarray:
    frame = table.to_pandas()
    return np.asarray(pd.util.hash_pandas_object(frame, index=False).to_numpy())


def _duplicates(label: str, table: pa.Table, hashes: np.ndarray) -> Duplicates:
    repeated = np.flatnonzero(pd.Series(hashes).duplicated().to_numpy())
    return Duplicates(label, table.num_rows, len(repeated), _rows(table, repeated))


def _rows(table: pa.Table, index: np.ndarray) -> tuple[Row, ...]:
    picked = table.take(pa.array(index[:EXAMPLES], type=pa.int64())).to_pylist()
    return tuple({k: _plain(v) for k, v in row.items()} for row in picked)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime.date | datetime.time | datetime.timedelta):
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
