"""``params diff``, ``metrics show`` and ``metrics diff``: the values a pipeline reads and
reports, compared between a git revision and the workspace (or two revisions) as DVC does.

Which files count comes from the workspace's pipeline; DVC reads each revision's own dvc.yaml,
which differs only when stages that use params or write metrics were added or removed since.
A file missing on one side shows its keys as added or deleted; a file that does not parse is an
error naming the file and the revision.
"""

from __future__ import annotations

import datetime
import json
import math
import tomllib
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Literal

from solvent import git
from solvent.errors import MalformedFileError, UsageError
from solvent.pipeline.planning.plan import flatten
from solvent.pipeline.planning.state import lookup
from solvent.pipeline.spec.model import ParamRef, Pipeline
from solvent.repo import RepoLayout
from solvent.yaml_guard import check_data, check_size, compose_ruamel, too_deep

WORKSPACE = "workspace"
DEFAULT_REV = "HEAD"
DEFAULT_PARAMS = PurePosixPath("params.yaml")

RowState = Literal["added", "deleted", "modified", "unchanged"]
Values = dict[str, dict[str, Any]]  # file → dotted key → value


@dataclass(frozen=True, slots=True)
class Row:
    """One key of one file on both sides. ``old`` / ``new`` are None where the key is missing;
    ``state`` tells a missing key from a null value."""

    path: str
    key: str
    state: RowState
    old: Any = None
    new: Any = None
    change: int | float | None = None  # new - old when both are numbers (DVC: "diff")


@dataclass(frozen=True, slots=True)
class ValuesDiff:
    a: str  # the revision as typed ("HEAD", "main~1")
    b: str  # a revision, or "workspace"
    files: tuple[str, ...]  # the files compared
    rows: tuple[Row, ...]

    def to_json(self) -> dict[str, dict[str, dict[str, Any]]]:
        """DVC's shape: ``{file: {key: {"old": …, "new": …, "diff": …}}}``, missing as null."""
        doc: dict[str, dict[str, dict[str, Any]]] = {}
        for r in self.rows:
            entry: dict[str, Any] = {"old": r.old, "new": r.new}
            if r.change is not None:
                entry["diff"] = r.change
            doc.setdefault(r.path, {})[r.key] = entry
        return doc


@dataclass(frozen=True, slots=True)
class MetricsFile:
    path: str
    data: dict[str, Any] | None  # as nested in the file, non-metric values left out; None: missing

    @property
    def values(self) -> dict[str, Any]:
        return flatten(self.data) if self.data else {}


@dataclass(frozen=True, slots=True)
class MetricsShow:
    rev: str
    files: tuple[MetricsFile, ...]

    def to_json(self) -> dict[str, Any]:
        """DVC's shape: ``{rev: {"data": {file: {"data": {…}}}}}``; a missing file has an error."""
        files: dict[str, Any] = {}
        for f in self.files:
            if f.data is None:
                error = {"type": "FileNotFoundError", "msg": f"{f.path} does not exist"}
                files[f.path] = {"error": error}
            else:
                files[f.path] = {"data": f.data}
        return {self.rev: {"data": files}}


# -- which files ---------------------------------------------------------------------------


def params_files(
    pipeline: Pipeline | None, deps_only: bool = False
) -> dict[PurePosixPath, frozenset[str] | None]:
    """The params files to compare and which of their keys (None: every key), as DVC picks
    them: params.yaml, the spec's top-level ``params:`` and every file a stage reads params
    from, whole; with ``deps_only``, only the keys the stages declare."""
    files: dict[PurePosixPath, set[str] | None] = {} if deps_only else {DEFAULT_PARAMS: None}
    if pipeline is not None and not deps_only:
        files.update(dict.fromkeys(pipeline.params))
    for stage in pipeline.stages if pipeline is not None else ():
        for ref in stage.params:
            keys = files.setdefault(ref.file, set())
            if deps_only and ref.key is not None:
                if keys is not None:
                    keys.add(ref.key)
            else:
                files[ref.file] = None
    return {f: None if k is None else frozenset(k) for f, k in files.items()}


def metrics_files(pipeline: Pipeline | None) -> list[PurePosixPath]:
    """Every file a stage declares under ``metrics:``, and those of the spec's top-level
    ``metrics:`` (where dvclive declares its metrics.json)."""
    if pipeline is None:
        return []
    staged = {o.path for s in pipeline.stages for o in s.outs if o.kind == "metric"}
    return sorted(staged | set(pipeline.metrics))


# -- the three commands --------------------------------------------------------------------


