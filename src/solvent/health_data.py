"""Health commands over data in or out of a repo: a file, or ``PATH@REV`` (the version of a
tracked file at a git revision, read from the cache).

``solvent.health`` knows nothing of repos; this layer turns a name into a file and a data id,
and keeps profiles keyed by that id under ``.solvent/cache/profiles/``, so a version is
profiled once. Nothing here imports numpy, pandas, pyarrow or scipy at module level.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from solvent.errors import (
    CacheMissingError,
    DataError,
    GitError,
    MalformedFileError,
    MissingExtraError,
    NotARepoError,
    UsageError,
)
from solvent.repo import RepoLayout
from solvent.storage.ids import ObjectId

if TYPE_CHECKING:
    from solvent.health.audit import AuditOptions, AuditReport
    from solvent.health.drift import DriftReport
    from solvent.health.leakage import Duplicates, LeakageReport
    from solvent.health.monitor import MonitorOptions, MonitorReport
    from solvent.health.profile import Profile
    from solvent.health.read import Source
    from solvent.health.thresholds import CheckReport, Thresholds

HEALTH_MODULES = ("numpy", "pandas", "pyarrow", "scipy")


def require_health(*more: str) -> None:
    """Fail with the install hint when the ``health`` extra (and ``more`` of it) is missing."""
    import importlib.util

    for name in (*HEALTH_MODULES, *more):
        if importlib.util.find_spec(name) is None:
            raise MissingExtraError(
                f"this command needs {name}, which is not installed",
                "install the health extra: pip install 'solvent[health]'",
            )


@dataclass(frozen=True, slots=True)
class Data:
    """Where a named table's bytes are; ``name`` carries the format (a cache object has no
    suffix); ``id`` is its content id when inside a repo."""

    path: Path
    name: str
    label: str
    id: ObjectId | None
    layout: RepoLayout | None

    @classmethod
    def of_object(cls, layout: RepoLayout, oid: ObjectId, name: str, label: str) -> Data:
        """A version known by its id (a lock entry, a pointer), read from the cache."""
        path = layout.store.path(oid)
        if not path.exists():
            raise CacheMissingError(
                f"{label} ({oid.short}) is not in the cache", "fetch it with 'solvent pull'"
            )
        return cls(path, name, label, oid, layout)

    def source(self) -> Source:
        from solvent.health.read import Source

        return Source.open(self.path, self.label, self.name)


def resolve(spec: str) -> Data:
    path = Path(spec)
    layout = _layout()
    if path.is_dir():
        raise DataError(f"{spec} is a folder", "name a data file inside it")
    if path.exists() or "@" not in spec:  # its id is taken only if it is profiled
        return Data(path, path.name, spec, None, layout)
    name, _, rev = spec.rpartition("@")
    if layout is None:
        raise NotARepoError(
            f"{spec}: PATH@REV names a tracked version, but {Path.cwd()} is not in a Solvent repo",
            "run it inside the repo, or name a plain file",
        )
    return Data.of_object(layout, _tracked_id(layout, name, rev), name, spec)


def profile(spec: str) -> Profile:
    """The profile of a file or ``PATH@REV``; stored in the repo keyed by the data's id."""
    return profile_data(resolve(spec))


def profile_data(data: Data) -> Profile:
    """The profile of ``data``, read back when this version was profiled before (a caller
    holding an object id, e.g. a lock entry, passes ``Data.of_object(...)``)."""
    from solvent.health.profile import PROFILE_VERSION, Profile, profile_file
    from solvent.health.read import detect_format

    stored = None
    oid, layout = data.id, data.layout
    if oid is None and layout is not None and data.path.is_file() and _inside(layout, data.path):
        oid = _file_id(layout, data.path)
    if oid is not None and layout is not None:
        fmt = detect_format(data.name, data.label)
        stored = layout.dot / "cache" / "profiles" / oid.digest[:2] / f"{oid.digest[2:]}.{fmt}.json"
        with contextlib.suppress(OSError, ValueError, KeyError, TypeError):
            doc = json.loads(stored.read_text(encoding="utf-8"))
            if doc.get("version") == PROFILE_VERSION:
                return replace(Profile.from_dict(doc), source=data.label)
    found = profile_file(data.path, data.label, data.name)
    if stored is not None:
        from solvent.storage.fsutil import atomic_write

        with contextlib.suppress(OSError):  # a read-only cache only costs a re-profile
            stored.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(stored, json.dumps(found.to_dict()).encode())
    return found


def drift(
    reference: str | Data,
    current: str | Data,
    tests: dict[str, str] | None = None,
    thresholds: dict[str, float] | None = None,
) -> DriftReport:
    """Drift of ``current`` against ``reference`` (each a file, ``PATH@REV`` or ``Data``);
    ``tests`` and ``thresholds`` override the default test and threshold per column."""
    ref, cur = _data(reference).source(), _data(current).source()
    from solvent.health.drift import DriftOptions
    from solvent.health.drift import drift as run

    return run(ref, cur, DriftOptions(tests or {}, thresholds or {}))


