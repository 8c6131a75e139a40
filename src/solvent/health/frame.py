"""Named columns of a table as a DataFrame, refusing a missing column by name."""

from __future__ import annotations

import pandas as pd

from solvent.errors import DataError
from solvent.health.read import Tabular, load


def select(data: Tabular, columns: list[str], what: str = "data") -> tuple[str, pd.DataFrame]:
    """The label of ``data`` and its ``columns`` (each once, in order)."""
    label, table = load(data, what)
    wanted = list(dict.fromkeys(columns))
    missing = [c for c in wanted if c not in table.column_names]
    if missing:
        shown = ", ".join(table.column_names[:12])
        raise DataError(f"{label} has no column {missing[0]!r}", f"its columns: {shown}")
    return label, table.select(wanted).to_pandas()
