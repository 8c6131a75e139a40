"""A notebook's parameters cell: papermill's (tagged ``parameters``), else the first code cell
made only of plain assignments of literals (``lr = 0.1``). Each becomes a typed option."""

from __future__ import annotations

import ast
from dataclasses import dataclass

from solvent.notebook.cells import CodeCell

Scalar = int | float | str | bool
PAPERMILL_TAG = "parameters"


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str
    value: Scalar
    line: int  # within its cell
    end_line: int
    comment: str | None = None  # a comment on the same line: the option's help

    @property
    def type_name(self) -> str:
        return type(self.value).__name__

    @property
    def option(self) -> str:
        """The command-line option Typer makes of it."""
        return "--" + self.name.replace("_", "-")


@dataclass(frozen=True, slots=True)
class ParametersCell:
    cell: CodeCell
    parameters: tuple[Parameter, ...]
    kept: tuple[str, ...]  # assignments not made options (not a number or text): stay code
    tagged: bool


def literal(node: ast.expr | None) -> Scalar | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = literal(node.operand)
        if isinstance(inner, int | float) and not isinstance(inner, bool):
            return -inner
        return None
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str):
        return node.value  # bool is an int
    return None


def find_parameters(cells: list[CodeCell]) -> ParametersCell | None:
    tagged = [c for c in cells if PAPERMILL_TAG in c.cell.tags]
    for cell in tagged[:1] or [c for c in cells if c.tree is not None and c.tree.body][:1]:
        found = _parameters(cell)
        if found is None:
            continue
        params, kept, plain = found
        if tagged or (params and plain):
            return ParametersCell(cell, tuple(params), tuple(kept), bool(tagged))
    return None


def _parameters(cell: CodeCell) -> tuple[list[Parameter], list[str], bool] | None:
    """The cell's literal assignments, the names it assigns otherwise, and whether those are
    literals too (bools); None when it does anything but assign."""
    if cell.tree is None:
        return None
    lines = cell.python.splitlines()
    params: list[Parameter] = []
    kept: list[str] = []
    plain = True
    for stmt in cell.tree.body:
        if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1:
            target, value = stmt.targets[0], stmt.value
        elif isinstance(stmt, ast.AnnAssign) and stmt.value is not None:
            target, value = stmt.target, stmt.value
        else:
            return None
        name = target.id if isinstance(target, ast.Name) else None
        scalar = literal(value)
        # A bool stays code: Typer makes it a flag, which ``${…}`` (true/false) cannot set.
        if name is None or scalar is None or isinstance(scalar, bool) or name.startswith("_"):
            kept.append(ast.unparse(target))
            plain = plain and scalar is not None
            continue
        end = stmt.end_lineno or stmt.lineno
        text = lines[end - 1]
        comment = None
        if "#" in text:
            segment = ast.get_source_segment(cell.python, stmt) or ""
            rest = text[text.find(segment.splitlines()[-1]) + len(segment.splitlines()[-1]) :]
            comment = rest.strip().lstrip("#").strip() or None
        params.append(Parameter(name, scalar, stmt.lineno, end, comment))
    return params, kept, plain
