"""The params and metrics of the workspace and of a commit, for the reference rows of
``exp show`` (DVC shows the workspace and the baseline commit above the experiments)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from solvent import git
from solvent.errors import GitError, SolventError
from solvent.pipeline.planning.state import lookup
from solvent.pipeline.results.params_metrics import metrics_show
from solvent.pipeline.spec.files import load_data_file, parse_data_file
from solvent.pipeline.spec.interpolate import ResolveError
from solvent.pipeline.spec.model import ParamRef, Pipeline
from solvent.repo import RepoLayout

DEFAULT_PARAMS = "params.yaml"


def head(layout: RepoLayout) -> tuple[str, str] | None:
    """(name, commit) of the baseline: the branch checked out (else the short commit) and
    the commit HEAD names; None without git or before the first commit."""
    if not layout.uses_git:
        return None
    try:
        commit = git.resolve_rev(layout.root, "HEAD")
    except GitError:
        return None
    try:
        name = git.git(layout.root, "symbolic-ref", "--short", "-q", "HEAD").decode().strip()
    except GitError:  # detached
        name = commit[:8]
    return name, commit


def values_at(
    layout: RepoLayout, pipeline: Pipeline | None, commit: str | None, keys: list[str]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(params, metrics) in the workspace (``commit`` None) or at ``commit``: each of
    ``keys`` (``[file:]dotted.key``, as ``exp run -S`` names them) that is there, and each
    metrics file's values."""
    params: dict[str, Any] = {}
    docs: dict[str, dict[str, Any] | None] = {}
    for key in keys:
        file, colon, dotted = key.rpartition(":")
        file = file if colon and file else DEFAULT_PARAMS
        dotted = dotted if colon and file else key
        if file not in docs:
            docs[file] = _doc(layout, PurePosixPath(file), commit)
        doc = docs[file]
        if doc is not None:
            try:
                params[key] = lookup(doc, ParamRef(PurePosixPath(file), dotted), "")
            except SolventError:
                continue  # not in this version of the file
    metrics: dict[str, Any] = {}
    try:
        shown = metrics_show(layout, pipeline, rev=commit)
    except SolventError:
        return params, metrics
    for f in shown.files:
        if f.data is not None:
            metrics[f.path] = f.data
    return params, metrics


def _doc(layout: RepoLayout, rel: PurePosixPath, commit: str | None) -> dict[str, Any] | None:
    try:
        if commit is None:
            return load_data_file(layout.root, rel)
        raw = git.git(layout.root, "show", f"{commit}:{rel}")
        return parse_data_file(rel, rel.suffix.lower(), raw)
    except (SolventError, ResolveError):
        return None
