"""Named columns of a table as a DataFrame, refusing a missing column by name."""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from solvent.errors import DataError
from solvent.health.read import Tabular, load


def select(data: Tabular, columns: list[str], what: str = "data") -> tuple[str, pd.DataFrame]:
    """The label of ``data`` and its ``columns`` (each once, in order)."""
    label, table = load(data, what)
    wanted = list(dict.fromkeys(columns))
    require(label, table.column_names, wanted)
    return label, table.select(wanted).to_pandas()


def require(label: str, have: Iterable[object], columns: Iterable[str]) -> None:
    names = [str(c) for c in have]
    for column in columns:
        if column not in names:
            shown = ", ".join(names[:12])
            raise DataError(f"{label} has no column {column!r}", f"its columns: {shown}")


def as_labels(column: pd.Series) -> pd.Series:
    """Class labels as text, so 1, 1.0 and "1" are one class; missing stays missing."""
    values = column.dropna()
    if pd.api.types.is_float_dtype(values) and (values == values.round()).all():
        column = column.astype("Int64")
    return column.astype(str).where(column.notna())