def leakage(a: str | Data, b: str | Data, key: list[str] | None = None) -> LeakageReport:
    """Rows of ``a`` found in ``b`` and duplicates within each (files, ``PATH@REV``, ``Data``)."""
    first, second = _data(a).source(), _data(b).source()
    from solvent.health.leakage import leakage as run

    return run(first, second, key)


def duplicates(data: str | Data) -> Duplicates:
    """Rows repeated within one table (a file, ``PATH@REV`` or ``Data``)."""
    source = _data(data).source()
    from solvent.health.leakage import duplicates as run

    return run(source)


def _data(spec: str | Data) -> Data:
    return spec if isinstance(spec, Data) else resolve(spec)


def _file_id(layout: RepoLayout, path: Path) -> ObjectId:
    """The file's content id, from the state cache when its stat is known (as ``status``)."""
    import os
    import time

    from solvent.storage.hashing import hash_file

    before = os.stat(path)
    oid = layout.state.get(before)
    if oid is None:
        read_at = time.time_ns()
        oid = hash_file(path)
        if os.stat(path) == before:  # not rewritten while it was read
            layout.state.put_many([(before, oid)], read_at)
    return oid


def _layout() -> RepoLayout | None:
    try:
        return RepoLayout.find()
    except NotARepoError:
        return None


def _inside(layout: RepoLayout, path: Path) -> bool:
    return path.resolve().is_relative_to(layout.root)


def _tracked_id(layout: RepoLayout, name: str, rev: str) -> ObjectId:
    """The id of ``name`` at ``rev``: a file tracked by a pointer file, a file inside a tracked
    folder, or a pipeline out in that revision's ``solvent.lock``."""
    from solvent import git
    from solvent.pipeline.planning.lock import parse_lock
    from solvent.tracking.pointer import parse_pointer

    rel = layout.rel(name)
    roots: list[tuple[PurePosixPath, ObjectId, bool]] = []  # (path, id, is a folder)
    for where, text in git.pointer_files_at(layout.root, rev).items():
        p = parse_pointer(PurePosixPath(where), text)
        roots.append((p.path, p.id, p.kind == "dir"))
    commit = git.resolve_rev(layout.root, rev)
    with contextlib.suppress(GitError):  # no solvent.lock at that revision
        lock = parse_lock(git.git(layout.root, "show", f"{commit}:solvent.lock"), "solvent.lock")
        roots += [(o.path, o.id, o.files is not None) for s in lock.values() for o in s.outs]
    for path, oid, folder in roots:
        if path == rel:
            if folder:
                raise UsageError(f"{name} is a folder at {rev}", "name a data file inside it")
            return oid
        if folder and path in rel.parents:
            return _in_tree(layout, oid, rel.relative_to(path), f"{name}@{rev}")
    raise UsageError(
        f"{name} is not tracked at {rev}",
        "PATH@REV names a file tracked with 'solvent add', or a pipeline out, at that revision",
    )


def _in_tree(layout: RepoLayout, tree_id: ObjectId, rel: PurePosixPath, spec: str) -> ObjectId:
    from solvent.storage.trees import Tree

    oid = tree_id
    for i, part in enumerate(rel.parts):
        try:
            tree = Tree.from_bytes(layout.store.read_bytes(oid))
        except FileNotFoundError:
            raise CacheMissingError(
                f"{spec}: the folder listing is not in the cache", "fetch it with 'solvent pull'"
            ) from None
        entry = next((e for e in tree.entries if e.name == part), None)
        last = i == len(rel.parts) - 1
        if entry is None or (entry.kind == "file") != last:
            raise UsageError(f"{spec}: no such file in that version", "check the path")
        oid = entry.id
    return oid


def content_id(data: Data) -> ObjectId:
    """The id of ``data``'s bytes: known for a tracked version, else hashed (through the state
    cache inside a repo), so a fitted artifact names exactly what it was fitted on."""
    if data.id is not None:
        return data.id
    if data.layout is not None and data.path.is_file() and _inside(data.layout, data.path):
        return _file_id(data.layout, data.path)
    from solvent.storage.hashing import hash_file

    return hash_file(data.path)


def threshold_fit(
    spec: str | Data,
    scores: list[tuple[str, str | None]],
    label: str,
    objective: str,
    positive: str | None = None,
    n_boot: int = 1000,
    seed: int = 0,
) -> Thresholds:
    """Thresholds fitted on a table's score columns (``(column, class or None)``) and labels."""
    from solvent.health import thresholds
    from solvent.health.frame import as_labels, select

    goal = thresholds.Objective.parse(objective)  # before reading: a typo costs nothing
    data = _data(spec)
    _, frame = select(data.source(), [c for c, _ in scores] + [label])
    labels = as_labels(frame[label]).to_numpy()
    classes = [(c, k or c) for c, k in scores]
    if len(classes) == 1:
        classes = [(classes[0][0], positive or _positive(labels, label))]
    found = thresholds.fit(
        frame[[c for c, _ in classes]].to_numpy(dtype=float, na_value=float("nan")),
        labels, goal, classes, label, n_boot, seed,
    )  # fmt: skip
    return replace(found, data={"label": data.label, "id": str(content_id(data))})


