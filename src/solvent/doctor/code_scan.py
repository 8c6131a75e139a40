"""What the stages' Python code says, read with ``ast`` (nothing runs): decision thresholds
typed into a script, numbers that repeat a parameter, and data read from outside the repo.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

# Words that, as whole parts of a name (``y_proba``, ``predProb``), say it holds a model's
# scores or probabilities; and words that say it holds a metric or something else.
SCORE_WORDS = frozenset(
    {"proba", "probas", "prob", "probs", "probability", "probabilities", "score", "scores",
     "pred", "preds", "prediction", "predictions", "confidence", "likelihood", "logit",
     "logits", "margin", "yhat"}
)  # fmt: skip
NOT_SCORE_WORDS = frozenset(
    {"val", "valid", "validation", "cv", "best", "train", "test", "mean", "avg", "auc", "f1",
     "accuracy", "acc", "precision", "recall", "rmse", "mse", "mae", "r2", "error", "metric",
     "metrics", "dropout", "keep", "drop", "count", "size", "loss", "n", "num", "problem",
     "predictor", "predictors"}
)  # fmt: skip
SCORE_CALLS = frozenset(
    {"predict_proba", "predict_log_proba", "decision_function", "predict", "score_samples",
     "sigmoid", "softmax", "expit"}
)  # fmt: skip
# Calls whose result is one number about many rows (a metric, an aggregate), not a score.
_SUMMARY_CALLS = frozenset({"score", "mean", "sum", "std", "var", "max", "min", "median",
                            "count", "nunique", "len", "abs"})  # fmt: skip
_ORDER = (ast.Gt, ast.GtE, ast.Lt, ast.LtE)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
URL = re.compile(r"^(?:https?|s3|s3a|gs|gcs|az|abfs|abfss|hdfs|ftp|sftp)://\S+$", re.IGNORECASE)
_LOOPBACK = re.compile(r"^\w+://(?:localhost|127\.[\d.]+|\[::1\]|0\.0\.0\.0)(?:[:/]|$)", re.I)
# Absolute paths that are the system's, not data: leave them alone.
SYSTEM_PREFIXES = ("/dev/", "/proc/", "/sys/", "/tmp/", "/usr/", "/bin/", "/sbin/", "/lib/",
                   "/lib64/", "/etc/", "/var/", "/run/", "/opt/conda/")  # fmt: skip
DATA_SUFFIXES = frozenset(
    {".csv", ".tsv", ".parquet", ".pq", ".feather", ".arrow", ".npy", ".npz", ".pkl",
     ".pickle", ".joblib", ".h5", ".hdf5", ".jsonl", ".xlsx", ".avro", ".orc"}
)  # fmt: skip
_OUTSIDE_SUFFIXES = DATA_SUFFIXES | {".json", ".txt", ".xls", ".zip", ".gz", ".tar", ".db"}
# Calls that read what their first argument names.
READ_CALLS = frozenset(
    {"open", "read_csv", "read_parquet", "read_json", "read_table", "read_excel",
     "read_feather", "read_pickle", "read_orc", "read_hdf", "load", "loadtxt", "genfromtxt",
     "urlopen", "urlretrieve", "get", "download", "Path", "read_text", "read_bytes",
     "load_dataset", "from_pretrained", "read_sql", "scan_csv", "scan_parquet", "dataset"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Literal:
    value: float
    line: int
    text: str  # the source segment, e.g. "proba > 0.7"


def words(name: str) -> list[str]:
    """The words of an identifier, lower case: ``predProba_2`` → pred, proba, 2."""
    return [w.lower() for w in _WORD.findall(name)]


def is_score_name(name: str) -> bool:
    found = words(name)
    if "".join(found) in ("yhat", "phat"):
        return True
    return bool(SCORE_WORDS.intersection(found)) and not NOT_SCORE_WORDS.intersection(found)


def fixed_thresholds(tree: ast.Module, source: str) -> list[Literal]:
    """Comparisons of a score or probability with a float literal: ``proba > 0.7``,
    ``0.5 <= model.predict_proba(x)[:, 1]``, or with a name bound once to a float
    (``THRESHOLD = 0.35`` … ``p > THRESHOLD``). A name counts as a score when it says so or
    was assigned from ``predict_proba``/``decision_function``/``predict``/``sigmoid``."""
    scores = _score_names(tree)
    constants = float_constants(tree)
    found: list[Literal] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        for i, op in enumerate(node.ops):
            if not isinstance(op, _ORDER):
                continue
            a, b = sides[i], sides[i + 1]
            hit = None
            for lit, other in ((a, b), (b, a)):
                value = float_literal(lit)
                named = None
                if value is None and isinstance(lit, ast.Name) and lit.id in constants:
                    value, at = constants[lit.id]
                    named = f" ({lit.id} = {value!r} at line {at})"
                if value is not None and _is_score(other, scores):
                    text = " ".join((ast.get_source_segment(source, node) or "").split())
                    hit = Literal(value, node.lineno, text + (named or ""))
                    break
            if hit is not None:
                found.append(hit)
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


def float_constants(tree: ast.Module) -> dict[str, tuple[float, int]]:
    """Names bound exactly once in the file, to a float literal: name → (value, line)."""
    bound: dict[str, list[tuple[float | None, int]]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    bound.setdefault(target.id, []).append((float_literal(node.value),
                                                            node.lineno))  # fmt: skip
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            value = float_literal(node.value) if node.value is not None else None
            bound.setdefault(node.target.id, []).append((value, node.lineno))
    return {
        name: (only[0][0], only[0][1])
        for name, only in bound.items()
        if len(only) == 1 and only[0][0] is not None
    }


def _score_names(tree: ast.Module) -> set[str]:
    """Variables assigned from a model's scoring call (``p = clf.predict_proba(x)[:, 1]``);
    not a metric computed from one (``acc = accuracy_score(y, clf.predict(x))``), nor a
    name that says it holds a metric (``acc``, ``val_auc``)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Assign | ast.AnnAssign)
            and node.value is not None
            and _calls_scorer(node.value)
            and _is_score(node.value, set())
        ):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(
                n.id
                for t in targets
                for n in ast.walk(t)
                if isinstance(n, ast.Name) and not NOT_SCORE_WORDS.intersection(words(n.id))
            )
    return names


