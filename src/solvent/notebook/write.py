"""Putting a new stage's three parts in the repo: its script, its section of params.yaml and
its entry in solvent.yaml. All three or none: on any error the files are as they were.

params.yaml keeps every byte it had: the new section is rendered by ruamel and appended, and
the result must parse to the old values plus the section (as ``stage add`` splices stages).
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from solvent.errors import MalformedFileError, UsageError
from solvent.pipeline.spec.edit import NewStage, StageAdded, add_stage
from solvent.repo import RepoLayout
from solvent.storage.fsutil import atomic_write


@dataclass(frozen=True, slots=True)
class NewFiles:
    script: PurePosixPath
    script_text: str
    section: str
    values: Mapping[str, Any]  # the params section; empty: none written
    stage: NewStage
    params_file: PurePosixPath  # the params.yaml of the stage's wdir


def write_stage(layout: RepoLayout, new: NewFiles, *, force: bool = False) -> StageAdded:
    script = layout.abs(new.script)
    if script.exists() and not force:
        raise UsageError(f"{new.script} exists", "choose another -o, or --force to replace it")
    params = layout.abs(new.params_file)
    params_text = with_section(params, new.section, new.values, force) if new.values else None
    with _undo_on_error([script, params]):
        script.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(script, new.script_text.encode())
        if params_text is not None:
            atomic_write(params, params_text.encode())
        return add_stage(layout, new.stage, force=force, cwd=layout.root)


@contextmanager
def _undo_on_error(paths: list[Path]) -> Iterator[None]:
    before = {p: p.read_bytes() if p.is_file() else None for p in paths}
    made = [p for p in (paths[0].parent, *paths[0].parents) if not p.exists()]
    try:
        yield
    except BaseException:
        for path, data in before.items():
            if data is None:
                path.unlink(missing_ok=True)
            elif path.read_bytes() != data:
                atomic_write(path, data)
        for folder in made:
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise


def with_section(path: Path, section: str, values: Mapping[str, Any], replace: bool = False) -> str:
    """params.yaml's text with ``section`` added at the end; a section of that name already
    there is an error (its values would be lost or mixed) unless ``replace``, which sets it
    where it stands (a ruamel round trip: comments kept)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    name = path.name
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    safe = YAML(typ="safe", pure=True)
    try:
        old = safe.load(text) if text.strip() else {}
    except YAMLError as e:
        raise MalformedFileError(f"{name}: not valid YAML ({e})", "fix it first") from None
    if old is None:
        old = {}
    if not isinstance(old, dict):
        raise MalformedFileError(f"{name}: expected a mapping of sections", "fix it first")
    if section in old and not replace:
        raise UsageError(
            f"{name} already has a section '{section}'",
            "choose another --stage name, or --force to replace the section and the stage",
        )
    rt = YAML(typ="rt")
    rt.default_flow_style = False
    rendered = io.StringIO()
    rt.dump({section: dict(values)}, rendered)
    joined = text + ("\n" if text and not text.endswith("\n") else "") + rendered.getvalue()
    if section in old or safe.load(joined) != {**old, section: dict(values)}:
        doc = rt.load(text)
        doc[section] = dict(values)
        out = io.StringIO()
        rt.dump(doc, out)
        joined = out.getvalue()
    return joined
