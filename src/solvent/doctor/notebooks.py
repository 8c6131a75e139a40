"""Notebook debt (the prototype smell, §5.4): stages that run a notebook, and notebooks in git
that hold code the pipeline depends on — a file a stage reads, tracked data they rewrite, or
the model's training — though no stage runs them. Cells are read with ``ast``; nothing runs."""

from __future__ import annotations

import ast
import posixpath
import re
import shlex
from pathlib import PurePosixPath

from solvent.doctor.code_scan import DATA_SUFFIXES
from solvent.doctor.findings import Finding
from solvent.doctor.project import Project
from solvent.errors import SolventError
from solvent.pipeline.spec.model import Stage

# Commands that execute a notebook.
_RUNNERS = (
    re.compile(r"\bpapermill\b"),
    re.compile(r"\bjupyter[- ]nbconvert\b.*--execute\b|--execute\b.*\bjupyter[- ]nbconvert\b"),
    re.compile(r"\bjupyter[- ]execute\b"),
    re.compile(r"-m\s+(?:papermill|nbconvert|nbclient|jupyter)\b"),
    re.compile(r"\b(?:ipython3?|runipy|nbexec)\b"),
    re.compile(r"\b(?:jupytext|quarto)\b.*--execute\b"),  # without it they only convert
)
_POINTERS = (".solvent", ".dvc")


def scan(project: Project) -> list[Finding]:
    found: list[Finding] = []
    run_by_stage: set[str] = set()
    for stage in project.stages:
        nb = _notebook_run(stage)
        if nb is not None:
            run_by_stage.add(_in_repo(stage.wdir, nb))
            found.append(_stage_runs(project, stage, nb))
    for rel in sorted(project.git_files or ()):
        if rel.endswith(".ipynb") and rel not in run_by_stage:
            found += _only_in_notebook(project, PurePosixPath(rel))
    return found


def _notebook_run(stage: Stage) -> str | None:
    """The notebook a stage's command executes, if it does."""
    for cmd in stage.cmd:
        if not any(r.search(cmd) for r in _RUNNERS):
            continue
        try:
            words = shlex.split(cmd)
        except ValueError:
            words = cmd.split()
        notebooks = [w for w in words if w.endswith(".ipynb")]
        if notebooks:
            return notebooks[0]
    return None


def _in_repo(wdir: PurePosixPath, path: str) -> str:
    return posixpath.normpath(posixpath.join(str(wdir), path))


def _stage_runs(project: Project, stage: Stage, nb: str) -> Finding:
    script = f"src/{PurePosixPath(nb).stem}.py"
    return Finding(
        "smells", "notebook-stage", "warning",
        f"stage '{stage.name}' runs the notebook {nb}: its code is reviewed as JSON, its "
        "parameters are not options, and nothing can import or test it",
        f"remove stage '{stage.name}' from {project.stage_file(stage)}, then 'solvent script "
        f"{nb} -o {script} --stage {stage.name}' makes it a typed script and the stage again",
        file=project.stage_file(stage), line=project.line_in_stage(stage, nb),
        stage=stage.name, subject=nb,
    )  # fmt: skip


def _tracked(project: Project, rel: str) -> str | None:
    """Why ``rel`` is the pipeline's data: the stage that reads it, a stage's out, or how it
    is versioned; None when it is none of these."""
    path = PurePosixPath(rel)
    for stage in project.stages:
        if any(d == path or d in path.parents for d in stage.deps):
            return f"stage '{stage.name}' reads"
    for stage in project.stages:
        if any(o.path == path or o.path in path.parents for o in stage.outs):
            return f"stage '{stage.name}' writes"
    files = project.git_files or set()
    for pointer in files:
        if pointer.endswith(_POINTERS):
            target = PurePosixPath(pointer.rsplit(".", 1)[0])
            if target == path or target in path.parents:
                return f"{pointer} versions"
    if rel in files and path.suffix.lower() in DATA_SUFFIXES:
        return "git tracks"
    return None


def _only_in_notebook(project: Project, nb: PurePosixPath) -> list[Finding]:
    from solvent.notebook.cells import code_cells, read_cells
    from solvent.notebook.files import file_uses, string_names

    try:
        cells = code_cells(read_cells(project.layout.abs(nb), str(nb)))
    except SolventError:
        return []
    names: dict[str, str] = {}
    for c in cells:
        if c.tree is not None:
            names.update(string_names(c.tree))
    found: list[Finding] = []
    data_read: list[tuple[str, str]] = []
    fits: list[tuple[int, int]] = []
    for c in cells:
        if c.tree is None:
            continue
        for use in file_uses(c.tree, names):
            rel = _in_repo(nb.parent, use.path)
            why = _tracked(project, rel)
            if why is None:
                continue
            if use.access == "write":
                found.append(_writes(nb, c.cell.number, use.line, rel, why))
            elif use.access == "read":
                data_read.append((rel, why))
        fits += [(c.cell.number, n.lineno) for n in ast.walk(c.tree)
                 if isinstance(n, ast.Call) and _callee(n) == "fit"]  # fmt: skip
    if data_read and fits:
        cell, line = fits[0]
        found.append(_trains(nb, cell, line, sorted(dict.fromkeys(r for r, _ in data_read))))
    return found


def _writes(nb: PurePosixPath, cell: int, line: int, rel: str, why: str) -> Finding:
    return Finding(
        "smells", "notebook-only-code", "warning",
        f"the notebook {nb} writes {rel} (cell {cell}, line {line}), which {why}: the "
        "pipeline depends on a notebook someone runs by hand, and nothing reruns it when its "
        "inputs change",
        f"make it a stage: 'solvent script {nb} -o src/{nb.stem}.py' writes the notebook as "
        f"a typed script and adds the stage, with {rel} as its out",
        file=str(nb), line=line, cell=cell, subject=rel,
    )  # fmt: skip


def _trains(nb: PurePosixPath, cell: int, line: int, reads: list[str]) -> Finding:
    return Finding(
        "smells", "notebook-only-code", "warning",
        f"the notebook {nb} trains a model (fit( in cell {cell}, line {line}) on "
        f"{', '.join(reads[:3])}, and no stage runs it: the model's code is not in the "
        "pipeline, so nobody can rerun, review or test it",
        f"'solvent script {nb} -o src/{nb.stem}.py' makes it a typed script and a stage "
        "(then mark the stage 'type: model')",
        file=str(nb), line=line, cell=cell, subject="training",
    )  # fmt: skip


def _callee(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
