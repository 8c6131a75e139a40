"""``solvent stage add``: write one stage into the pipeline file, leaving the rest as it was.

A plain ruamel round trip (load, add, dump) is not enough: it re-indents lists to one style and
attaches a comment between two stages to the stage above it, so adding after the last stage or
replacing one moves or drops comments the user never touched. So the new stage is rendered by
ruamel at the file's own indentation and spliced in as text; every other byte stays as it was.
The result is parsed again and must equal the old data plus the new stage, in order. Where it
does not (a flow-style ``stages: {}``, an unusual layout), ruamel's round-trip dump is used.
"""

from __future__ import annotations

import io
import math
import os
import posixpath
import re
import shlex
import string
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap

from solvent.errors import MalformedFileError, PathOutsideRepoError, SolventError, UsageError
from solvent.paths import check_relative
from solvent.pipeline import SPEC_FILES, spec_file
from solvent.pipeline.planning.graph import build_graph
from solvent.pipeline.spec.files import Lines, parse_spec
from solvent.pipeline.spec.interpolate import DataPath
from solvent.pipeline.spec.load import DEFAULT_PARAMS, load_pipeline
from solvent.pipeline.spec.model import OutKind
from solvent.repo import DOT, RepoLayout
from solvent.storage.fsutil import atomic_write
from solvent.tracking.pointer import pointer_path_for

# DVC's rule (dvc.stage.utils.is_valid_name): '@' names foreach/matrix items, ':' separates a
# file from a stage in a target, '/' and '.' make names look like paths.
INVALID_NAME_CHARS = frozenset(string.punctuation) - {"_", "-"}
NEW_SPEC = "solvent.yaml"
_SECTIONS: dict[OutKind, str] = {"out": "outs", "metric": "metrics", "plot": "plots"}
_WIDTH = 4096  # never fold a long cmd onto continuation lines


@dataclass(frozen=True, slots=True)
class NewOut:
    """An out as typed: ``path`` is relative to the stage's wdir."""

    path: str
    kind: OutKind = "out"
    cache: bool = True
    persist: bool = False


@dataclass(frozen=True, slots=True)
class NewStage:
    """A stage as ``solvent stage add`` receives it; paths as typed, relative to ``wdir``.

    ``command`` is one shell string or the words of a command line (DVC quotes words holding
    spaces). ``params`` use DVC's forms: ``key``, ``key1,key2``, ``file.yaml:key1,key2``, and
    ``file.yaml:`` for every key of a file. ``wdir`` is relative to the folder the command was
    typed in (default: that folder).
    """

    name: str
    command: tuple[str, ...]
    deps: tuple[str, ...] = ()
    outs: tuple[NewOut, ...] = ()
    params: tuple[str, ...] = ()
    wdir: str | None = None
    desc: str | None = None
    always_changed: bool = False


@dataclass(frozen=True, slots=True)
class StageAdded:
    name: str
    file: PurePosixPath  # solvent.yaml or dvc.yaml
    line: int | None  # where the stage now starts
    replaced: bool
    created: bool  # the file did not exist before


def add_stage(
    layout: RepoLayout, new: NewStage, *, force: bool = False, cwd: Path | None = None
) -> StageAdded:
    """Write ``new`` into the repo's pipeline file, or refuse with nothing changed on disk.

    The file is solvent.yaml, or dvc.yaml when that is all the repo has; a missing one is
    created. An existing stage of that name is an error unless ``force``, which replaces it
    where it stands.
    """
    check_name(new.name)
    cmd = command_line(new.command)
    wdir = _wdir(layout, cwd or Path.cwd(), new.wdir)
    entry = stage_entry(layout, new, cmd, wdir)
    with layout.writing():
        path = spec_file(layout.root) or layout.root / NEW_SPEC
        file = PurePosixPath(path.name)
        if path.is_symlink() or (path.exists() and not path.is_file()):
            raise UsageError(
                f"{file} is not a regular file; stage add replaces the file it edits",
                "replace it with a plain file, or add the stage by hand",
            )
        created = not path.exists()
        text = "" if created else _read(path, file)
        data, lines = parse_spec(text, file)
        stages = _stages(data, lines, file)
        replaced = new.name in stages
        if replaced and not force:
            raise UsageError(
                f"stage '{new.name}' already exists in {_at(file, lines, ('stages', new.name))}",
                "use --force to replace it, or choose another name",
            )
        new_text = insert_stage(text, file, new.name, entry)
        _check_loads(layout, file, new_text, new.name, created)
        mode = 0o644 if created else path.stat().st_mode & 0o7777
        atomic_write(path, new_text.encode("utf-8"), mode)
    _, new_lines = parse_spec(new_text, file)
    return StageAdded(new.name, file, new_lines.get(("stages", new.name)), replaced, created)


