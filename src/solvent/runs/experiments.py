"""Experiments: the pipeline run with overridden params in a workspace of its own.

Each experiment gets a copy of the project's files (what git tracks or would track, as they
are now) under ``.solvent/exps/<id>/``, whose cache shares the repo's objects (a link to
``cache/blake3``; its own ``tmp/``), so outputs restored or produced there land in the one cache.
``solvent checkout`` and ``solvent repro`` run there as child processes: experiments run in
parallel never share a workspace, a lock file or a repo lock, and the user's workspace is never
written. The experiment's runs are merged into the repo's ledger, tagged with its id; what
``exp apply`` needs (params files, the lock, small uncached outs such as metrics) is kept in its
record, and the workspace is deleted.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml

from solvent.errors import MalformedFileError, UsageError
from solvent.paths import check_relative, writable
from solvent.repo import ensure_ignored
from solvent.runs.ledger import Ledger, RunRecord
from solvent.storage.fsutil import atomic_write_text
from solvent.yaml_guard import LOCK_MAX_BYTES, load_pyyaml

ExpStatus = Literal["queued", "running", "done", "failed"]
DEFAULT_PARAMS = "params.yaml"
KEEP_UNCACHED = 1 << 20  # uncached outs up to this size are kept in the record, for apply


@dataclass(frozen=True, slots=True)
class Experiment:
    exp_id: str
    name: str
    overrides: dict[str, Any]  # "[file:]dotted.key" → value
    baseline: str | None  # the git commit it started from
    status: ExpStatus
    created: float
    finished: float | None = None
    metrics: dict[str, Any] = field(default_factory=dict)  # metrics file → values
    files: dict[str, str] = field(default_factory=dict)  # what apply writes: path → text
    error: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Experiment:
        return cls(**json.loads(text))


# -- overrides ---------------------------------------------------------------------------


def parse_sets(sets: list[str]) -> list[dict[str, Any]]:
    """``["a.b=1,2", "c=x"]`` → the cartesian product ``[{a.b: 1, c: x}, {a.b: 2, c: x}]``."""
    axes: list[list[tuple[str, Any]]] = []
    for item in sets:
        key, eq, values = item.partition("=")
        if not eq or not key.strip() or not values:
            raise UsageError(
                f"-S {item!r}: expected KEY=VALUE (or KEY=V1,V2 for a sweep)",
                "e.g. -S train.lr=0.1,0.01 or -S other.yaml:depth=3",
            )
        axes.append([(key.strip(), _value(v)) for v in values.split(",")])
    return [dict(combo) for combo in itertools.product(*axes)]


def _value(text: str) -> Any:
    try:
        return load_pyyaml(text, "-S", lambda e: MalformedFileError(str(e)))
    except MalformedFileError:
        return text


def _not_yaml(file: str) -> Callable[[Exception], MalformedFileError]:
    return lambda e: MalformedFileError(f"{file}: not valid YAML ({e})", "fix it, then run again")


def split_key(key: str) -> tuple[str, str]:
    """``other.yaml:a.b`` → (``other.yaml``, ``a.b``); a bare key is in params.yaml."""
    file, colon, rest = key.rpartition(":")
    return (file, rest) if colon and file else (DEFAULT_PARAMS, key)


def apply_overrides(root: Path, overrides: dict[str, Any]) -> list[str]:
    """Write the overrides into the params files under ``root``; returns the files changed."""
    by_file: dict[str, dict[str, Any]] = {}
    for key, value in overrides.items():
        file, dotted = split_key(key)
        by_file.setdefault(file, {})[dotted] = value
    for file, values in by_file.items():
        if PurePosixPath(file).is_absolute() or ".." in PurePosixPath(file).parts:
            raise UsageError(f"-S {file}: params files are repo-relative", None)
        # A committed link on the way must not take the write out of the workspace.
        path = writable(root, check_relative(file, f"-S {file}"), f"-S {file}")
        doc = load_pyyaml(path.read_bytes(), file, _not_yaml(file)) if path.exists() else {}
        doc = doc if isinstance(doc, dict) else {}
        for dotted, value in values.items():
            node = doc
            *parents, leaf = dotted.split(".")
            for part in parents:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise UsageError(f"-S {dotted}: {part} in {file} is not a mapping", None)
            node[leaf] = value
        text = json.dumps(doc, indent=2) + "\n" if file.endswith(".json") else None
        # Replaced, not written into: a params file that is a link gets a file of its own.
        atomic_write_text(path, text or yaml.safe_dump(doc, sort_keys=False))
    return sorted(by_file)


# -- the store ---------------------------------------------------------------------------


def all_experiments(ledger: Ledger) -> list[Experiment]:
    return [Experiment.from_json(doc) for doc in ledger.experiment_docs()]


def experiment_locks(dot: Path) -> list[tuple[str, str]]:
    """(where, lock text) of every experiment that finished: what gc must keep."""
    ledger = Ledger(dot)
    try:
        exps = all_experiments(ledger)
    finally:
        ledger.close()
    return [(f"experiment {e.name}", e.files["solvent.lock"]) for e in exps
            if "solvent.lock" in e.files]  # fmt: skip


def find(ledger: Ledger, ref: str) -> Experiment:
    """An experiment by name, id or unique id prefix."""
    known = all_experiments(ledger)
    hits = [e for e in known if e.name == ref] or [e for e in known if e.exp_id.startswith(ref)]
    if len(hits) != 1:
        what = "no experiment" if not hits else f"{len(hits)} experiments match"
        raise UsageError(f"{what} {ref!r}", "'solvent exp show' lists them by name and id")
    return hits[0]


def queue(
    ledger: Ledger, combos: list[dict[str, Any]], name: str | None, baseline: str | None
) -> list[Experiment]:
    taken = {e.name for e in all_experiments(ledger)}
    made = []
    for i, overrides in enumerate(combos):
        exp_id = uuid.uuid4().hex[:10]
        label = name if name and len(combos) == 1 else f"{name}-{i + 1}" if name else None
        label = label or f"exp-{exp_id[:6]}"
        if label in taken:
            raise UsageError(f"an experiment named {label!r} exists", "choose another --name")
        made.append(Experiment(exp_id, label, overrides, baseline, "queued", time.time()))
    for exp in made:
        ledger.put_experiment(exp.exp_id, exp.name, exp.created, exp.to_json())
    return made


# -- running -----------------------------------------------------------------------------


def _solvent(cwd: Path, *args: str, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "solvent", *args], cwd=cwd, text=True,
                          capture_output=True, check=False)  # fmt: skip
    if log is not None:
        with log.open("a") as f:
            f.write(f"$ solvent {' '.join(args)}\n{proc.stdout}{proc.stderr}")
    return proc


def project_files(root: Path) -> list[str]:
    """What git tracks or would track (not ignored), as the working tree has it now."""
    proc = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root, capture_output=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise UsageError("experiments need a git repo", "run 'git init' and commit the project")
    return sorted(
        {p for p in proc.stdout.decode().split("\0") if p and not p.startswith(".solvent/")}
    )


def make_workspace(root: Path, ws: Path) -> None:
    dot, ws_dot = root / ".solvent", ws / ".solvent"
    for rel in project_files(root):
        src, dest = root / rel, ws / rel
        if not os.path.lexists(src):
            continue  # deleted in the working tree
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest, follow_symlinks=False)
    (ws_dot / "cache" / "tmp").mkdir(parents=True)
    (dot / "cache" / "blake3").mkdir(parents=True, exist_ok=True)
    (dot / "runcache").mkdir(exist_ok=True)
    os.symlink(dot / "cache" / "blake3", ws_dot / "cache" / "blake3")
    os.symlink(dot / "runcache", ws_dot / "runcache")
    for name in ("config.toml", "config.local.toml", ".gitignore"):
        if (dot / name).exists():
            shutil.copy2(dot / name, ws_dot / name)


def run_one(
    root: Path, exp: Experiment, update: Callable[[Experiment], None],
    repro_args: tuple[str, ...] = (),
) -> Experiment:  # fmt: skip
    """Run one queued experiment to the end; ``update`` saves each change of its state.
    ``repro_args`` go to its ``solvent repro`` (e.g. ``--executor dask``)."""
    exps = root / ".solvent" / "exps"
    ws, log = exps / exp.exp_id, exps / f"{exp.exp_id}.log"
    ensure_ignored(root / ".solvent", "/exps/")
    exp = replace(exp, status="running")
    update(exp)
    try:
        shutil.rmtree(ws, ignore_errors=True)
        make_workspace(root, ws)
        changed = apply_overrides(ws, exp.overrides)
        _solvent(ws, "checkout", log=log)  # outs of up-to-date stages, linked from the cache
        proc = _solvent(ws, "repro", "-j", "1", *repro_args, log=log)
        merge_runs(root, ws, exp)
        if proc.returncode != 0:
            tail = (proc.stderr or proc.stdout).strip().splitlines()
            error = tail[0] if tail else f"repro exited {proc.returncode}"
            return _finish(exp, update, "failed", error=f"{error} (log: {log})")
        files = _kept_files(root, ws, ["solvent.lock", *changed])
        return _finish(exp, update, "done", metrics=_metrics(ws, log), files=files)
    except (OSError, UsageError) as e:
        return _finish(exp, update, "failed", error=str(e))
    finally:
        shutil.rmtree(ws, ignore_errors=True)


def _finish(exp: Experiment, update: Callable[[Experiment], None], status: ExpStatus,
            **changes: Any) -> Experiment:  # fmt: skip
    done = replace(exp, status=status, finished=time.time(), **changes)
    update(done)
    return done


def merge_runs(root: Path, ws: Path, exp: Experiment) -> None:
    """The workspace's runs, tagged with the experiment and its baseline commit."""
    theirs = Ledger(ws / ".solvent")
    runs: list[RunRecord] = [
        replace(r, experiment=exp.exp_id, git_commit=exp.baseline) for r in theirs.runs()
    ]
    theirs.close()
    if runs:
        ours = Ledger(root / ".solvent")
        ours.add(runs)
        ours.close()