def params_diff(
    layout: RepoLayout,
    pipeline: Pipeline | None,
    a_rev: str | None = None,
    b_rev: str | None = None,
    *,
    unchanged: bool = False,
    deps_only: bool = False,
    targets: list[PurePosixPath] | None = None,
) -> ValuesDiff:
    """Params changed between ``a_rev`` (default HEAD) and ``b_rev`` (default the workspace),
    every one with ``unchanged``; ``targets`` names params files to compare instead."""
    files = dict.fromkeys(targets) if targets else params_files(pipeline, deps_only)
    a, b = _sides(layout, a_rev, b_rev)
    old = _param_values(files, a.read(list(files)), a.name)
    new = _param_values(files, b.read(list(files)), b.name)
    rows = _diff(old, new, unchanged, changes=True)
    return ValuesDiff(a.name, b.name, tuple(sorted(str(f) for f in files)), rows)


def metrics_show(
    layout: RepoLayout,
    pipeline: Pipeline | None,
    rev: str | None = None,
    targets: list[PurePosixPath] | None = None,
) -> MetricsShow:
    """The metrics in the workspace (or at ``rev``), file by file."""
    side = _Side(layout, rev)
    return MetricsShow(side.name, _metrics(side, targets or metrics_files(pipeline)))


def metrics_diff(
    layout: RepoLayout,
    pipeline: Pipeline | None,
    a_rev: str | None = None,
    b_rev: str | None = None,
    *,
    unchanged: bool = False,
    targets: list[PurePosixPath] | None = None,
) -> ValuesDiff:
    """Metrics changed between ``a_rev`` (default HEAD) and ``b_rev`` (default the workspace),
    with the change of each number; every one with ``unchanged``."""
    paths = targets or metrics_files(pipeline)
    a, b = _sides(layout, a_rev, b_rev)
    old = {f.path: f.values for f in _metrics(a, paths) if f.data is not None}
    new = {f.path: f.values for f in _metrics(b, paths) if f.data is not None}
    rows = _diff(old, new, unchanged, changes=True)
    return ValuesDiff(a.name, b.name, tuple(sorted(str(p) for p in paths)), rows)


# -- reading one side ----------------------------------------------------------------------


class _Side:
    """Files as a git commit holds them, or as the workspace does (``rev`` None)."""

    def __init__(self, layout: RepoLayout, rev: str | None) -> None:
        self.layout = layout
        self.name = WORKSPACE if rev is None else rev
        self.commit: str | None = None
        if rev is not None:
            if not layout.uses_git:
                raise UsageError(
                    f"cannot read revision {rev!r}: {layout.root} is not a git repo",
                    "comparing with a revision needs git; 'metrics show' works without it",
                )
            self.commit = git.resolve_rev(layout.root, rev)

    def read(self, paths: list[PurePosixPath]) -> dict[PurePosixPath, bytes | None]:
        """Each file's bytes, None where it does not exist."""
        if self.commit is None:
            return {p: self._read_workspace(p) for p in paths}
        return self._read_commit(self.commit, paths)

    def _read_workspace(self, path: PurePosixPath) -> bytes | None:
        try:
            return self.layout.abs(path).read_bytes()
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise self._folder(path) from None

    def _read_commit(
        self, commit: str, paths: list[PurePosixPath]
    ) -> dict[PurePosixPath, bytes | None]:
        found: dict[PurePosixPath, bytes | None] = {}
        if not paths:
            return found
        request = "".join(f"{commit}:{p}\n" for p in paths).encode()
        out = git.git(self.layout.root, "cat-file", "--batch", input=request)
        pos = 0
        for path in paths:  # "<sha> <type> <size>\n<bytes>\n", or "<name> missing\n"
            end = out.index(b"\n", pos)
            header = out[pos:end].decode(errors="replace")
            pos = end + 1
            if header.endswith(" missing"):
                found[path] = None
                continue
            _sha, kind, size = header.rsplit(" ", 2)
            if kind != "blob":
                raise self._folder(path)
            found[path] = out[pos : pos + int(size)]
            pos += int(size) + 1
        return found

    def _folder(self, path: PurePosixPath) -> UsageError:
        at = "" if self.commit is None else f" at {self.name}"
        return UsageError(
            f"{path}{at} is a folder, not a params or metrics file",
            "name the JSON, YAML or TOML file inside it",
        )


def _sides(layout: RepoLayout, a_rev: str | None, b_rev: str | None) -> tuple[_Side, _Side]:
    return _Side(layout, a_rev or DEFAULT_REV), _Side(layout, b_rev)


