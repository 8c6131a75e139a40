"""Configuration debt (§6): params no stage uses, params nobody ever changed, and params whose
value is typed again in a stage's code."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from solvent.doctor.code_scan import named_numbers, string_literals, words
from solvent.doctor.findings import Finding
from solvent.doctor.project import Project
from solvent.errors import SolventError
from solvent.pipeline.spec.interpolate import ResolveError

_INTERPOLATION = re.compile(r"\$\{\s*([A-Za-z_][\w.-]*)")
_NOT_TUNED = re.compile(r"seed|random_state|verbose|n_jobs|jobs|workers", re.IGNORECASE)
HISTORY = 200  # commits of a params file looked at, newest first


@dataclass(frozen=True, slots=True)
class Param:
    file: PurePosixPath
    key: str
    value: Any
    line: int | None


def scan(project: Project, flagged_lines: set[tuple[str, int]]) -> list[Finding]:
    """``flagged_lines``: (file, line) already reported as fixed thresholds."""
    params = _params(project)
    if not params:
        return []
    strings = {t for s in project.stages for f in project.code_of(s)
               if (tree := project.tree(f)) is not None for t in string_literals(tree)}  # fmt: skip
    used = [p for p in params if _used(project, p) or _read_by_code(p, strings)]
    unused = [p for p in params if p not in used]
    if unused:  # code outside the pipeline (a server, a notebook's module) may read them
        names = _names_in_tracked_code(project)
        unused = [p for p in unused if not _read_by_code(p, names)]
    found = [_unused(p) for p in unused]
    found += _never_changed(project, used)
    found += _duplicated(project, params, flagged_lines)
    return found


def _params(project: Project) -> list[Param]:
    from solvent.pipeline.planning.plan import flatten
    from solvent.pipeline.results.params_metrics import params_files
    from solvent.pipeline.spec.files import parse_spec

    found: list[Param] = []
    # A file only the top-level params: name holds values a stage logs (dvclive's
    # params.yaml), shown beside the metrics: not inputs a stage could use.
    staged = {PurePosixPath("params.yaml")} | {r.file for s in project.stages for r in s.params}
    for file in params_files(project.pipeline):
        if file not in staged:
            continue
        path = project.layout.abs(file)
        if not path.is_file():
            continue
        text = project.text(file)
        if file.suffix.lower() in (".yaml", ".yml"):
            try:
                doc, lines = parse_spec(text, file)
            except SolventError:  # a broken params file is repro's error to report
                continue
        else:
            from solvent.pipeline.spec.files import load_data_file

            try:
                doc, lines = load_data_file(project.root, file), {}
            except (SolventError, ResolveError):
                continue
        if not isinstance(doc, dict):
            continue
        for key, value in flatten(doc).items():
            line = lines.get(tuple(key.split(".")))
            found.append(Param(file, key, value, line))
    return found


def _refs(project: Project) -> set[str]:
    """Dotted names the spec interpolates (``${train.lr}``): values from params.yaml."""
    if project.pipeline is None:
        return set()
    return set(_INTERPOLATION.findall("\n".join(project.spec_lines)))


def _related(a: str, b: str) -> bool:
    return a == b or a.startswith(b + ".") or b.startswith(a + ".")


def _used(project: Project, p: Param) -> bool:
    for stage in project.stages:
        for ref in stage.params:
            if ref.file == p.file and (ref.key is None or _related(ref.key, p.key)):
                return True
    if p.file == PurePosixPath("params.yaml"):
        return any(_related(r, p.key) for r in _refs(project))
    return False


def _read_by_code(p: Param, strings: set[str]) -> bool:
    """A script that reads params.yaml itself names the key (``params["train"]["lr"]``):
    the param is used, though not declared (the stage's undeclared read says so)."""
    return p.key in strings or p.key.rsplit(".", 1)[-1] in strings


def _names_in_tracked_code(project: Project) -> set[str]:
    """String literals and dotted attribute names (``cfg.serve.port``) of every Python file
    git tracks."""
    import ast

    names: set[str] = set()
    for rel in sorted(project.git_files or ()):
        if not rel.endswith(".py") or (tree := project.tree(PurePosixPath(rel))) is None:
            continue
        names |= string_literals(tree)
        for node in ast.walk(tree):
            parts: list[str] = []
            while isinstance(node, ast.Attribute):
                parts.insert(0, node.attr)
                node = node.value
            # every tail of a.b.c (b.c, c) names a key read as cfg.b.c
            names.update(".".join(parts[i:]) for i in range(len(parts) - 1))
    return names


def _unused(p: Param) -> Finding:
    return Finding(
        "config",
        "unused-param",
        "warning",
        f"param {p.key} = {p.value!r} in {p.file} is used by no stage, and no Python file in "
        "git names it",
        f"list it under params of the stage that should read it and pass it on its command "
        f"line (${{{p.key}}}); if nothing reads it (a notebook, a script outside git), "
        f"delete it from {p.file}",
        file=str(p.file),
        line=p.line,
        subject=p.key,
    )


def _tunable(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _never_changed(project: Project, used: list[Param]) -> list[Finding]:
    """Numeric params that have had one value in every commit, run and experiment — reported
    only once the project has a history to judge by (two commits of the file or an
    experiment)."""
    tunable = [p for p in used if _tunable(p.value) and not _NOT_TUNED.search(p.key)]
    if not tunable:
        return []
    seen: dict[tuple[PurePosixPath, str], set[Any]] = {(p.file, p.key): {p.value} for p in tunable}
    from solvent.pipeline.planning.plan import flatten

    history = 0
    for file in {p.file for p in tunable}:
        for doc in _history(project, file):
            history += 1
            for key, value in flatten(doc).items():
                if (file, key) in seen:
                    seen[(file, key)].add(_hashable(value))
    for exp in project.experiments:
        for target, value in exp.overrides.items():
            name, _, key = target.rpartition(":")
            at = (PurePosixPath(name or "params.yaml"), key)
            if at in seen:
                seen[at].add(_hashable(value))
    for run in project.runs:
        for file_name, values in run.params.items():
            for key, value in values.items():
                at = (PurePosixPath(file_name), key)
                if at in seen:
                    seen[at].add(_hashable(value))
    if history < 2 and not project.experiments:
        return []
    return [
        Finding(
            "config",
            "never-tuned-param",
            "info",
            f"param {p.key} = {p.value!r} has never changed: not in the git history of "
            f"{p.file}, not in any run or experiment",
            f"tune it ('solvent exp run -S {p.key}=…'), or make it a constant in the code if "
            "it is not meant to change",
            file=str(p.file),
            line=p.line,
            subject=p.key,
        )
        for p in tunable
        if len(seen[(p.file, p.key)]) == 1
    ]


def _hashable(value: Any) -> Any:
    return value if isinstance(value, int | float | str | bool | None) else repr(value)


def _history(project: Project, file: PurePosixPath) -> list[dict[str, Any]]:
    """The file as each commit that changed it had it, newest first."""
    from solvent.pipeline.spec.files import parse_data_file

    if not project.layout.uses_git:
        return []
    log = subprocess.run(
        ["git", "log", f"-n{HISTORY}", "--format=%H", "--", str(file)],
        cwd=project.root, capture_output=True, text=True, check=False,
    )  # fmt: skip
    docs: list[dict[str, Any]] = []
    for commit in log.stdout.split():
        shown = subprocess.run(
            ["git", "show", f"{commit}:{file}"], cwd=project.root, capture_output=True, check=False
        )
        if shown.returncode != 0:
            continue
        try:
            docs.append(parse_data_file(file, file.suffix.lower(), shown.stdout))
        except (SolventError, ResolveError):  # an old broken version says nothing of values
            continue
    return docs


def _distinctive(value: Any) -> bool:
    """A number specific enough that seeing it again under the same name is no coincidence."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float):
        return value not in (0.0, 1.0, -1.0)
    return abs(value) >= 2


def _same_name(name: str, key: str) -> bool:
    """``n_estimators`` names param ``models.forest.n_estimators``; ``forest_max_depth`` names
    ``max_depth``: the param's last part, word for word, ends the name."""
    mine, theirs = words(name), words(key.rsplit(".", 1)[-1])
    return bool(theirs) and mine[-len(theirs) :] == theirs


def _duplicated(
    project: Project, params: list[Param], flagged: set[tuple[str, int]]
) -> list[Finding]:
    """A param's value typed in a stage's code under the param's own name (``lr = 0.01``,
    ``RandomForestClassifier(n_estimators=200)``): the same setting in two places. Argparse
    defaults are named ``default``, so they are not counted."""
    wanted = [p for p in params if _distinctive(p.value)]
    if not wanted:
        return []
    files = sorted({f for s in project.stages for f in project.code_of(s)})
    found: list[Finding] = []
    for rel in files:
        tree = project.tree(rel)
        if tree is None:
            continue
        seen: set[tuple[int, str]] = set()
        for name, value, line in named_numbers(tree):
            if (str(rel), line) in flagged:
                continue
            for p in wanted:
                if type(p.value) is not type(value) or p.value != value:
                    continue
                if not _same_name(name, p.key) or (line, p.key) in seen:
                    continue
                seen.add((line, p.key))
                found.append(
                    Finding(
                        "config",
                        "duplicated-param",
                        "warning",
                        f"{name}={value!r} at {rel}:{line} repeats param {p.key} in {p.file}: "
                        "two places to change, and one will be forgotten",
                        f"read the value from the command line (cmd: … "
                        f"--{p.key.rsplit('.', 1)[-1]} ${{{p.key}}}) instead of typing it "
                        "in the code",
                        file=str(rel),
                        line=line,
                        subject=p.key,
                    )
                )
    return found