def _metrics(ws: Path, log: Path) -> dict[str, Any]:
    proc = _solvent(ws, "metrics", "show", "--json")
    if proc.returncode != 0:
        with log.open("a") as f:
            f.write(proc.stderr)
        return {}
    shown = json.loads(proc.stdout).get("workspace", {}).get("data", {})
    return {file: body.get("data", {}) for file, body in shown.items()}


def _kept_files(root: Path, ws: Path, names: list[str]) -> dict[str, str]:
    """The lock, the params files the overrides changed, and the small outs the cache does
    not hold (``cache: false``: metrics, mostly)."""
    kept = {n: (ws / n).read_text() for n in names if (ws / n).is_file()}
    text = kept.get("solvent.lock", "")
    lock = load_pyyaml(text, "solvent.lock", _not_yaml("solvent.lock"), LOCK_MAX_BYTES) or {}
    blake3 = root / ".solvent" / "cache" / "blake3"
    for body in (lock.get("stages") or {}).values():
        for out in body.get("outs") or []:
            digest = str(out["id"]).partition(":")[2]
            path = ws / str(out["path"])
            cached = (blake3 / digest[:2] / digest[2:]).exists()
            if not cached and path.is_file() and path.stat().st_size <= KEEP_UNCACHED:
                try:
                    kept[str(out["path"])] = path.read_text()
                except UnicodeDecodeError:
                    continue
    return kept


