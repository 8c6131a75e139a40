"""``solvent freeze``, ``unfreeze`` and ``remove STAGE``: change one stage of the pipeline file,
leaving every other byte as it was (comments, blank lines, quoting).

As in ``edit``, the change is made as text on the stage's own rows and the result is parsed
again: it must equal the old data with only that change. Where the layout leaves no clean
place (a flow-style stage, ``frozen`` written over two lines) ruamel's round trip is used,
and its result is checked the same way.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from solvent.errors import MalformedFileError, UsageError
from solvent.pipeline import spec_file
from solvent.pipeline.planning.lock import LOCK_FILE
from solvent.pipeline.spec.edit import (
    _extent,
    _is_blank,
    _is_comment,
    _parses_to,
    _read,
    _stages,
    _width,
)
from solvent.pipeline.spec.files import Lines, parse_spec
from solvent.pipeline.spec.model import Stage
from solvent.repo import RepoLayout
from solvent.storage.fsutil import atomic_write

_FROZEN_ROW = re.compile(r"^(\s*frozen\s*:[ \t]*)([^#\r\n]*?)([ \t]*(?:#[^\r\n]*)?)(\r?\n)?$")


@dataclass(frozen=True, slots=True)
class StageEdit:
    stage: str
    file: PurePosixPath
    changed: bool  # False: the file already said so


def set_frozen(layout: RepoLayout, name: str, frozen: bool) -> StageEdit:
    """Write ``frozen: true`` into stage ``name`` (``frozen`` False removes the key, as DVC
    does: a stage is not frozen unless it says so)."""
    verb = "freeze" if frozen else "unfreeze"
    _, file, text = _open(layout)
    _stage_body(*parse_spec(text, file), file, name, verb)  # a mistake takes no lock
    with layout.writing():
        path, file, text = _open(layout)
        data, lines = parse_spec(text, file)
        body = _stage_body(data, lines, file, name, verb)
        if (body.get("frozen") is True) if frozen else ("frozen" not in body):
            return StageEdit(name, file, False)
        new_body = (
            {**body, "frozen": True} if frozen else {k: v for k, v in body.items() if k != "frozen"}
        )
        expected = {**data, "stages": {**data["stages"], name: new_body}}
        rows = _rows(text)
        new_text = _frozen_text(rows, lines, name, body, frozen, _newline(text))
        if new_text is None or not _parses_to(new_text, file, expected):
            new_text = _round_trip(text, name, lambda stage: _set_key(stage, frozen))
        _write_checked(path, file, new_text, expected)
    return StageEdit(name, file, True)


@dataclass(frozen=True, slots=True)
class StageRemoved:
    stage: str
    file: PurePosixPath
    outs_removed: tuple[str, ...]  # deleted from the workspace (--outs)


def drop_stage(
    layout: RepoLayout, name: str, stages: list[Stage], remove_outs: bool
) -> StageRemoved:
    """``solvent remove STAGE``: the stage (a foreach/matrix group: all its items, given as
    ``stages``) out of the pipeline file and the lock, its cached outs out of ``.gitignore``;
    with ``remove_outs`` its outs out of the workspace (they stay in the cache)."""
    import shutil

    from solvent.pipeline.planning.lock import read_lock, write_lock
    from solvent.tracking.move import unignore_in_git

    with layout.writing():
        edit = remove_stage(layout, name)
        lock = read_lock(layout.root)
        names = {s.name for s in stages}
        if names & set(lock):
            kept = {k: v for k, v in lock.items() if k not in names}
            if kept:
                write_lock(layout.root, kept)
            else:
                (layout.root / LOCK_FILE).unlink()
        removed = []
        for out in (o for s in stages for o in s.outs):
            if out.cache:
                unignore_in_git(layout, out.path)
            path = layout.writable(out.path, f"stage {name}")
            if remove_outs and (path.exists() or path.is_symlink()):
                if path.is_dir() and not path.is_symlink():
                    shutil.rmtree(path)
                else:
                    path.unlink()
                removed.append(str(out.path))
    return StageRemoved(name, edit.file, tuple(removed))


def remove_stage(layout: RepoLayout, name: str) -> StageEdit:
    """Take stage ``name`` out of the pipeline file (with the comment rows just above it); the
    file is deleted when it held nothing else, as DVC does. The caller holds the repo lock."""
    path, file, text = _open(layout)
    data, lines = parse_spec(text, file)
    _stage_body(data, lines, file, name, "remove", any_body=True)
    stages = {k: v for k, v in data["stages"].items() if k != name}
    if not stages and set(data) == {"stages"}:
        path.unlink()
        return StageEdit(name, file, True)
    expected = {**data, "stages": stages}
    new_text = _removed_text(_rows(text), lines, name)
    if new_text is None or not _parses_to(new_text, file, expected):
        new_text = _round_trip(text, name, None)
    _write_checked(path, file, new_text, expected)
    return StageEdit(name, file, True)


def _open(layout: RepoLayout) -> tuple[Path, PurePosixPath, str]:
    path = spec_file(layout.root)
    if path is None:
        raise UsageError(
            f"no solvent.yaml or dvc.yaml in {layout.root}",
            "declare stages with 'solvent stage add'",
        )
    file = PurePosixPath(path.name)
    if path.is_symlink():
        raise UsageError(f"{file} is a symlink; Solvent edits only a plain file", "edit it by hand")
    return path, file, _read(path, file)


def _stage_body(
    data: Any, lines: Lines, file: PurePosixPath, name: str, verb: str, any_body: bool = False
) -> dict[str, Any]:
    stages = _stages(data, lines, file)
    if name not in stages:
        base = name.partition("@")[0]
        if "@" in name and base in stages:
            raise UsageError(
                f"stage '{name}' is one item of '{base}' (foreach/matrix) in {file}",
                f"{verb} the whole group: solvent {verb} {base}",
            )
        known = ", ".join(stages) or "none"
        raise UsageError(f"no stage '{name}' in {file} (stages: {known})", "solvent dag lists them")
    body = stages[name]
    if not isinstance(body, dict):
        raise MalformedFileError(f"{file}: stage '{name}' is not a mapping", "fix the file first")
    if not any_body and "foreach" in body:
        raise UsageError(
            f"stage '{name}' in {file} is a foreach group: its stages are written under 'do:'",
            f"add 'frozen: true' under {name}'s 'do:' by hand",
        )
    return body


def _rows(text: str) -> list[str]:
    rows = re.split(r"(?<=\n)", text)
    if rows and rows[-1] == "":
        rows.pop()
    return rows


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _frozen_text(
    rows: list[str], lines: Lines, name: str, body: dict[str, Any], frozen: bool, newline: str
) -> str | None:
    start = lines.get(("stages", name))
    if start is None or not body:
        return None
    keys = [lines.get(("stages", name, k)) for k in body]
    if any(k is None or k == start for k in keys):
        return None  # flow style: the round trip handles it
    rows = list(rows)
    at = lines.get(("stages", name, "frozen"))
    if at is not None:
        m = _FROZEN_ROW.match(rows[at - 1])
        if m is None:
            return None
        if frozen:
            rows[at - 1] = f"{m.group(1)}true{m.group(3)}{m.group(4) or ''}"
        else:
            del rows[at - 1]
        return "".join(rows)
    first_key = rows[min(k for k in keys if k is not None) - 1]
    col = _width(rows[start - 1])
    end = _extent(rows, start - 1, col)
    if not rows[end - 1].endswith("\n"):
        rows[end - 1] += newline
    rows.insert(end, " " * _width(first_key) + "frozen: true" + newline)
    return "".join(rows)


def _removed_text(rows: list[str], lines: Lines, name: str) -> str | None:
    start = lines.get(("stages", name))
    if start is None or start == lines.get(("stages",)):
        return None
    begin = start - 1
    col = _width(rows[begin])
    end = _extent(rows, begin, col)
    while begin > 0 and _is_comment(rows[begin - 1]) and _width(rows[begin - 1]) == col:
        begin -= 1
    kept = rows[:begin] + rows[end:]
    if begin < len(kept) and _is_blank(kept[begin]) and (begin == 0 or _is_blank(kept[begin - 1])):
        del kept[begin]  # no double blank line where the stage was
    if rows and not _is_blank(rows[-1]):
        while kept and _is_blank(kept[-1]):
            kept.pop()  # the last stage's blank separator, left at the end of the file
    return "".join(kept)


def _set_key(stage: Any, frozen: bool) -> None:
    if frozen:
        stage["frozen"] = True
    else:
        stage.pop("frozen", None)


def _round_trip(text: str, name: str, change: Any) -> str:
    """ruamel's round trip: ``change(stage)`` edits the stage; None deletes it."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 4096
    doc = yaml.load(text)
    if change is None:
        del doc["stages"][name]
    else:
        change(doc["stages"][name])
    buf = io.StringIO()
    yaml.dump(doc, buf)
    return buf.getvalue()


def _write_checked(path: Path, file: PurePosixPath, text: str, expected: Any) -> None:
    if not _parses_to(text, file, expected):
        raise MalformedFileError(
            f"{file}: could not change it without changing the rest of the file",
            "make the change by hand",
        )
    atomic_write(path, text.encode("utf-8"), path.stat().st_mode & 0o7777)
