"""The files a piece of code reads and writes, as far as ``ast`` sees them: paths typed as
string literals (or names bound once to one) passed to the usual reading and writing calls.
Other path-like strings are returned apart, for a person to check."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

Access = Literal["read", "write", "unsure"]

# Calls whose first argument is a file they read...
READS = frozenset(
    {"read_csv", "read_parquet", "read_json", "read_table", "read_excel", "read_feather",
     "read_pickle", "read_orc", "read_hdf", "read_fwf", "read_sas", "read_stata", "load",
     "loadtxt", "genfromtxt", "fromfile", "imread", "read_text", "read_bytes", "scan_csv",
     "scan_parquet", "load_workbook"}
)  # fmt: skip
# ...or write (``df.to_csv(path)``, ``np.save(path, a)``, ``fig.savefig(path)``)...
WRITES_FIRST = frozenset(
    {"to_csv", "to_parquet", "to_json", "to_pickle", "to_excel", "to_feather", "to_hdf",
     "to_orc", "to_markdown", "to_html", "to_latex", "savefig", "write_text", "write_bytes",
     "save", "savetxt", "savez", "savez_compressed", "save_model", "write_image", "imwrite"}
)  # fmt: skip
# ...or whose second argument is the file written (``joblib.dump(model, path)``).
WRITES_SECOND = frozenset({"dump", "save"})
_FILE_LIKE = frozenset({".csv", ".tsv", ".parquet", ".pq", ".json", ".jsonl", ".yaml", ".yml",
                        ".pkl", ".pickle", ".joblib", ".npy", ".npz", ".txt", ".h5", ".hdf5",
                        ".feather", ".xlsx", ".png", ".svg", ".pt", ".pth", ".onnx", ".db",
                        ".arrow", ".avro", ".orc", ".model", ".bin", ".html"})  # fmt: skip


@dataclass(frozen=True, slots=True)
class FileUse:
    path: str
    access: Access
    line: int


def string_names(tree: ast.AST) -> dict[str, str]:
    """Names bound exactly once, to a string literal: name → the string."""
    bound: dict[str, list[str | None]] = {}
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        value: ast.expr | None = None
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign):
            targets, value = [node.target], node.value
        elif isinstance(node, ast.AugAssign | ast.For | ast.With):
            targets = [node.target] if not isinstance(node, ast.With) else [
                i.optional_vars for i in node.items if i.optional_vars is not None]  # fmt: skip
        for t in targets:
            if isinstance(t, ast.Name):
                text = value.value if isinstance(value, ast.Constant) else None
                bound.setdefault(t.id, []).append(text if isinstance(text, str) else None)
    return {k: v[0] for k, v in bound.items() if len(v) == 1 and v[0] is not None}


def path_of(node: ast.expr, names: dict[str, str]) -> str | None:
    """The path an expression names: ``"a.csv"``, a name bound to one, ``Path("a") / "b"``,
    ``os.path.join("a", "b")``, an f-string without fields."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name):
        return names.get(node.id)
    if isinstance(node, ast.JoinedStr) and all(isinstance(v, ast.Constant) for v in node.values):
        return "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
        left, right = path_of(node.left, names), path_of(node.right, names)
        return f"{left}/{right}" if left is not None and right is not None else None
    if isinstance(node, ast.Call) and _callee(node) in ("Path", "PurePath", "join") and node.args:
        parts = [path_of(a, names) for a in node.args]
        if all(p is not None for p in parts):
            return "/".join(p for p in parts if p is not None)
    return None


def file_uses(tree: ast.AST, names: dict[str, str] | None = None) -> list[FileUse]:
    """Reads and writes ``tree`` makes, with the line; then string literals that look like
    files but reach no call seen here (``unsure``)."""
    names = string_names(tree) if names is None else names
    found: list[FileUse] = []
    used: set[int] = set()  # ids of the nodes already counted

    def hit(arg: ast.expr, access: Access, line: int) -> None:
        path = path_of(arg, names)
        if path is not None and _is_path(path):
            found.append(FileUse(_norm(path), access, line))
            used.update(id(n) for n in ast.walk(arg))

    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        callee = _callee(node)
        args = node.args
        if callee == "open" and args:
            hit(args[0], "write" if _writes(node, 1) else "read", node.lineno)
        elif callee == "open" and isinstance(node.func, ast.Attribute):  # Path(p).open("w")
            base = node.func.value
            if isinstance(base, ast.Call) and base.args:
                hit(base.args[0], "write" if _writes(node, 0) else "read", node.lineno)
        elif callee in READS | WRITES_FIRST and isinstance(node.func, ast.Attribute) and not args:
            base = node.func.value  # Path("x").read_text(), Path("x").write_text(...)
            if isinstance(base, ast.Call) and base.args and _callee(base) == "Path":
                hit(base.args[0], "read" if callee in READS else "write", node.lineno)
        elif callee in READS and args:
            hit(args[0], "read", node.lineno)
        elif callee in WRITES_FIRST and args and path_of(args[0], names) is not None:
            hit(args[0], "write", node.lineno)
        elif callee in WRITES_SECOND and len(args) >= 2:
            hit(args[1], "write", node.lineno)
        elif callee in ("write_text", "write_bytes") and isinstance(node.func, ast.Attribute):
            base = node.func.value
            if isinstance(base, ast.Call) and base.args:
                hit(base.args[0], "write", node.lineno)
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in used:
            text = node.value
            if _is_path(text) and PurePosixPath(text).suffix.lower() in _FILE_LIKE:
                found.append(FileUse(_norm(text), "unsure", node.lineno))
    return sorted(found, key=lambda u: (u.line, u.path))


def _writes(call: ast.Call, at: int) -> bool:
    mode: ast.expr | None = call.args[at] if len(call.args) > at else None
    mode = next((k.value for k in call.keywords if k.arg == "mode"), mode)
    return (
        isinstance(mode, ast.Constant)
        and isinstance(mode.value, str)
        and any(c in mode.value for c in "wax+")
    )


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _is_path(text: str) -> bool:
    text = text.strip()
    if not text or "\n" in text or "://" in text or text.startswith(("/", "~")) or " " in text:
        return False
    return bool(PurePosixPath(text).suffix) or "/" in text


def _norm(path: str) -> str:
    return str(PurePosixPath(path.strip().removeprefix("./")))