def run_many(
    root: Path, exps: list[Experiment], jobs: int, update: Callable[[Experiment], None],
    repro_args: tuple[str, ...] = (),
) -> list[Experiment]:  # fmt: skip
    """Run experiments, ``jobs`` at a time (each in its own workspace and processes)."""
    if jobs <= 1 or len(exps) <= 1:
        return [run_one(root, e, update, repro_args) for e in exps]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(jobs) as pool:
        return list(pool.map(lambda e: run_one(root, e, update, repro_args), exps))


# -- showing -----------------------------------------------------------------------------

FIXED_COLUMNS = ("name", "id", "status")


def flat_values(exp: Experiment, many_files: bool) -> dict[str, Any]:
    """Params (as overridden) and metrics of one experiment, one column each."""
    values: dict[str, Any] = dict(exp.overrides)
    for file, doc in exp.metrics.items():
        for key, value in _flatten(doc).items():
            values[f"{file}:{key}" if many_files else key] = value
    return values


def _flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(doc, dict):
        return {prefix.rstrip("."): doc} if prefix else {}
    flat: dict[str, Any] = {}
    for key, value in doc.items():
        flat.update(_flatten(value, f"{prefix}{key}.") if isinstance(value, dict) else
                    {f"{prefix}{key}": value})  # fmt: skip
    return flat


