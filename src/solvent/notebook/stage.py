"""``solvent script``: a notebook becomes a typed script, a params section and a stage whose
command passes each parameter from params.yaml (``--lr ${train.lr}``)."""

from __future__ import annotations

import posixpath
import shlex
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from solvent.errors import UsageError
from solvent.notebook.cells import read_cells
from solvent.notebook.convert import Script, is_metric, to_script
from solvent.notebook.params import Parameter
from solvent.notebook.write import NewFiles, write_stage
from solvent.pipeline.spec.edit import NewOut, NewStage, StageAdded, check_name
from solvent.pipeline.spec.load import DEFAULT_PARAMS
from solvent.repo import RepoLayout


@dataclass(frozen=True, slots=True)
class ScriptMade:
    notebook: PurePosixPath
    script: Script
    path: PurePosixPath
    stage: StageAdded
    section: str
    wdir: PurePosixPath


def option_words(params: tuple[Parameter, ...], section: str) -> list[str]:
    """``--lr ${train.lr}`` for each parameter; a text holding spaces in double quotes."""
    words: list[str] = []
    for p in params:
        ref = f"${{{section}.{p.name}}}"
        words += [p.option, f'"{ref}"' if isinstance(p.value, str) and " " in p.value else ref]
    return words


def script_from_notebook(
    layout: RepoLayout, notebook: Path, out: Path, stage: str | None = None,
    *, force: bool = False,
) -> ScriptMade:  # fmt: skip
    nb = layout.rel(notebook, "notebook")
    rel = layout.rel(out, "-o")
    if rel.suffix != ".py":
        raise UsageError(f"-o {out}: the script's name must end in .py", "e.g. -o src/train.py")
    if nb.suffix != ".ipynb" or not layout.abs(nb).is_file():
        raise UsageError(f"{nb}: no such notebook", "name an .ipynb file in the repo")
    name = stage or rel.stem
    check_name(name)
    if not name.isidentifier():
        raise UsageError(
            f"stage {name!r}: its params section must be a Python-style name",
            "use letters, digits and '_' (e.g. --stage train_model)",
        )
    script = to_script(read_cells(layout.abs(nb), str(nb)), str(nb))
    wdir = nb.parent  # the notebook's paths are relative to its folder, as Jupyter runs it
    here = posixpath.relpath(str(rel), str(wdir))
    cmd = ["python", here, *option_words(script.parameters, name)]
    outs = tuple(NewOut(w, "metric", cache=False) if is_metric(w) else NewOut(w)
                 for w in script.writes)  # fmt: skip
    new = NewStage(
        name, (" ".join([shlex.join(cmd[:2]), *cmd[2:]]),),
        deps=(here, *script.reads), outs=outs,
        params=tuple(f"{name}.{p.name}" for p in script.parameters),
        wdir=None if str(wdir) == "." else str(wdir),
    )  # fmt: skip
    values = {p.name: p.value for p in script.parameters}
    files = NewFiles(rel, script.text, name, values, new, wdir / DEFAULT_PARAMS)
    added = write_stage(layout, files, force=force)
    return ScriptMade(nb, script, rel, added, name, wdir)
