"""Reading CSV, Parquet and JSON Lines as a stream of Arrow record batches.

Parquet is read one row group at a time; CSV and JSON Lines in blocks. Memory is bounded by
the batch, not the file. A CSV column whose type was guessed from the first block and fails on a
later one (an int column with a '1.5' far down) is widened and the scan restarts, so callers
fold batches through ``scan`` instead of iterating ``batches`` themselves.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias, TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.json as pajson
import pyarrow.parquet as pq

from solvent.errors import DataError

T = TypeVar("T")
FORMATS = {
    ".csv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
BATCH_ROWS = 65_536
BLOCK_BYTES = 8 << 20
# Arrow adds "Row #N: " when it knows the row (it does not always): both forms are matched.
_CSV_COLUMN = re.compile(r"In CSV column #(\d+): (?:Row #\d+: )?CSV conversion error to (\w+)")


@dataclass(frozen=True, slots=True)
class Source:
    """A table on disk. ``label`` is what the user called it (``data.csv@HEAD~1``); ``path``
    where the bytes are (a cache object has no suffix, so the format is told apart)."""

    path: Path
    format: str
    label: str

    @classmethod
    def open(cls, path: str | Path, label: str | None = None, name: str | None = None) -> Source:
        """``name`` gives the format by its suffix when ``path`` has none (a cache object)."""
        path = Path(path)
        label = label or str(path)
        return cls(path, detect_format(name or path.name, label), label)


def detect_format(name: str, label: str) -> str:
    suffix = Path(name).suffix.lower()
    found = FORMATS.get(suffix)
    if found is None:
        raise DataError(
            f"{label}: unknown data format {suffix or '(no suffix)'!r}",
            "name a .csv, .parquet or .jsonl file (JSON Lines: one object per line)",
        )
    return found


class _Widen(Exception):
    def __init__(self, column: str, to: pa.DataType) -> None:
        self.column, self.to = column, to


def scan(
    source: Source,
    fold: Callable[[Iterator[pa.RecordBatch]], T],
    columns: list[str] | None = None,
) -> T:
    """``fold(batches)``, restarted with wider column types when CSV type guessing failed."""
    widened: dict[str, pa.DataType] = {}
    while True:
        try:
            return fold(_batches(source, columns, widened))
        except _Widen as w:
            if widened.get(w.column) == w.to:  # no progress: give up with the reader's words
                raise DataError(f"{source.label}: column {w.column!r} cannot be read") from None
            widened[w.column] = w.to


def read_table(source: Source, columns: list[str] | None = None) -> pa.Table:
    """The whole table (or ``columns`` of it) in memory."""

    def collect(batches: Iterator[pa.RecordBatch]) -> pa.Table:
        got = list(batches)
        if not got:
            return schema(source).empty_table()
        return pa.Table.from_batches(got)

    return scan(source, collect, columns)


Tabular: TypeAlias = Source | pa.Table | pd.DataFrame | str | Path


class Columns:
    """A table whose columns are read when asked for: a Parquet file one column at a time
    (so drift holds two columns, not two tables), anything else from memory."""

    def __init__(self, label: str, schema: pa.Schema, rows: int, table: pa.Table | None,
                 parquet: Path | None = None) -> None:  # fmt: skip
        self.label, self.schema, self.num_rows = label, schema, rows
        self._table, self._parquet = table, parquet
        if not schema.names or not rows:
            empty = "columns" if not schema.names else "rows"
            raise DataError(f"{label} has no {empty}", "name a file that holds data")

    @property
    def column_names(self) -> list[str]:
        return list(self.schema.names)

    @property
    def num_columns(self) -> int:
        return len(self.schema.names)

    def table(self) -> pa.Table:
        if self._table is not None:
            return self._table
        assert self._parquet is not None
        return read_table(Source(self._parquet, "parquet", self.label))

    def column(self, name: str) -> pa.ChunkedArray:
        if self._table is not None:
            return self._table.column(name)
        return pq.read_table(self._parquet, columns=[name]).column(0)


def columns_of(data: Tabular, what: str = "data") -> Columns:
    """The columns of a file, a ``Source``, a DataFrame or an Arrow table. Refuses a table
    without rows or columns: nothing can be said about it."""
    if isinstance(data, pd.DataFrame):
        data = pa.Table.from_pandas(data, preserve_index=False)
    if isinstance(data, pa.Table):
        return Columns(what, data.schema, data.num_rows, data)
    source = data if isinstance(data, Source) else Source.open(data)
    if source.format == "parquet":
        meta = _parquet(source)
        return Columns(source.label, meta.schema_arrow, meta.metadata.num_rows, None, source.path)
    table = read_table(source)
    return Columns(source.label, table.schema, table.num_rows, table)


def load(data: Tabular, what: str = "data") -> tuple[str, pa.Table]:
    """A label and the whole table (refused when it has no rows or columns)."""
    found = columns_of(data, what)
    return found.label, found.table()


def schema(source: Source) -> pa.Schema:
    """Column names and types: Parquet's footer, or the types guessed from the first block."""
    if source.format == "parquet":
        return _parquet(source).schema_arrow

    def first(batches: Iterator[pa.RecordBatch]) -> pa.Schema:
        got = next(batches, None)
        if got is None:  # a CSV with a header only yields no batch
            raise DataError(f"{source.label} has no rows", "name a file that holds data")
        return got.schema

    return scan(source, first)


