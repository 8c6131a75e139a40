"""Unstable data and reproducibility (§3.1, §8.2): inputs from outside the repo, runs made
from code that was never committed, and an environment nobody pinned. (Outputs that change
on a rerun are ``doctor --reproduce``'s, in ``reproduce``.)"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any

from solvent.doctor.code_scan import DATA_SUFFIXES, is_outside, outside_sources
from solvent.doctor.findings import Finding
from solvent.doctor.project import Project
from solvent.pipeline.spec.model import Stage

LOCK_FILES = ("poetry.lock", "uv.lock", "Pipfile.lock", "pdm.lock", "pixi.lock",
              "conda-lock.yml", "conda-lock.yaml")  # fmt: skip
_REQUIREMENTS = re.compile(r"^requirements[\w.-]*\.txt$")
_PINNED = re.compile(r"==|===|@\s*\S+://|--hash")
_CONFIG_SUFFIXES = (".yaml", ".yml", ".json")
_MAX_CONFIG = 1 << 20  # a bigger JSON dep is data, not settings
_URL_DATA_SUFFIXES = DATA_SUFFIXES | {".json", ".txt", ".zip", ".gz", ".tar"}


def scan(project: Project) -> list[Finding]:
    return [*_outside_inputs(project), *_dirty_runs(project), *_environment(project)]


def _outside_inputs(project: Project) -> list[Finding]:
    found: list[Finding] = []
    done: set[str] = set()
    for stage in project.stages:
        for cmd in stage.cmd:
            for token in _tokens(cmd):
                if is_outside(token) and not _interpreter(token):
                    line = project.line_in_stage(stage, token)
                    found.append(_outside(token, project.stage_file(stage), line, stage.name))
        for rel in project.code_of(stage):
            if str(rel) in done:
                continue
            done.add(str(rel))
            tree = project.tree(rel)
            if tree is not None:
                for text, line in outside_sources(tree):
                    found.append(_outside(text, str(rel), line, stage.name))
        for rel in _config_files(project, stage):
            if str(rel) in done:
                continue
            done.add(str(rel))
            for text, line in _config_outside(project, rel):
                found.append(_outside(text, str(rel), line, stage.name))
    return found


def _config_files(project: Project, stage: Stage) -> list[PurePosixPath]:
    """The YAML and JSON files a stage reads as settings: its params files, its deps, and
    files its command names (``--config=conf/train.yaml``); small ones only (not data)."""
    named = [PurePosixPath(t.partition("=")[2] or t) for c in stage.cmd for t in _tokens(c)]
    named = [p if str(stage.wdir) == "." else stage.wdir / p for p in named]
    candidates = [*(r.file for r in stage.params), *stage.deps, *named]
    found: list[PurePosixPath] = []
    for rel in dict.fromkeys(candidates):
        if rel.suffix.lower() not in _CONFIG_SUFFIXES or rel.is_absolute() or ".." in rel.parts:
            continue
        path = project.layout.abs(rel)
        if path.is_file() and path.stat().st_size <= _MAX_CONFIG:
            found.append(rel)
    return found


def _config_outside(project: Project, rel: PurePosixPath) -> list[tuple[str, int | None]]:
    """Values of a config file that name a path outside the repo (data, a folder of it) or a
    URL of a data file; with the line each is on."""
    from solvent.errors import SolventError
    from solvent.pipeline.spec.files import Lines, parse_spec

    text = project.text(rel)
    lines: Lines = {}
    try:
        if rel.suffix.lower() == ".json":
            doc = json.loads(text)
        else:
            doc, lines = parse_spec(text, rel)
    except (SolventError, ValueError):
        return []  # a broken config is the stage's error to report
    found: list[tuple[str, int | None]] = []
    for at, value in _strings(doc, ()):
        if not is_outside(value):
            continue
        if "://" in value and PurePosixPath(value).suffix.lower() not in _URL_DATA_SUFFIXES:
            continue  # a tracking server, an API: not data the stage reads
        found.append((value, lines.get(at) or _line_of(text, value)))
    return found


def _strings(doc: Any, at: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], str]]:
    if isinstance(doc, str):
        yield at, doc
    elif isinstance(doc, dict):
        for k, v in doc.items():
            yield from _strings(v, (*at, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _strings(v, (*at, i))


def _line_of(text: str, value: str) -> int | None:
    for n, line in enumerate(text.splitlines(), start=1):
        if value in line:
            return n
    return None


def _outside(text: str, file: str, line: int | None, stage: str) -> Finding:
    url = "://" in text
    return Finding(
        "reproducibility",
        "outside-input",
        "warning",
        f"stage '{stage}' reads {'a URL' if url else 'a path outside the repo'}: {text}",
        (
            f"download it once into the repo, 'solvent add' it, and make it a dep of '{stage}' "
            "(a URL's content changes without Solvent knowing)"
            if url
            else f"copy it into the repo, 'solvent add' it, and make it a dep of '{stage}' "
            "(paths outside the repo change without Solvent knowing)"
        ),
        file=file,
        line=line,
        stage=stage,
        subject=text,
    )


def _tokens(cmd: str) -> list[str]:
    try:
        return shlex.split(cmd)
    except ValueError:
        return cmd.split()


def _interpreter(token: str) -> bool:
    return PurePosixPath(token).name.startswith(("python", "bash", "sh", "Rscript"))


def _dirty_runs(project: Project) -> list[Finding]:
    """For each locked stage, the run that made its locked outs: was its code the code of its
    commit? (A dirty flag alone would also count an edited README.)"""
    found: list[Finding] = []
    for name, locked in sorted(project.lock.items()):
        outs = {str(o.path): str(o.id) for o in locked.outs}
        runs = [r for r in project.runs_of(name) if r.status == "ran" and r.outs == outs]
        if not runs:
            continue
        run = runs[-1]
        stage = next((s for s in project.stages if s.name == name), None)
        if stage is None:
            continue
        git_files = project.git_files or set()
        code = {**{p: i for p, i in run.deps.items() if p.endswith(".py") or p in git_files},
                **run.code}  # fmt: skip
        if run.git_commit is None and not _has_head(project):
            changed = sorted(code) or ["(no commit yet)"]
        elif run.git_commit is not None and not run.git_dirty:
            continue
        else:
            # Code committed later (the same bytes in HEAD) makes the outs reproducible too,
            # also for a run made before the repo's first commit.
            revs = ("HEAD",) if run.git_commit is None else (run.git_commit, "HEAD")
            changed = [
                path for path, oid in sorted(code.items())
                if not any(_committed_id(project, rev, path) == oid for rev in revs)
            ]  # fmt: skip
            if not changed:
                continue
        commit = (run.git_commit or "none")[:10]
        found.append(
            Finding(
                "reproducibility",
                "dirty-run",
                "warning",
                f"the locked outs of stage '{name}' come from run {run.run_id[:8]}, made with "
                f"code not in its commit ({commit}): {', '.join(changed)}",
                f"commit the code, then 'solvent repro --force {name}', so the commit names "
                "the code that made the outs",
                file=project.stage_file(stage),
                line=stage.where.line,
                stage=name,
                ids={p: code[p] for p in changed if p in code},
            )
        )
    return found


def _has_head(project: Project) -> bool:
    """Whether the repo has a commit yet; asked once."""
    key = ("HEAD", "")
    if key not in project.committed_ids:
        proc = subprocess.run(["git", "rev-parse", "--verify", "--quiet", "HEAD"],
                              cwd=project.root, capture_output=True, text=True,
                              check=False)  # fmt: skip
        found = project.layout.uses_git and proc.returncode == 0
        project.committed_ids[key] = proc.stdout.strip() if found else None
    return project.committed_ids[key] is not None


def _committed_id(project: Project, rev: str, path: str) -> str | None:
    """The id of ``path`` as a checkout of ``rev`` writes it (line endings and other git
    filters applied, as the run hashed the file on disk); asked once per (rev, path)."""
    from solvent.storage.hashing import hash_bytes

    key = (rev, path)
    if key not in project.committed_ids:
        shown = subprocess.run(
            ["git", "cat-file", "--filters", f"{rev}:{path}"],
            cwd=project.root, capture_output=True, check=False,
        )  # fmt: skip
        project.committed_ids[key] = (
            str(hash_bytes(shown.stdout)) if shown.returncode == 0 else None
        )
    return project.committed_ids[key]


def _environment(project: Project) -> list[Finding]:
    if project.pipeline is None:
        return []
    root = project.root
    if any((root / name).is_file() for name in LOCK_FILES):
        return []
    requirements = sorted(p for p in root.iterdir() if _REQUIREMENTS.match(p.name) and p.is_file())
    found: list[Finding] = []
    for req in requirements:
        loose = _unpinned(req.read_text(encoding="utf-8", errors="replace"))
        if not loose:
            continue
        line, text = loose[0]
        found.append(
            Finding(
                "reproducibility",
                "unpinned-environment",
                "warning",
                f"{req.name} does not pin versions ({len(loose)} requirement(s) without ==, "
                f"e.g. '{text}'): a rerun next month may use other libraries",
                f"pin them: 'pip freeze > {req.name}' in the project's environment (or use a "
                "lock file: uv.lock, poetry.lock)",
                file=req.name,
                line=line,
            )
        )
    if requirements:
        return found
    for name in ("environment.yml", "environment.yaml"):
        if (root / name).is_file():
            return []  # conda pins are its own business; a file exists
    return [
        Finding(
            "reproducibility",
            "no-environment-file",
            "warning",
            "no pinned environment file (requirements.txt with ==, uv.lock, poetry.lock, "
            "environment.yml): nobody can rebuild the environment the results came from",
            "write one: 'pip freeze > requirements.txt' and commit it",
        )
    ]


def _unpinned(text: str) -> list[tuple[int, str]]:
    loose: list[tuple[int, str]] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        if not _PINNED.search(line):
            loose.append((n, line))
    return loose