class _SyntaxError(ValueError):
    def __init__(self, message: str, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line


def _parse(raw: bytes, path: PurePosixPath, side: str) -> dict[str, Any]:
    """A JSON, TOML or (any other suffix) YAML 1.2 mapping, read as DVC reads it."""
    at = "" if side == WORKSPACE else f" (at {side})"
    hint = (
        "fix the file, or rerun the stage that writes it"
        if side == WORKSPACE
        else f"it was committed that way; compare with another revision than {side}"
    )
    suffix = path.suffix.lower()
    where = f"{path}{at}"
    try:
        check_size(where, len(raw), hint=hint)
        text = raw.decode("utf-8")
        if suffix == ".json":
            try:
                doc = json.loads(text)
            except json.JSONDecodeError as e:
                raise _SyntaxError(e.msg, e.lineno) from None
        elif suffix == ".toml":
            doc = tomllib.loads(text)
        else:
            doc = _load_yaml(text, where)
        check_data(doc, where)
    except RecursionError:
        raise too_deep(where) from None
    except UnicodeDecodeError:
        raise MalformedFileError(f"{path}{at}: not UTF-8 text", hint) from None
    except _SyntaxError as e:
        line = f":{e.line}" if e.line is not None else ""
        raise MalformedFileError(f"{path}{line}{at}: {e.message}", hint) from None
    except tomllib.TOMLDecodeError as e:
        raise MalformedFileError(f"{path}{at}: {e}", hint) from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise MalformedFileError(
            f"{path}{at}: expected a mapping of names to values, found a {type(doc).__name__}",
            hint,
        )
    plain: dict[str, Any] = _plain(doc)
    return plain


def _load_yaml(text: str, where: str) -> Any:
    # Imported here: only YAML files pay for ruamel's start-up.
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return compose_ruamel(YAML(typ="safe", pure=True), text, where)[1]
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        what = e.problem or e.context or "invalid YAML"
        raise _SyntaxError(what, mark.line + 1 if mark is not None else None) from None
    except YAMLError as e:
        raise _SyntaxError(str(e).strip().splitlines()[0] or "invalid YAML", None) from None


def _plain(value: Any) -> Any:
    """String keys, and dates as ISO text: values that print and go to JSON as they read."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return value


# -- values and differences ----------------------------------------------------------------


def _param_values(
    files: dict[PurePosixPath, frozenset[str] | None],
    raw: dict[PurePosixPath, bytes | None],
    side: str,
) -> Values:
    values: Values = {}
    for file, keys in files.items():
        data = raw[file]
        if data is None:
            continue  # a missing file: its keys show as added or deleted
        doc = _parse(data, file, side)
        if keys is None:
            values[str(file)] = flatten(doc)
            continue
        found = values.setdefault(str(file), {})
        for key in keys:
            try:
                value = lookup(doc, ParamRef(file, key), "")
            except UsageError:
                continue  # not in this version of the file: added or deleted
            if isinstance(value, dict) and value:
                found.update(flatten(value, f"{key}."))
            else:
                found[key] = value
    return values


def _metric_values(doc: dict[str, Any]) -> dict[str, Any]:
    """Numbers, strings and booleans, nested as in the file (DVC drops lists and nulls)."""
    kept: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            inner = _metric_values(value)
            if inner:
                kept[key] = inner
        elif isinstance(value, int | float | str):
            kept[key] = value
    return kept


def _metrics(side: _Side, paths: list[PurePosixPath]) -> tuple[MetricsFile, ...]:
    files: list[MetricsFile] = []
    for path, data in side.read(paths).items():
        doc = None if data is None else _metric_values(_parse(data, path, side.name))
        files.append(MetricsFile(str(path), doc))
    return tuple(files)


def _same(a: Any, b: Any) -> bool:
    """Equal with types: 1, 1.0 and true differ; NaN equals NaN (else it always 'changed')."""
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _change(old: Any, new: Any) -> int | float | None:
    """``new - old`` without float noise below the operands' own precision (0.93 - 0.9 is
    0.03, not 0.030000000000000027); None unless both are numbers."""
    if not (_is_number(old) and _is_number(new)):
        return None
    d: int | float = new - old
    if isinstance(d, int):
        return d
    if not math.isfinite(d):
        return None
    if d == 0:
        return 0.0
    scale = max(abs(old), abs(new))
    try:
        return round(d, 15 - math.ceil(math.log10(scale)))
    except OverflowError:  # next to the largest float, where there is no noise to drop
        return d


def _diff(old: Values, new: Values, with_unchanged: bool, changes: bool) -> tuple[Row, ...]:
    rows: list[Row] = []
    for path in sorted(old.keys() | new.keys()):
        o, n = old.get(path, {}), new.get(path, {})
        for key in sorted(o.keys() | n.keys()):
            state: RowState
            if key not in o:
                state = "added"
            elif key not in n:
                state = "deleted"
            else:
                state = "unchanged" if _same(o[key], n[key]) else "modified"
            if state == "unchanged" and not with_unchanged:
                continue
            a, b = o.get(key), n.get(key)
            rows.append(Row(path, key, state, a, b, _change(a, b) if changes else None))
    return tuple(rows)