def threshold_check(
    stored: Thresholds, spec: str | Data, labelled: bool = True, false_alarms: float = 0.01
) -> CheckReport:
    """``stored`` on a newer table; with labels when it has the label column and ``labelled``;
    alerting at most ``false_alarms`` of the time on data from the fit data's population."""
    from solvent.health import thresholds
    from solvent.health.frame import as_labels, select
    from solvent.health.read import schema

    data = _data(spec)
    columns = [c.column for c in stored.classes]
    has_labels = labelled and stored.label_column in schema(data.source()).names
    _, frame = select(data.source(), columns + ([stored.label_column] if has_labels else []))
    labels = as_labels(frame[stored.label_column]).to_numpy() if has_labels else None
    report = thresholds.check(
        stored, frame[columns].to_numpy(dtype=float, na_value=float("nan")), labels, false_alarms
    )
    return replace(report, data={"label": data.label, "id": str(content_id(data))})


def read_thresholds(path: str) -> Thresholds:
    """A threshold file written by ``solvent threshold fit``."""
    from solvent.health.thresholds import Thresholds

    try:
        return Thresholds.from_dict(json.loads(Path(path).read_text(encoding="utf-8")))
    except MalformedFileError as e:  # an older format: says what to do
        raise MalformedFileError(f"{path}: {e.message}", e.hint) from None
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no such threshold file", "solvent threshold fit writes one"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise MalformedFileError(
            f"{path} is not a threshold file ({e})", "fit it again: solvent threshold fit"
        ) from None


def _positive(labels: Any, column: str) -> str:
    """The positive class of a binary label column: 1 or True when those are its values."""
    seen = sorted(set(labels.tolist()))
    if len(seen) != 2:
        raise DataError(
            f"a binary threshold needs two label values; {column!r} holds {len(seen)}",
            "name one score column per class for a multi-class model: --scores COL=CLASS,...",
        )
    for pair, positive in ((["0", "1"], "1"), (["False", "True"], "True")):
        if seen == pair:
            return positive
    raise DataError(
        f"which value of {column!r} is the positive class? it holds {', '.join(seen[:5])}",
        "name it with --positive",
    )


def monitor(
    reference: str | Data, current: str | Data, options: MonitorOptions | None = None
) -> MonitorReport:
    """Prediction bias and input drift of a prediction log against training data."""
    from solvent.health.monitor import monitor as run

    return run(_data(reference).source(), _data(current).source(), options)


def audit_features(
    spec: str | Data,
    target: str,
    model: str,
    options: AuditOptions,
    previous: str | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> AuditReport:
    """The feature audit of a table's columns (all but ``target``) for ``model``: an import
    path (``pkg.module:Class`` or ``pkg.module.Class``, made with no arguments) or a file saved
    with joblib (trusted: loading it runs code)."""
    from solvent.health.audit import audit
    from solvent.health.frame import require
    from solvent.health.read import load

    estimator = load_estimator(model)
    earlier = _earlier_audit(previous) if previous else None
    data = _data(spec)
    label, table = load(data.source())
    require(label, table.column_names, [target])
    frame = table.to_pandas()
    found = audit(
        frame.drop(columns=[target]), frame[target], estimator, options, earlier, progress
    )
    return replace(found, data={"label": data.label, "id": str(content_id(data))})


def load_estimator(spec: str) -> Any:
    import importlib

    path = Path(spec)
    if path.is_file():
        import joblib

        try:
            return joblib.load(path)
        except Exception as e:  # a pickle can fail in any way
            raise UsageError(
                f"--model {spec}: cannot load it ({e})", "save it with joblib.dump"
            ) from None
    module, sep, name = spec.partition(":") if ":" in spec else spec.rpartition(".")
    try:
        if not sep:
            raise ImportError
        made = getattr(importlib.import_module(module), name)()
    except (ImportError, AttributeError, TypeError):
        raise UsageError(
            f"--model {spec!r} is neither a saved model nor an importable estimator",
            "e.g. --model sklearn.ensemble:HistGradientBoostingClassifier, or a joblib file",
        ) from None
    if not hasattr(made, "fit"):
        raise UsageError(f"--model {spec!r} has no fit method", "name a scikit-learn estimator")
    return made


def _earlier_audit(spec: str) -> dict[str, Any]:
    data = _data(spec)
    try:
        doc = json.loads(data.path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--previous {spec}: no such file", "name an earlier audit.json") from None
    except (OSError, ValueError) as e:
        raise MalformedFileError(
            f"--previous {spec} is not JSON ({e})", "name an earlier audit.json"
        ) from None
    if not isinstance(doc, dict):
        raise MalformedFileError(f"--previous {spec} is not an audit", "name an earlier audit.json")
    return doc
