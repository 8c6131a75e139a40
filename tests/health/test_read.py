"""Reading tables: formats by suffix, a CSV column whose type changes far down, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from solvent.errors import DataError
from solvent.health import read
from solvent.health.read import Source, read_table


def test_csv_column_widened_when_a_later_block_does_not_fit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(read, "BLOCK_BYTES", 64)
    rows = [f"{i},{i},x{i}" for i in range(200)] + ["1.5,oops,y"]
    (tmp_path / "t.csv").write_text("a,b,c\n" + "\n".join(rows) + "\n")
    table = read_table(Source.open(tmp_path / "t.csv"))
    assert table.num_rows == 201
    assert str(table.schema.field("a").type) == "double"
    assert str(table.schema.field("b").type) == "string"


@pytest.mark.parametrize(
    ("name", "content", "needle"),
    [
        ("t.xlsx", b"x", "unknown data format '.xlsx'"),
        ("t.parquet", b"not parquet at all", "cannot read as Parquet"),
        ("t.jsonl", b'{"a": 1}\n{"a": [\n', "cannot read as JSON Lines"),
        ("missing.csv", None, "no such file"),
    ],
)
def test_bad_files_raise_one_clear_error(
    tmp_path: Path, name: str, content: bytes | None, needle: str
) -> None:
    if content is not None:
        (tmp_path / name).write_bytes(content)
    with pytest.raises(DataError) as e:
        read_table(Source.open(tmp_path / name))
    assert needle in e.value.message and e.value.hint
