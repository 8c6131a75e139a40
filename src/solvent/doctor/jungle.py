"""Pipeline jungle (§5.2): outs nobody reads, stages nobody runs, and data files in the repo
that neither git nor Solvent versions."""

from __future__ import annotations

import os
from pathlib import PurePosixPath

from solvent.doctor.code_scan import DATA_SUFFIXES
from solvent.doctor.findings import Finding
from solvent.doctor.project import Project, is_model_out
from solvent.git import POINTER_SUFFIX
from solvent.pipeline.spec.model import Stage

MIN_DATA_SIZE = 1 << 20  # smaller files are fixtures and samples, fine in git
# Folders of tools (experiment trackers, caches) whose files are theirs to keep.
_SKIP_DIRS = {".git", ".solvent", ".dvc", "node_modules", "__pycache__", ".venv", "venv",
              ".tox", ".mypy_cache", ".pytest_cache", ".ruff_cache", "mlruns", "wandb",
              "lightning_logs", ".ipynb_checkpoints", ".cache"}  # fmt: skip
POINTERS = (POINTER_SUFFIX, ".dvc")  # Solvent's pointer files, and DVC's


def scan(project: Project) -> list[Finding]:
    return [*_dead_outs(project), *_never_run(project), *_untracked_data(project)]


def _dead_outs(project: Project) -> list[Finding]:
    found: list[Finding] = []
    for stage in project.stages:
        if _health_artifact(stage):
            continue  # a learned threshold or an audit is read by people and by serving
        for out in stage.outs:
            if (
                out.kind != "out"
                or stage.type == "model"
                or is_model_out(out)
                or project.is_read(out.path)
                or _shown(project, out.path)
            ):
                continue
            found.append(
                Finding(
                    "jungle",
                    "dead-out",
                    "warning",
                    f"stage '{stage.name}' writes {out.path}, which no stage reads",
                    f"stop writing it (delete it from the outs of '{stage.name}' and from its "
                    "script), declare it as a metric or plot if a person reads it, or add it "
                    "to the deps of the stage that should use it",
                    file=project.stage_file(stage),
                    line=project.line_in_stage(stage, str(out.path)),
                    stage=stage.name,
                    subject=str(out.path),
                )
            )
    return found


def _shown(project: Project, path: PurePosixPath) -> bool:
    """Whether the spec's top-level metrics, params or plots name ``path``, a file inside it
    (dvclive's folder holding metrics.json) or a folder holding it: people read those."""
    top = project.pipeline.top_level_paths() if project.pipeline else ()
    return any(p == path or path in p.parents or p in path.parents for p in top)


def _health_artifact(stage: Stage) -> bool:
    text = " ".join(stage.cmd)
    return "solvent threshold fit" in text or "solvent audit" in text


def _never_run(project: Project) -> list[Finding]:
    found: list[Finding] = []
    for stage in project.stages:
        runs = project.runs_of(stage.name)
        if stage.name in project.lock or any(r.status in ("ran", "restored") for r in runs):
            continue
        failed = [r for r in runs if r.status == "failed"]
        why = (
            f"its {len(failed)} run(s) failed (last: {failed[-1].error or 'no error recorded'})"
            if failed
            else "no lock entry and no recorded run"
        )
        found.append(
            Finding(
                "jungle",
                "never-run",
                "warning",
                f"stage '{stage.name}' has never run to the end: {why}",
                f"run it ('solvent repro {stage.name}') or delete it from "
                f"{project.stage_file(stage)}",
                file=project.stage_file(stage),
                line=stage.where.line,
                stage=stage.name,
            )
        )
    return found


def _untracked_data(project: Project) -> list[Finding]:
    """Data files over 1 MiB that git does not track and no pointer or stage out covers; a
    folder of several such files is one finding."""
    git_files = project.git_files or set()
    covered = {str(o.path) for s in project.stages for o in s.outs}
    loose: list[tuple[str, int]] = []
    root = str(project.root)
    for folder, dirs, files in os.walk(root):
        rel_dir = os.path.relpath(folder, root)
        rel_dir = "" if rel_dir == "." else rel_dir.replace(os.sep, "/")
        names = set(files) | set(dirs)
        tracked_here = {
            n[: -len(suffix)] for n in names for suffix in POINTERS if n.endswith(suffix)
        }
        dirs[:] = sorted(
            d for d in dirs
            if d not in _SKIP_DIRS and d not in tracked_here
            and _join(rel_dir, d) not in covered
            and not os.path.exists(os.path.join(folder, d, "pyvenv.cfg"))
        )  # fmt: skip
        for name in sorted(files):
            rel = _join(rel_dir, name)
            if (
                PurePosixPath(name).suffix.lower() not in DATA_SUFFIXES
                or name in tracked_here
                or rel in covered
                or rel in git_files
            ):
                continue
            try:
                size = os.stat(os.path.join(folder, name)).st_size
            except OSError:
                continue
            if size >= MIN_DATA_SIZE:
                loose.append((rel, size))
    by_folder: dict[str, list[tuple[str, int]]] = {}
    for rel, size in loose:
        by_folder.setdefault(str(PurePosixPath(rel).parent), []).append((rel, size))
    found: list[Finding] = []
    for folder, items in sorted(by_folder.items()):
        if len(items) == 1 or folder == ".":
            found += [_untracked(rel, size) for rel, size in items]
        else:
            found.append(_untracked(folder, sum(s for _, s in items), len(items)))
    return found


def _untracked(rel: str, size: int, files: int = 1) -> Finding:
    what = f"{rel} ({size / 2**20:.1f} MiB)" if files == 1 else (
        f"{rel}/ ({files} data files, {size / 2**20:.1f} MiB)")  # fmt: skip
    return Finding(
        "jungle",
        "untracked-data",
        "warning",
        f"{what} is data that neither git nor Solvent versions: nobody can say which version "
        "a result used",
        f"version it: 'solvent add {rel}' (or make it an out of the stage that writes it); "
        "delete it if nothing uses it",
        file=rel,
        subject=rel,
    )


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name