@dataclass(frozen=True, slots=True)
class Reference:
    """A row of ``exp show`` that is no experiment: the workspace, or the baseline commit
    (DVC shows both above the experiments)."""

    name: str  # "workspace", or the baseline's branch
    rev: str  # the commit; "" for the workspace
    kind: Literal["workspace", "baseline"]
    params: dict[str, Any]  # the experiments' override keys → values here
    metrics: dict[str, Any]  # metrics file → values

    def values(self, many_files: bool) -> dict[str, Any]:
        values: dict[str, Any] = dict(self.params)
        for file, doc in self.metrics.items():
            for key, value in _flatten(doc).items():
                values[f"{file}:{key}" if many_files else key] = value
        return values


def table(
    exps: list[Experiment], sort_by: str | None = None, descending: bool = False,
    only_changed: bool = False, refs: list[Reference] | None = None,
) -> tuple[list[str], list[list[Any]]]:  # fmt: skip
    """Headers and rows of ``exp show``: fixed columns, then params, then metrics. The
    ``refs`` rows come first, in their order, whatever the sort."""
    refs = refs or []
    many = len({f for e in exps for f in e.metrics} | {f for r in refs for f in r.metrics}) > 1
    values = [flat_values(e, many) for e in exps]
    ref_values = [r.values(many) for r in refs]
    params = sorted({k for e in exps for k in e.overrides})
    metrics = sorted({k for v in [*values, *ref_values] for k in v} - set(params))
    columns = params + metrics
    if only_changed:
        every = [*values, *ref_values]
        columns = [c for c in columns if len({json.dumps(v.get(c)) for v in every}) > 1]
    if sort_by is not None and sort_by not in (*FIXED_COLUMNS, *params, *metrics):
        raise UsageError(f"--sort-by {sort_by}: no such column",
                         f"columns: {', '.join([*FIXED_COLUMNS, *params, *metrics])}")  # fmt: skip
    rows = [[e.name, e.exp_id[:8], e.status, *(v.get(c) for c in columns)]
            for e, v in zip(exps, values, strict=True)]  # fmt: skip
    headers = [*FIXED_COLUMNS, *columns]
    if sort_by in headers:  # a column --only-changed dropped holds one value: nothing to sort
        i = headers.index(sort_by)
        present = sorted((r for r in rows if r[i] is not None), key=lambda r: _sortable(r[i]),
                         reverse=descending)  # fmt: skip
        rows = present + [r for r in rows if r[i] is None]
    ref_rows = [[r.name, r.rev[:8], r.kind, *(v.get(c) for c in columns)]
                for r, v in zip(refs, ref_values, strict=True)]  # fmt: skip
    return headers, ref_rows + rows


def _sortable(value: Any) -> tuple[int, Any]:
    return (0, value) if isinstance(value, int | float) and not isinstance(value, bool) else (
        1, str(value))  # fmt: skip


def diff(a: Experiment, b: Experiment) -> list[tuple[str, Any, Any]]:
    """Every param and metric whose value differs between two experiments."""
    many = len(set(a.metrics) | set(b.metrics)) > 1
    va, vb = flat_values(a, many), flat_values(b, many)
    return [(k, va.get(k), vb.get(k)) for k in sorted(set(va) | set(vb)) if va.get(k) != vb.get(k)]


# -- saving the workspace ----------------------------------------------------------------


def changed_text_files(root: Path) -> list[str]:
    """Files git tracks that differ from HEAD, small text only: what ``exp save`` keeps
    besides the lock (params, code, small outs committed to git)."""
    proc = subprocess.run(["git", "diff", "--name-only", "-z", "HEAD"], cwd=root,
                          capture_output=True, check=False)  # fmt: skip
    found = []
    for rel in (p for p in proc.stdout.decode().split("\0") if p):
        path = root / rel
        if path.is_file() and not path.is_symlink() and path.stat().st_size <= KEEP_UNCACHED:
            try:
                path.read_text()
            except UnicodeDecodeError:
                continue
            found.append(rel)
    return found


def save(
    ledger: Ledger, root: Path, name: str | None, baseline: str, overrides: dict[str, Any],
    metrics: dict[str, Any],
) -> Experiment:  # fmt: skip
    """The workspace as a finished experiment (``exp save``): its lock, the tracked files it
    changed, its small uncached outs; ``overrides`` are the params it changed."""
    files = _kept_files(root, root, ["solvent.lock", *changed_text_files(root)])
    (exp,) = queue(ledger, [overrides], name, baseline)
    done = replace(exp, status="done", finished=time.time(), metrics=metrics, files=files)
    ledger.put_experiment(done.exp_id, done.name, done.created, done.to_json())
    return done