def _calls_scorer(node: ast.expr) -> bool:
    return any(isinstance(n, ast.Call) and _callee(n) in SCORE_CALLS for n in ast.walk(node))


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _is_score(node: ast.AST, scores: set[str]) -> bool:
    """Whether ``node`` holds per-row scores; a metric (``*_score(...)``, ``.score()``) or an
    aggregate (``.mean()``) over them does not."""
    if isinstance(node, ast.Call):
        callee = _callee(node)
        if callee in SCORE_CALLS:
            return True
        if callee.endswith(("_score", "_error", "_loss")) or callee in _SUMMARY_CALLS:
            return False
    name = (
        node.id if isinstance(node, ast.Name)
        else node.attr if isinstance(node, ast.Attribute)
        else node.value if isinstance(node, ast.Constant) and isinstance(node.value, str)
        else None
    )  # fmt: skip
    if name is not None and (name in scores or is_score_name(name)):
        return True
    return any(_is_score(child, scores) for child in ast.iter_child_nodes(node))


def named_numbers(tree: ast.Module) -> Iterator[tuple[str, float | int, int]]:
    """Numbers typed in the code under a name: ``lr = 0.01``, ``fit(n_estimators=200)``,
    ``def f(depth=4)``, ``{"alpha": 0.3}`` → (name, value, line)."""
    for node in ast.walk(tree):
        pairs: list[tuple[str, ast.expr]] = []
        if isinstance(node, ast.Assign):
            pairs = [(t.id if isinstance(t, ast.Name) else t.attr, node.value)
                     for t in node.targets if isinstance(t, ast.Name | ast.Attribute)]  # fmt: skip
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            t = node.target
            if isinstance(t, ast.Name | ast.Attribute):
                pairs = [(t.id if isinstance(t, ast.Name) else t.attr, node.value)]
        elif isinstance(node, ast.keyword) and node.arg:
            pairs = [(node.arg, node.value)]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = [*node.args.posonlyargs, *node.args.args]
            pairs = [(a.arg, d) for a, d in zip(args[len(args) - len(node.args.defaults):],
                                                node.args.defaults, strict=True)]  # fmt: skip
            pairs += [(a.arg, d) for a, d in zip(node.args.kwonlyargs, node.args.kw_defaults,
                                                 strict=True) if d is not None]  # fmt: skip
        elif isinstance(node, ast.Dict):
            pairs = [(k.value, v) for k, v in zip(node.keys, node.values, strict=True)
                     if isinstance(k, ast.Constant) and isinstance(k.value, str)]  # fmt: skip
        for name, value_node in pairs:
            value = _signed_number(value_node)
            if value is not None:
                yield name, value, value_node.lineno


def _signed_number(node: ast.expr) -> float | int | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _number(node.operand)
        return -inner if inner is not None else None
    return _number(node)


def _number(node: ast.AST) -> float | int | None:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        value: float | int = node.value  # type: ignore[assignment]
        return value
    return None


def string_literals(tree: ast.Module) -> set[str]:
    return {
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    }


def outside_sources(tree: ast.Module) -> list[tuple[str, int]]:
    """String literals naming data the stage reads from outside the repo: a URL or an
    absolute path (not the system's) that is passed to a reading call (``open``,
    ``read_csv``, ``urlopen``…) or ends like a data file. Loopback URLs and docstrings are
    left alone."""
    read_args: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _callee(node) in READ_CALLS:
            read_args.update(id(a) for a in node.args[:1])
            read_args.update(id(k.value) for k in node.keywords
                             if k.arg in ("path", "filepath_or_buffer", "url", "file"))  # fmt: skip
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Constant) and isinstance(node.value, str)):
            continue
        text = node.value.strip()
        if not is_outside(text):
            continue
        if id(node) in read_args or PurePosixPath(text).suffix.lower() in _OUTSIDE_SUFFIXES:
            found.append((node.value, node.lineno))
    return sorted(found, key=lambda f: f[1])


def is_outside(text: str) -> bool:
    """A URL (not loopback), or an absolute (or home-relative) path of at least two parts,
    not a system one."""
    text = text.strip()
    if URL.match(text):
        return not _LOOPBACK.match(text)
    if not (text.startswith("/") or text.startswith("~/")) or "\n" in text or " " in text:
        return False
    if text.startswith("//") or any(text.startswith(p) for p in SYSTEM_PREFIXES):
        return False
    return len(PurePosixPath(text).parts) >= 3