# -- the stage, from what was typed -----------------------------------------------------------


def check_name(name: str) -> None:
    bad = sorted(INVALID_NAME_CHARS & set(name))
    if bad:
        raise UsageError(
            f"invalid stage name {name!r}: it contains {' '.join(repr(c) for c in bad)}",
            "use letters, digits, '-' and '_' ('@' is for foreach/matrix items, "
            "':' for file:stage, '/' and '.' for paths)",
        )
    if not name.strip() or not name.isprintable() or name != name.strip():
        raise UsageError(
            f"invalid stage name {name!r}", "give a name such as 'train' or 'prepare-data'"
        )


def command_line(words: Sequence[str]) -> str:
    """The cmd DVC writes for the words after ``--``: joined by spaces, a word holding spaces
    in double quotes. Words DVC would break (spaces and a '"', empty) are shell-quoted."""
    if not words or not "".join(words).strip():
        raise UsageError(
            "no command given",
            "put the command last, after '--': solvent stage add -n train … -- python train.py",
        )
    if len(words) == 1:
        return words[0]

    def quote(word: str) -> str:
        if not word:
            return '""'
        if not any(c.isspace() for c in word):
            return word
        if '"' in word or any(c.isspace() and c != " " for c in word):
            return shlex.quote(word)
        return f'"{word}"'

    return " ".join(quote(w) for w in words)


def _wdir(layout: RepoLayout, cwd: Path, typed: str | None) -> PurePosixPath:
    where = f"-w {typed}" if typed is not None else "current folder"
    rel = layout.rel(cwd / (typed or "."), where)
    if not layout.abs(rel).is_dir():
        raise UsageError(f"{where}: no such folder", "wdir names an existing folder in the repo")
    return rel


def _repo_path(layout: RepoLayout, wdir: PurePosixPath, typed: str, where: str) -> PurePosixPath:
    """A path typed relative to ``wdir``, as a normalised repo-relative path inside the repo."""
    if "://" in typed:
        raise UsageError(
            f"{where}: {typed!r} is a URL",
            "Solvent tracks files inside the repo; download the data into it first",
        )
    if os.path.isabs(typed):
        return layout.rel(typed, where)
    joined = typed if str(wdir) == "." else f"{wdir}/{typed}"
    try:
        rel = check_relative(joined, where)
    except PathOutsideRepoError as e:
        hint = f"paths are relative to the stage's wdir ('{wdir}')" if str(wdir) != "." else None
        raise PathOutsideRepoError(e.message, e.hint or hint) from None
    layout.rel(layout.abs(rel), where)  # no symlinked parent leading out, not in .solvent/.git
    return rel


def _written(rel: PurePosixPath, wdir: PurePosixPath) -> str:
    return posixpath.relpath(str(rel), str(wdir))


def stage_entry(layout: RepoLayout, new: NewStage, cmd: str, wdir: PurePosixPath) -> dict[str, Any]:
    """The stage's yaml value, as ``dvc stage add`` writes it: keys in DVC's order, paths
    sorted, flags only where they differ from the default."""
    deps = [(f"dep {d!r}", _repo_path(layout, wdir, d, f"dep {d!r}")) for d in new.deps]
    outs = [(o, _repo_path(layout, wdir, o.path, f"{o.kind} {o.path!r}")) for o in new.outs]
    _check_declared(layout, new.name, deps, outs)
    entry: dict[str, Any] = {}
    if new.desc:
        entry["desc"] = new.desc
    entry["cmd"] = cmd
    if str(wdir) != ".":
        entry["wdir"] = str(wdir)
    if deps:
        entry["deps"] = sorted(_written(rel, wdir) for _, rel in deps)
    params = _params(layout, wdir, new.params)
    if params:
        entry["params"] = params
    for kind, section in _SECTIONS.items():
        items: list[Any] = []
        for out, rel in sorted(outs, key=lambda pair: _written(pair[1], wdir)):
            if out.kind != kind:
                continue
            flags: dict[str, bool] = {}
            if not out.cache:
                flags["cache"] = False
            if out.persist:
                flags["persist"] = True
            text = _written(rel, wdir)
            items.append({text: flags} if flags else text)
        if items:
            entry[section] = items
    if new.always_changed:
        entry["always_changed"] = True
    return entry