def _batches(
    source: Source, columns: list[str] | None, widened: dict[str, pa.DataType]
) -> Iterator[pa.RecordBatch]:
    try:
        if source.format == "parquet":
            # One row group at a time: iter_batches keeps buffers of earlier groups alive.
            parquet = _parquet(source)
            for i in range(parquet.num_row_groups):
                yield from parquet.read_row_group(i, columns=columns).to_batches(BATCH_ROWS)
        elif source.format == "csv":
            yield from _csv(source, columns, widened)
        else:
            yield from _jsonl(source, columns)
    except OSError as e:
        raise _unreadable(source, e) from None
    except pa.ArrowInvalid as e:
        raise _unreadable(source, e) from None


def _parquet(source: Source) -> pq.ParquetFile:
    try:
        return pq.ParquetFile(source.path)
    except (OSError, pa.ArrowInvalid) as e:
        raise _unreadable(source, e) from None


def _csv(
    source: Source, columns: list[str] | None, widened: dict[str, pa.DataType]
) -> Iterator[pa.RecordBatch]:
    # Every column is converted: a conversion error names its column by position in the file.
    reader = pacsv.open_csv(
        source.path,
        read_options=pacsv.ReadOptions(block_size=BLOCK_BYTES),
        convert_options=pacsv.ConvertOptions(column_types=widened),
    )
    names = reader.schema.names
    while True:
        try:
            batch = reader.read_next_batch()
        except StopIteration:
            return
        except pa.ArrowInvalid as e:
            match = _CSV_COLUMN.search(str(e))
            if match is None:
                raise
            name = names[int(match.group(1))]
            raise _Widen(name, pa.float64() if match.group(2) == "int64" else pa.string()) from e
        yield batch.select(columns) if columns else batch


def _jsonl(source: Source, columns: list[str] | None) -> Iterator[pa.RecordBatch]:
    reader = pajson.open_json(source.path, read_options=pajson.ReadOptions(block_size=BLOCK_BYTES))
    for batch in reader:
        yield batch.select(columns) if columns else batch


def _unreadable(source: Source, e: Exception) -> DataError:
    if isinstance(e, FileNotFoundError):
        return DataError(f"{source.label}: no such file", "check the path")
    if isinstance(e, IsADirectoryError):
        return DataError(f"{source.label} is a folder", "name a data file inside it")
    reason = getattr(e, "strerror", None) or str(e).strip().splitlines()[0]
    kind = {"csv": "CSV", "parquet": "Parquet", "jsonl": "JSON Lines"}[source.format]
    return DataError(
        f"{source.label}: cannot read as {kind} ({reason})",
        "check that the file is complete and of the format its name says",
    )
