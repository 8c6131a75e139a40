"""What a stage's own code says about its shape: settings typed into a script that takes no
command-line arguments (configuration debt, §6), and functions without types (the
plain-old-data smell, §5.4), with mypy's errors when asked (``doctor --check-types``)."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
from pathlib import PurePosixPath

from solvent.doctor.code_scan import named_numbers
from solvent.doctor.config_debt import Param
from solvent.doctor.findings import Finding
from solvent.doctor.project import Project
from solvent.errors import UsageError
from solvent.pipeline.spec.model import Stage

# Modules and names by which a script reads its command line.
_CLI_MODULES = frozenset({"argparse", "click", "typer", "fire", "docopt", "hydra",
                          "jsonargparse", "absl", "optparse", "getopt", "simple_parsing",
                          "tyro"})  # fmt: skip
_MYPY_LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+): error: (?P<msg>.*)$")
_PARAMS_FILES = ("params.yaml", "params.yml")
SHOWN = 3  # examples named in a message


def scan(project: Project, *, check_types: bool = False) -> list[Finding]:
    found = _params_in_code(project)
    users = _code_users(project)
    found += [f for rel, stages in users.items() if (f := _untyped(project, rel, stages))]
    if check_types and users:
        found += _mypy(project, users)
    return found


def _scripts(project: Project, stage: Stage) -> list[PurePosixPath]:
    """The Python files the stage's command names (not what they import)."""
    text = " ".join(stage.cmd)
    return [c for c in project.code_of(stage) if c.name in text and c.suffix == ".py"]


def _code_users(project: Project) -> dict[PurePosixPath, list[str]]:
    users: dict[PurePosixPath, list[str]] = {}
    for stage in project.stages:
        for rel in project.code_of(stage):
            users.setdefault(rel, []).append(stage.name)
    return dict(sorted(users.items()))


# -- params in code ----------------------------------------------------------------------