def _check_declared(
    layout: RepoLayout,
    name: str,
    deps: list[tuple[str, PurePosixPath]],
    outs: list[tuple[NewOut, PurePosixPath]],
) -> None:
    """DVC's argument checks: no path twice, no dep that is (inside) an out of the same stage,
    and no out that ``solvent add`` already tracks."""
    seen: dict[PurePosixPath, str] = {}
    for what, rel in [*deps, *((f"{o.kind} {o.path!r}", rel) for o, rel in outs)]:
        if rel in seen:
            raise UsageError(
                f"{what} names {rel}, already given as {seen[rel]}",
                "declare each path once, as a dep or as an out",
            )
        seen[rel] = what
    for out, o_rel in outs:
        for dep, d_rel in deps:
            if o_rel in d_rel.parents or d_rel in o_rel.parents:
                raise UsageError(
                    f"stage '{name}' would read {d_rel} ({dep}) and write {o_rel}, one inside "
                    "the other",
                    "a stage cannot depend on its own out; split it into two stages",
                )
        for other, other_rel in outs:
            if o_rel in other_rel.parents:
                raise UsageError(
                    f"{out.kind} {out.path!r} holds {other.kind} {other.path!r}",
                    "declare the folder or the files in it, not both",
                )
        for tracked in (o_rel, *list(o_rel.parents)[:-1]):
            pointer = pointer_path_for(tracked)
            if layout.abs(pointer).exists():
                raise UsageError(
                    f"{out.kind} {out.path!r}: {tracked} is already tracked by {pointer}",
                    f"a stage cannot write data that 'solvent add' tracks; delete {pointer} "
                    "(the data stays) to let the stage own it",
                )


def _params(
    layout: RepoLayout, wdir: PurePosixPath, typed: Sequence[str]
) -> list[str | dict[str, list[str] | None]]:
    """``-p`` values in DVC's shape: keys of the wdir's params.yaml first, then one
    ``{file: [keys]}`` per other file (``{file: None}`` for the whole file), sorted."""
    default = _repo_path(layout, wdir, DEFAULT_PARAMS, DEFAULT_PARAMS)
    files: dict[PurePosixPath, list[str]] = {}
    whole: set[PurePosixPath] = set()
    for item in typed:
        file_text, colon, keys_text = item.rpartition(":")
        keys = [k.strip() for k in keys_text.split(",") if k.strip()]
        if not keys and not colon:
            raise UsageError(
                f"-p {item!r} names no parameter",
                "write -p key, -p key1,key2, -p file.yaml:key, or -p file.yaml: for every key",
            )
        rel = default
        if file_text:
            rel = _repo_path(layout, wdir, file_text, f"params file {file_text!r}")
        files.setdefault(rel, []).extend(keys)
        if not keys:
            whole.add(rel)
    out: list[str | dict[str, list[str] | None]] = []
    for rel in sorted(files, key=lambda r: _written(r, wdir)):
        keys = [] if rel in whole else sorted(set(files[rel]))
        if keys and rel == default:
            out[:0] = keys
        else:
            out.append({_written(rel, wdir): keys or None})
    return out


# -- the file ---------------------------------------------------------------------------------


def _read(path: Path, file: PurePosixPath) -> str:
    try:
        return path.read_bytes().decode("utf-8")  # as is: CRLF line ends stay CRLF
    except UnicodeDecodeError:
        raise MalformedFileError(f"{file}: not UTF-8 text", "save the file as UTF-8") from None


def _at(file: PurePosixPath, lines: Lines, at: DataPath) -> str:
    line = lines.get(at)
    return f"{file}:{line}" if line is not None else str(file)


def _stages(data: Any, lines: Lines, file: PurePosixPath) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise MalformedFileError(f"{file}: expected a mapping with 'stages:', got a list or value")
    stages = data.get("stages")
    if stages is None:
        return {}
    if not isinstance(stages, dict):
        raise MalformedFileError(
            f"{_at(file, lines, ('stages',))}: 'stages' must be a mapping of stage names"
        )
    return stages


