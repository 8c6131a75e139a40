"""What the stages' Python code says, read with ``ast`` (nothing runs): decision thresholds
typed into a script, numbers that repeat a parameter, and data read from outside the repo.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

# Names that hold a model's scores or probabilities, as data scientists write them.
SCORE_WORDS = ("proba", "prob", "score", "pred", "confidence", "likelihood", "logit", "margin")
SCORE_CALLS = frozenset(
    {"predict_proba", "predict_log_proba", "decision_function", "predict", "score_samples"}
)
_ORDER = (ast.Gt, ast.GtE, ast.Lt, ast.LtE)
URL = re.compile(r"^(?:https?|s3|s3a|gs|gcs|az|abfs|abfss|hdfs|ftp|sftp)://\S+$", re.IGNORECASE)
# Absolute paths that are the system's, not data: leave them alone.
SYSTEM_PREFIXES = ("/dev/", "/proc/", "/sys/", "/tmp/", "/usr/", "/bin/", "/sbin/", "/lib/",
                   "/lib64/", "/etc/", "/var/", "/run/", "/opt/conda/")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Literal:
    value: float
    line: int
    text: str  # the source segment, e.g. "proba > 0.7"


def fixed_thresholds(tree: ast.Module, source: str) -> list[Literal]:
    """Comparisons of a score or probability with a float literal: ``proba > 0.7``,
    ``0.5 <= model.predict_proba(x)[:, 1]``. A name counts as a score when it says so or was
    assigned from ``predict_proba``/``decision_function``/``predict``."""
    scores = _score_names(tree)
    found: list[Literal] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            if not isinstance(op, _ORDER):
                continue
            a, b = sides[i], sides[i + 1]
            for lit, other in ((a, b), (b, a)):
                value = float_literal(lit)
                if value is not None and _is_score(other, scores):
                    text = ast.get_source_segment(source, node) or ""
                    found.append(Literal(value, node.lineno, " ".join(text.split())))
                    break
            else:
                continue
            break
    return sorted(found, key=lambda f: f.line)


def float_literal(node: ast.expr) -> float | None:
    """A float typed in the code (``0.7``, ``.5``, ``-0.2``); ints are counts, not cut-offs."""
    sign = 1.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -1.0 if isinstance(node.op, ast.USub) else 1.0
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) is float:
        return sign * node.value
    return None


def _score_names(tree: ast.Module) -> set[str]:
    """Variables assigned from a model's scoring call (``p = clf.predict_proba(x)[:, 1]``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign | ast.AnnAssign)
            and node.value is not None
            and _calls_scorer(node.value)
        ):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    return names


def _calls_scorer(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Call) and _callee(n) in SCORE_CALLS for n in ast.walk(node))


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _is_score(node: ast.expr, scores: set[str]) -> bool:
    for n in ast.walk(node):
        name = (
            n.id if isinstance(n, ast.Name)
            else n.attr if isinstance(n, ast.Attribute)
            else n.value if isinstance(n, ast.Constant) and isinstance(n.value, str)
            else None
        )  # fmt: skip
        if name is None:
            if isinstance(n, ast.Call) and _callee(n) in SCORE_CALLS:
                return True
            continue
        if name in scores or any(w in name.lower() for w in SCORE_WORDS):
            return True
    return False


def number_literals(tree: ast.Module) -> Iterator[tuple[float | int, int]]:
    """Every number typed in the code, with its line (a negative number as one)."""
    negated: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            value = _number(node.operand)
            if value is not None:
                negated.add(id(node.operand))
                yield -value, node.lineno
    for node in ast.walk(tree):
        value = _number(node)
        if value is not None and id(node) not in negated:
            yield value, getattr(node, "lineno", 0)


def _number(node: ast.AST) -> float | int | None:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        value: float | int = node.value  # type: ignore[assignment]
        return value
    return None


def outside_sources(tree: ast.Module) -> list[tuple[str, int]]:
    """String literals naming a URL or an absolute path outside the system's folders: data
    read from where the repo cannot version it. Docstrings are skipped."""
    docstrings = {
        id(body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
        and (body := node.body)
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
    }
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and is_outside(node.value)
        ):
            found.append((node.value, node.lineno))
    return sorted(found, key=lambda f: f[1])


def is_outside(text: str) -> bool:
    """A URL, or an absolute (or home-relative) path of at least two parts, not a system one."""
    text = text.strip()
    if URL.match(text):
        return True
    if not (text.startswith("/") or text.startswith("~/")) or "\n" in text or " " in text:
        return False
    if any(text.startswith(p) for p in SYSTEM_PREFIXES):
        return False
    return len(PurePosixPath(text).parts) >= 3