def takes_arguments(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else [
                node.module or ""]  # fmt: skip
            if any(m.split(".")[0] in _CLI_MODULES for m in mods):
                return True
        if isinstance(node, ast.Attribute) and node.attr == "argv":
            return True
        if isinstance(node, ast.Name) and node.id == "argv":
            return True
    return False


def _params_in_code(project: Project) -> list[Finding]:
    from solvent.doctor.config_debt import _params as read_params

    params: list[Param] | None = None
    found: list[Finding] = []
    seen: set[PurePosixPath] = set()
    for stage in project.stages:
        for rel in _scripts(project, stage):
            tree = project.tree(rel)
            if rel in seen or tree is None or takes_arguments(tree):
                continue
            seen.add(rel)
            if params is None:
                params = read_params(project)
            hits = _matches(tree, params)
            reads = _reads_params_file(tree)
            declared = any(str(r.file) == "params.yaml" for r in stage.params)
            if hits or (reads is not None and not declared):
                found.append(_in_code(project, stage, rel, hits, reads))
    return found


def _matches(tree: ast.Module, params: list[Param]) -> list[tuple[str, object, int, str]]:
    """(name in code, value, line, param key) for numbers typed in the code whose value is a
    param's (distinctive values only: not 0, 1, -1)."""
    wanted = [p for p in params if _distinctive(p.value)]
    hits: list[tuple[str, object, int, str]] = []
    for name, value, line in named_numbers(tree):
        for p in wanted:
            if type(p.value) is type(value) and p.value == value:
                hits.append((name, value, line, p.key))
                break
    return sorted(dict.fromkeys(hits), key=lambda h: h[2])


def _distinctive(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return value not in (0, 1, -1)


def _reads_params_file(tree: ast.Module) -> int | None:
    """The line where the script names params.yaml, if it does."""
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        if PurePosixPath(node.value.strip()).name in _PARAMS_FILES:
            return node.lineno
    return None


def _in_code(
    project: Project, stage: Stage, rel: PurePosixPath,
    hits: list[tuple[str, object, int, str]], reads: int | None,
) -> Finding:  # fmt: skip
    if hits:
        shown = "; ".join(f"{n}={v!r} (line {line}) is param {k}" for n, v, line, k in
                          hits[:SHOWN])  # fmt: skip
        what = f"takes no command-line arguments, yet its values repeat params.yaml: {shown}"
        line = hits[0][2]
        keys = list(dict.fromkeys(k for *_, k in hits))
    else:
        assert reads is not None
        what = (f"reads params.yaml itself (line {reads}) while stage '{stage.name}' declares "
                "none of its keys: a change to them reruns nothing")  # fmt: skip
        line, keys = reads, ["<section>.<key>"]
    opts = " ".join(f"--{k.rsplit('.', 1)[-1].replace('_', '-')} ${{{k}}}" for k in keys[:SHOWN])
    return Finding(
        "config", "params-in-code", "warning",
        f"{rel} (stage '{stage.name}') {what}",
        f"make each setting a typed option (Typer: def main(lr: float = 0.1)), pass it in "
        f"the stage's cmd ({opts}) and declare it under params; 'solvent stage new' shows "
        "the shape",
        file=str(rel), line=line, stage=stage.name, subject=keys[0],
    )  # fmt: skip


# -- types -------------------------------------------------------------------------------


def annotated(fn: ast.FunctionDef | ast.AsyncFunctionDef, method: bool) -> bool:
    args = [*fn.args.posonlyargs, *fn.args.args, *fn.args.kwonlyargs]
    if method and args and args[0].arg in ("self", "cls"):
        args = args[1:]
    extra = [a for a in (fn.args.vararg, fn.args.kwarg) if a is not None]
    return fn.returns is not None and all(a.annotation is not None for a in [*args, *extra])


def functions(tree: ast.Module) -> list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]]:
    """Every function and method, with whether it is a method."""
    found: list[tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool]] = []

    def visit(node: ast.AST, in_class: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                found.append((child, in_class))
                visit(child, False)
            else:
                visit(child, isinstance(child, ast.ClassDef))

    visit(tree, False)
    return found


def _untyped(project: Project, rel: PurePosixPath, stages: list[str]) -> Finding | None:
    tree = project.tree(rel)
    if tree is None:
        return None
    fns = functions(tree)
    bare = [fn for fn, method in fns if not annotated(fn, method)]
    if not bare:
        return None
    share = (len(fns) - len(bare)) / len(fns)
    names = ", ".join(f"{fn.name} (line {fn.lineno})" for fn in bare[:SHOWN])
    more = f" and {len(bare) - SHOWN} more" if len(bare) > SHOWN else ""
    return Finding(
        "smells", "untyped-stage-code", "warning" if share < 0.5 else "info",
        f"{len(fns) - len(bare)} of {len(fns)} functions in {rel} ({share:.0%}) have type "
        f"annotations (stage {', '.join(stages)}); without them: {names}{more}",
        "annotate every argument and the return (def load(path: Path) -> pd.DataFrame), "
        "then 'solvent doctor --check-types' runs mypy on the stages' code",
        file=str(rel), line=bare[0].lineno, stage=stages[0], subject="annotations",
    )  # fmt: skip


def _mypy(project: Project, users: dict[PurePosixPath, list[str]]) -> list[Finding]:
    """mypy on the stages' code: type errors in what is annotated, and in the bodies of what
    is not (``--check-untyped-defs``); missing annotations are the count above, not errors
    here. Imported libraries without stubs are not the stage's debt."""
    if importlib.util.find_spec("mypy") is None:
        raise UsageError(
            "--check-types needs mypy in the environment solvent runs in",
            "pip install mypy, or leave out --check-types",
        )
    files = [str(rel) for rel in users]
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--check-untyped-defs", "--ignore-missing-imports",
         "--no-error-summary", "--show-error-codes", "--follow-imports=silent",
         "--cache-dir=/dev/null", *files],
        cwd=project.root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    errors: dict[str, list[tuple[int, str]]] = {}
    for row in proc.stdout.splitlines():
        m = _MYPY_LINE.match(row)
        if m and m["file"] in files:
            errors.setdefault(m["file"], []).append((int(m["line"]), m["msg"]))
    found = []
    for file, errs in errors.items():
        stages = users[PurePosixPath(file)]
        first = "; ".join(f"line {n}: {msg}" for n, msg in errs[:SHOWN])
        found.append(Finding(
            "smells", "untyped-stage-code", "warning",
            f"mypy finds {len(errs)} type error(s) in {file} (stage {', '.join(stages)}): "
            f"{first}",
            f"fix them, or run 'mypy --check-untyped-defs {file}' to see them all",
            file=file, line=errs[0][0], stage=stages[0], subject="mypy",
        ))  # fmt: skip
    return found
