"""A notebook as a typed CLI script: its code cells in order inside one ``main`` whose
parameters are the notebook's parameters cell, as Typer options; markdown as comments;
imports at the top. Magics and shell lines are refused, each named by cell and line: they
need a person to rewrite them in Python.
"""

from __future__ import annotations

import ast
import io
import json
import tokenize
from dataclasses import dataclass
from pathlib import PurePosixPath

from solvent.errors import UsageError
from solvent.notebook.cells import Cell, CodeCell, code_cells
from solvent.notebook.files import FileUse, file_uses, string_names
from solvent.notebook.params import Parameter, ParametersCell, find_parameters

_INDENT = "    "
_METRIC_SUFFIXES = (".json", ".yaml", ".yml", ".toml")


@dataclass(frozen=True, slots=True)
class Script:
    """The script's text and what the notebook showed of its files and parameters."""

    text: str
    parameters: tuple[Parameter, ...]
    kept: tuple[str, ...]  # parameters-cell names that stay plain code (not a literal)
    reads: tuple[str, ...]  # files read and not written first: the stage's deps
    writes: tuple[str, ...]  # the stage's outs
    unsure: tuple[FileUse, ...]  # path-like strings no read or write call was seen with


def is_metric(path: str) -> bool:
    p = PurePosixPath(path)
    return "metric" in p.name.lower() and p.suffix.lower() in _METRIC_SUFFIXES


def to_script(cells: list[Cell], source: str) -> Script:
    """``source`` names the notebook in the script's docstring and in errors."""
    code = code_cells(cells)
    _refuse(code, source)
    found = find_parameters(code)
    params = found.parameters if found else ()
    imports, body = _split(cells, code, found)
    names: dict[str, str] = {}
    for c in code:
        if c.tree is not None:
            names.update(string_names(c.tree))
    names.update({p.name: p.value for p in params if isinstance(p.value, str)})
    uses = [u for c in code if c.tree is not None for u in file_uses(c.tree, names)]
    writes = list(dict.fromkeys(u.path for u in uses if u.access == "write"))
    reads = list(dict.fromkeys(u.path for u in uses if u.access == "read"))
    reads = [r for r in reads if r not in writes]
    seen = set(reads) | set(writes)
    unsure = [u for u in uses if u.access == "unsure" and u.path not in seen]
    text = _render(source, imports, params, body)
    ast.parse(text)  # what we wrote must be Python
    return Script(
        text, params, found.kept if found else (), tuple(reads), tuple(writes),
        tuple({u.path: u for u in unsure}.values()),
    )  # fmt: skip


def _refuse(code: list[CodeCell], source: str) -> None:
    problems = [f"cell {m.cell} line {m.line}: {m.text}" for c in code for m in c.magics]
    problems += [f"cell {c.cell.number} {c.error}" for c in code if c.error]
    if problems:
        raise UsageError(
            f"{source}: {len(problems)} line(s) need a hand before it can be a script: "
            + "; ".join(problems),
            "rewrite magics and shell lines in Python (subprocess.run for a shell command, "
            "time.perf_counter for %time), or delete them; then run again",
        )


def _split(
    cells: list[Cell], code: list[CodeCell], found: ParametersCell | None
) -> tuple[list[str], list[tuple[Cell, list[str]]]]:
    """The imports (to go first) and each cell's remaining lines, parameters taken out."""
    by_number = {c.cell.number: c for c in code}
    imports: list[str] = []
    body: list[tuple[Cell, list[str]]] = []
    for cell in cells:
        if cell.kind != "code":
            lines = [f"# {t}".rstrip() for t in cell.source.splitlines()]
            body.append((cell, lines))
            continue
        c = by_number[cell.number]
        lines = c.python.splitlines()
        drop: set[int] = set()  # 0-based line numbers moved or removed
        assert c.tree is not None  # _refuse made sure
        for stmt in c.tree.body:
            if isinstance(stmt, ast.Import | ast.ImportFrom):
                imports.append(ast.get_source_segment(c.python, stmt) or ast.unparse(stmt))
                drop.update(range(stmt.lineno - 1, (stmt.end_lineno or stmt.lineno)))
        if found is not None and found.cell is c:
            for p in found.parameters:
                drop.update(range(p.line - 1, p.end_line))
        kept = [t for n, t in enumerate(lines) if n not in drop]
        body.append((cell, _indentable(kept)))
    return list(dict.fromkeys(imports)), body


def _indentable(lines: list[str]) -> list[str]:
    """The lines, each marked (with a leading NUL) when it continues a multi-line string and
    so must not be indented: that would change the string."""
    text = "\n".join(lines)
    inside: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.STRING and tok.end[0] > tok.start[0]:
                inside.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass
    return [("\0" + t if n + 1 in inside else t) for n, t in enumerate(lines)]


def _render(
    source: str, imports: list[str], params: tuple[Parameter, ...],
    body: list[tuple[Cell, list[str]]],
) -> str:  # fmt: skip
    out = [
        f'"""Made by `solvent script` from {source}: its code cells in order, its parameters',
        'as command-line options (the stage in solvent.yaml passes them from params.yaml)."""',
        "",
    ]
    out += [i for i in imports if not i.startswith("from __future__")]
    out += [*(["from typing import Annotated"] if params else []), "", "import typer", "", ""]
    if params:
        out.append("def main(")
        for p in params:
            helps = f"help={python_literal(p.comment)}" if p.comment else ""
            out.append(
                f"{_INDENT}{p.name}: Annotated[{p.type_name}, typer.Option({helps})] = "
                f"{python_literal(p.value)},"
            )
        out.append(") -> None:")
    else:
        out.append("def main() -> None:")
    wrote = False
    for cell, lines in body:
        while lines and not lines[-1].strip():
            lines = lines[:-1]
        while lines and not lines[0].strip():
            lines = lines[1:]
        kind = "" if cell.kind == "code" else f" ({cell.kind})"
        out.append(f"{_INDENT}# --- cell {cell.number}{kind}")
        for t in lines:
            if t.startswith("\0"):
                out.append(t[1:])
            elif not t.strip():
                out.append("")
            else:
                out.append(f"{_INDENT}{t}")
                wrote = wrote or (cell.kind == "code" and not t.lstrip().startswith("#"))
    if not wrote:
        out.append(f"{_INDENT}pass")
    out += ["", "", 'if __name__ == "__main__":', f"{_INDENT}typer.run(main)", ""]
    return "\n".join(out)


def python_literal(value: object) -> str:
    """A value as Python, text in double quotes (as formatters write it)."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)
