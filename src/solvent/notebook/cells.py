"""A notebook's cells, as Python: IPython's magics and shell lines are masked (kept aside with
their cell and line) so that ``ast`` can read the rest, line numbers unchanged.

Notebooks are read with nbformat when it is installed (the ``notebook`` extra), else as the
JSON they are; outputs are never looked at, nothing is executed.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from solvent.errors import MalformedFileError

CellKind = Literal["code", "markdown", "raw"]
# A line IPython reads differently from Python: a magic, a shell escape, help (``obj?``).
_LINE_MAGIC = re.compile(r"^\s*(%|!)")
_HELP = re.compile(r"^\s*[\w.]+\?\??\s*$|^\s*\?\??[\w.]+\s*$")
_SHELL_ASSIGN = re.compile(r"^\s*[\w, ]+=\s*(!|%)")  # files = !ls
# Cell magics whose body is not Python at all.
_FOREIGN = frozenset(
    {"bash", "sh", "script", "writefile", "html", "javascript", "js", "latex", "markdown",
     "svg", "perl", "ruby", "sql", "R", "file", "system", "sx"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Cell:
    number: int  # 1-based position among all the notebook's cells
    kind: CellKind
    source: str
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Magic:
    """A line that needs IPython: where it is, and what it says."""

    cell: int
    line: int  # within the cell, 1-based
    text: str


@dataclass(frozen=True, slots=True)
class CodeCell:
    """A code cell as Python: ``python`` is its source with every magic line masked (a
    ``pass`` at the same indentation); ``tree`` is None when even that does not parse."""

    cell: Cell
    python: str
    magics: tuple[Magic, ...]
    tree: ast.Module | None
    error: str | None = None  # why it does not parse


def read_cells(path: Path, shown: str | None = None) -> list[Cell]:
    """The notebook's cells, in order; a file that is not a notebook is a clear error."""
    shown = shown or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise MalformedFileError(f"{shown}: cannot read it ({e})", "is it a notebook?") from None
    try:
        doc = _load(text)
    except ValueError as e:
        raise MalformedFileError(
            f"{shown}: not a Jupyter notebook ({e})", "save it from Jupyter as .ipynb (v4)"
        ) from None
    cells: list[Cell] = []
    for i, raw in enumerate(doc.get("cells") or [], start=1):
        if not isinstance(raw, dict):
            continue
        kind = raw.get("cell_type")
        source = raw.get("source", "")
        if isinstance(source, list):
            source = "".join(str(s) for s in source)
        tags = (raw.get("metadata") or {}).get("tags") or []
        if kind in ("code", "markdown", "raw"):
            cells.append(Cell(i, kind, str(source), tuple(str(t) for t in tags)))
    return cells


def _load(text: str) -> dict[str, Any]:
    try:
        import nbformat
    except ImportError:  # no extra: the format is JSON, v4 keeps cells in a list
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as e:
            raise ValueError(str(e)) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("cells"), list):
            raise ValueError("no list of cells (nbformat 4)") from None
        return doc
    try:
        nb = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
    except Exception as e:  # nbformat raises JSON, validation and version errors alike
        raise ValueError(str(e).splitlines()[0] if str(e) else type(e).__name__) from None
    plain: dict[str, Any] = json.loads(nbformat.writes(nb))  # type: ignore[no-untyped-call]
    return plain


def code_cells(cells: list[Cell]) -> list[CodeCell]:
    return [as_python(c) for c in cells if c.kind == "code"]


def as_python(cell: Cell) -> CodeCell:
    lines = cell.source.splitlines()
    magics: list[Magic] = []
    first = next((n for n, t in enumerate(lines) if t.strip()), None)
    if first is not None and lines[first].lstrip().startswith("%%"):
        name = lines[first].lstrip()[2:].split(maxsplit=1)[0] if lines[first].strip("% ") else ""
        magics.append(Magic(cell.number, first + 1, lines[first].strip()))
        if name in _FOREIGN:  # the whole cell is another language
            masked = [""] * len(lines)
            return CodeCell(cell, "\n".join(masked), tuple(magics), ast.parse(""))
        lines[first] = ""
    for n, text in enumerate(lines):
        if _LINE_MAGIC.match(text) or _HELP.match(text) or _SHELL_ASSIGN.match(text):
            if n == first and magics:
                continue
            magics.append(Magic(cell.number, n + 1, text.strip()))
            lines[n] = text[: len(text) - len(text.lstrip())] + "pass"
    python = "\n".join(lines)
    try:
        tree: ast.Module | None = ast.parse(python)
        error = None
    except SyntaxError as e:
        tree, error = None, f"line {e.lineno}: {e.msg}"
    return CodeCell(cell, python, tuple(magics), tree, error)
