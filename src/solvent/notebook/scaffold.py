"""``solvent stage new NAME``: a new stage in the shape that pays no debt from the start — a
typed Typer script whose every setting is an option, its section of params.yaml, and the
stage entry that passes each param on the command line and declares its files."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import yaml

from solvent.errors import UsageError
from solvent.notebook.convert import is_metric, python_literal
from solvent.notebook.write import NewFiles, write_stage
from solvent.pipeline.spec.edit import NewOut, NewStage, StageAdded, check_name
from solvent.pipeline.spec.load import DEFAULT_PARAMS
from solvent.repo import RepoLayout

DEFAULT_PARAMS_VALUES: dict[str, Any] = {"seed": 0}


@dataclass(frozen=True, slots=True)
class Scaffolded:
    script: PurePosixPath
    stage: StageAdded
    section: str
    values: dict[str, Any]


def parse_params(items: list[str]) -> dict[str, Any]:
    """``-p lr=0.1 -p epochs=10`` → {lr: 0.1, epochs: 10}: YAML values, names usable as
    Python arguments."""
    values: dict[str, Any] = {}
    for item in items:
        key, eq, text = item.partition("=")
        key = key.strip()
        if not eq or not key.isidentifier() or keyword.iskeyword(key):
            raise UsageError(f"-p {item!r}: expected NAME=VALUE", "e.g. -p lr=0.1 -p epochs=10")
        value = yaml.safe_load(text) if text.strip() else ""
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise UsageError(
                f"-p {item!r}: a param of a new stage is a number or a text",
                "write a flag's on/off as 0 or 1",
            )
        values[key] = value
    return values


def new_stage(
    layout: RepoLayout, name: str, *, script: Path | None = None, deps: list[str] | None = None,
    outs: list[str] | None = None, params: list[str] | None = None, force: bool = False,
) -> Scaffolded:  # fmt: skip
    check_name(name)
    if not name.isidentifier():
        raise UsageError(
            f"stage {name!r}: its params section must be a Python-style name",
            "use letters, digits and '_' (e.g. train_model)",
        )
    rel = layout.rel(script or layout.root / "src" / f"{name}.py", "--script")
    if rel.suffix != ".py":
        raise UsageError(f"--script {rel}: the name must end in .py", f"e.g. src/{name}.py")
    values = parse_params(params or []) or dict(DEFAULT_PARAMS_VALUES)
    files = _options(deps or [], "input") + _options(outs or [], "output")
    taken = set(values)
    for opt, _ in files:
        if opt in taken:
            raise UsageError(f"{opt!r} is both a param and a file option", "rename the param")
        taken.add(opt)
    text = template(name, values, files, len(deps or []))
    cmd = ["python", str(rel)]
    cmd += [w for opt, path in files for w in (_flag(opt), path)]
    cmd += [w for key in values for w in (_flag(key), f"${{{name}.{key}}}")]
    new = NewStage(
        name, (" ".join(cmd),), deps=(str(rel), *(deps or [])),
        outs=tuple(NewOut(o, "metric", cache=False) if is_metric(o) else NewOut(o)
                   for o in outs or []),
        params=tuple(f"{name}.{k}" for k in values),
    )  # fmt: skip
    files_ = NewFiles(rel, text, name, values, new, PurePosixPath(DEFAULT_PARAMS))
    added = write_stage(layout, files_, force=force)
    return Scaffolded(rel, added, name, values)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _options(paths: list[str], fallback: str) -> list[tuple[str, str]]:
    """An option name for each file: its stem as an identifier (``data/train.csv`` → train),
    numbered when two agree."""
    found: list[tuple[str, str]] = []
    for path in paths:
        stem = re.sub(r"\W+", "_", PurePosixPath(path).stem).strip("_").lower() or fallback
        if stem[0].isdigit() or keyword.iskeyword(stem):
            stem = f"{fallback}_{stem}"
        name, n = stem, 2
        while any(name == f for f, _ in found):
            name, n = f"{stem}_{n}", n + 1
        found.append((name, path))
    return found


def template(name: str, values: dict[str, Any], files: list[tuple[str, str]], n_in: int) -> str:
    args = []
    for i, (opt, path) in enumerate(files):
        helps = python_literal(("Reads " if i < n_in else "Writes ") + path)
        args.append(f"    {opt}: Annotated[Path, typer.Option(help={helps})],")
    for key, v in values.items():
        typed = f"Annotated[{type(v).__name__}, typer.Option()]"
        args.append(f"    {key}: {typed} = {python_literal(v)},")
    reads = ", ".join(opt for opt, _ in files[:n_in]) or "the inputs"
    writes = [opt for opt, _ in files[n_in:]]
    todo = python_literal(f"write stage {name}'s code in main()")
    body = [
        f"    # read {reads}; write {', '.join(writes) or 'the outputs'}",
        "    # (every file the stage reads or writes is an option, declared in solvent.yaml)",
        *(f"    {w}.parent.mkdir(parents=True, exist_ok=True)" for w in writes),
        f"    raise NotImplementedError({todo})",
    ]
    return "\n".join([
        f'"""Stage {name}: <say what it makes, from what>.',
        "",
        f"Its settings are options; solvent.yaml passes them from params.yaml (section {name}).",
        '"""',
        "",
        "from pathlib import Path",
        "from typing import Annotated",
        "",
        "import typer",
        "",
        "",
        "def main(",
        *args,
        ") -> None:",
        *body,
        "",
        "",
        'if __name__ == "__main__":',
        "    typer.run(main)",
        "",
    ])  # fmt: skip