def _check_loads(
    layout: RepoLayout, file: PurePosixPath, text: str, name: str, created: bool
) -> None:
    """Load the new text with the spec loader and build its graph, in a temp folder that
    shows the repo's files (params, vars files, .dvc/config) through symlinks."""
    try:
        with tempfile.TemporaryDirectory(prefix="solvent-stage-") as tmp:
            shadow = Path(tmp)
            for entry in os.scandir(layout.root):
                if entry.name not in (*SPEC_FILES, DOT, ".git"):
                    os.symlink(entry.path, shadow / entry.name)
            (shadow / file.name).write_text(text, encoding="utf-8")
            pipeline = load_pipeline(shadow)
            if pipeline is not None:
                build_graph(pipeline)
    except SolventError as e:
        if not created:
            try:
                before = load_pipeline(layout.root)
                if before is not None:
                    build_graph(before)
            except SolventError as already:
                raise type(already)(
                    already.message,
                    f"{file} does not load even without the new stage; fix it first "
                    "(nothing was written)",
                ) from None
        # Lines of a text never written would mislead: name the stage instead.
        message = re.sub(rf"^{re.escape(str(file))}(:\d+)?: ", "", e.message)
        raise type(e)(f"stage '{name}' not added: {message}", e.hint) from None


# -- splicing text ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Indent:
    """The file's own block style: ruamel's ``mapping``, ``sequence`` and ``offset``."""

    mapping: int = 2
    sequence: int = 2
    offset: int = 0


def insert_stage(text: str, file: PurePosixPath, name: str, entry: Mapping[str, Any]) -> str:
    """``text`` with stage ``name`` set to ``entry``: replaced where it stands if it exists,
    else added after the last stage. Every line outside that stage stays byte for byte when
    the file's layout allows it (block-style ``stages:``); the result is checked by parsing."""
    data, lines = parse_spec(text, file)
    stages = _stages(data, lines, file)
    data = data or {}
    expected = {**data, "stages": {**stages, name: dict(entry)}}
    rows = re.split(r"(?<=\n)", text)
    if rows[-1] == "":
        rows.pop()
    newline = "\r\n" if "\r\n" in text else "\n"
    indent = _detect_indent(rows, lines, stages)
    new_text = _splice(rows, lines, data, name, entry, indent, newline)
    if new_text is None or not _parses_to(new_text, file, expected):
        new_text = _round_trip(text, name, entry, indent)
        if not _parses_to(new_text, file, expected):
            raise MalformedFileError(
                f"{file}: could not add stage '{name}' without changing the rest of the file",
                "add it by hand under stages:\n"
                + "".join(_render({name: entry}, indent, 2, "\n")).rstrip(),
            )
    return new_text


def _width(row: str) -> int:
    return len(row) - len(row.lstrip(" "))


def _is_blank(row: str) -> bool:
    return not row.strip()


def _is_comment(row: str) -> bool:
    return row.lstrip(" \t").startswith("#")


def _detect_indent(rows: list[str], lines: Lines, stages: dict[str, Any]) -> _Indent:
    """Indentation of the first stages that show it: their keys, and their first block list."""

    def row(line: int | None) -> str | None:
        return rows[line - 1] if line is not None and 0 < line <= len(rows) else None

    mapping: int | None = None
    seq: tuple[int, int] | None = None  # (offset, sequence)
    for sname, sdef in stages.items():
        top = row(lines.get(("stages", sname)))
        if top is None or not isinstance(sdef, dict):
            continue
        for key, value in sdef.items():
            k_line = lines.get(("stages", sname, key))
            k_row = row(k_line)
            if k_row is None or k_line == lines.get(("stages", sname)):
                continue
            if mapping is None:
                mapping = _width(k_row) - _width(top)
            i_line = lines.get(("stages", sname, key, 0))
            i_row = row(i_line)
            if seq is None and isinstance(value, list) and i_row is not None and i_line != k_line:
                dash = _width(i_row)
                if i_row[dash : dash + 1] == "-":
                    after = i_row[dash + 1 :]
                    offset = dash - _width(k_row)
                    seq = (offset, offset + 1 + len(after) - len(after.lstrip(" ")))
        if mapping is not None and seq is not None:
            break
    offset, sequence = seq or (0, 2)
    result = _Indent(mapping or 2, sequence, offset)
    if result.mapping < 1 or result.offset < 0 or result.sequence < result.offset + 2:
        return _Indent()
    return result


def _render(obj: Mapping[str, Any], indent: _Indent, col: int, newline: str) -> list[str]:
    yaml = YAML(typ="rt")
    yaml.indent(mapping=indent.mapping, sequence=indent.sequence, offset=indent.offset)
    yaml.width = _WIDTH
    buf = io.StringIO()
    yaml.dump(dict(obj), buf)
    rows = buf.getvalue().split("\n")[:-1]
    return [(" " * col + row if row else row) + newline for row in rows]


def _extent(rows: list[str], start: int, col: int) -> int:
    """End (exclusive) of the stage whose key is on row ``start`` at column ``col``: every
    deeper row, without the blank rows and shallow comments that lead to what follows."""
    end = start + 1
    while end < len(rows) and (
        _is_blank(rows[end]) or _is_comment(rows[end]) or _width(rows[end]) > col
    ):
        end += 1
    while end > start + 1 and (
        _is_blank(rows[end - 1]) or (_is_comment(rows[end - 1]) and _width(rows[end - 1]) <= col)
    ):
        end -= 1
    return end


def _splice(
    rows: list[str],
    lines: Lines,
    data: dict[str, Any],
    name: str,
    entry: Mapping[str, Any],
    indent: _Indent,
    newline: str,
) -> str | None:
    """The new text, or None where the file's layout leaves no clean place for the stage."""
    rows = list(rows)
    if rows and not rows[-1].endswith("\n"):
        rows[-1] += newline
    if "stages" not in data:
        gap = [newline] if data and not _is_blank(rows[-1]) else []
        block = _render({"stages": {name: entry}}, indent, 0, newline)
        return "".join([*rows, *gap, *block])
    stages = data["stages"]
    starts = [lines.get(("stages", s)) for s in stages] if isinstance(stages, dict) else []
    if not starts or any(s is None or not 0 < s <= len(rows) for s in starts):
        return None  # `stages:` empty or null: the round trip handles it
    begin = [s - 1 for s in starts if s is not None]
    if starts[0] == lines.get(("stages",)):
        return None  # flow style: `stages: {a: …}`
    col = _width(rows[begin[0]])
    ends = [_extent(rows, b, col) for b in begin]
    block = _render({name: entry}, indent, col, newline)
    names = list(stages)
    if name in stages:
        i = names.index(name)
        return "".join([*rows[: begin[i]], *block, *rows[ends[i] :]])
    gaps = [any(_is_blank(r) for r in rows[e:b]) for e, b in zip(ends, begin[1:], strict=False)]
    separate = sum(gaps) * 2 > len(gaps)
    at = ends[-1]
    return "".join([*rows[:at], *([newline] if separate else []), *block, *rows[at:]])


def _round_trip(text: str, name: str, entry: Mapping[str, Any], indent: _Indent) -> str:
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = _WIDTH
    yaml.indent(mapping=indent.mapping, sequence=indent.sequence, offset=indent.offset)
    doc = yaml.load(text) if text.strip() else None
    if not isinstance(doc, CommentedMap):
        doc = CommentedMap()
    doc.fa.set_block_style()
    stages = doc.get("stages")
    if not isinstance(stages, CommentedMap):
        stages = doc["stages"] = CommentedMap()
    stages.fa.set_block_style()
    stages[name] = dict(entry)
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()


def _parses_to(text: str, file: PurePosixPath, expected: Any) -> bool:
    try:
        data, _ = parse_spec(text, file)
    except SolventError:
        return False
    return list(_ordered(data)) == list(_ordered(expected))


def _ordered(value: Any) -> Iterator[Any]:
    """A flat walk of ``value`` that tells apart key order and NaN-equal floats."""
    if isinstance(value, dict):
        yield "{"
        for k, v in value.items():
            yield from _ordered(k)
            yield from _ordered(v)
        yield "}"
    elif isinstance(value, list):
        yield "["
        for v in value:
            yield from _ordered(v)
        yield "]"
    elif isinstance(value, float) and math.isnan(value):
        yield ("nan",)
    else:
        yield (type(value), value)
