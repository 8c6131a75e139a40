"""Undeclared dependencies (visibility debt): what a stage read or wrote that its spec does
not say.

Judging is pure: raw tracer events (``tracing.Event``) and the workspace after the run go in
(``observe``), the stage definition is applied last (``judge``), so the same observation can be
judged again against a later spec. The ledger keeps the judged report of each run;
``latest_access`` re-judges it against the current stage, so a fixed spec stops producing
findings without a rerun.

Every path from a trace is normalised and checked against the repo root: a path that leaves
the repo is never treated as a repo path.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, TypeVar

from solvent.pipeline.spec.model import Stage

if TYPE_CHECKING:
    from solvent.pipeline.tracing.watch import Event
    from solvent.repo import RepoLayout

# Where the repo keeps its own and Python's things: never a stage's data.
_NOISE_PARTS = frozenset({".git", ".solvent", "__pycache__", ".venv", "venv", ".mypy_cache"})
# Read by the interpreter as code; strace cannot tell an import from an open().
_CODE_SUFFIXES = frozenset({".py", ".pyc", ".pyi", ".pth", ".so"})
# Data files worth naming when read from outside the repo.
DATA_SUFFIXES = frozenset({
    ".csv", ".tsv", ".parquet", ".feather", ".arrow", ".orc", ".avro", ".json", ".jsonl",
    ".ndjson", ".npy", ".npz", ".pkl", ".pickle", ".joblib", ".h5", ".hdf5", ".xlsx", ".xls",
    ".txt", ".tfrecord", ".pt", ".pth", ".onnx", ".safetensors", ".zip", ".gz",
})  # fmt: skip
_SYSTEM = ("/proc/", "/sys/", "/dev/", "/etc/", "/usr/", "/lib/", "/lib64/", "/bin/", "/sbin/",
           "/run/", "/var/lib/", "/snap/")  # fmt: skip
# The tools' own files, which DVC-aware libraries (dvclive, dvc.api) read and write from inside
# a stage: DVC's repo folder and pointers, the pipeline and lock files, ignore files.
_TOOL_FILES = frozenset({"dvc.yaml", "dvc.lock", ".dvcignore", ".gitignore", "solvent.yaml",
                         "solvent.lock"})  # fmt: skip
_S = TypeVar("_S", bound="Sighting")
_MAX = 200  # findings kept per list: a stage that reads 20k stray files needs no 20k lines


@dataclass(frozen=True, slots=True)
class Sighting:
    """A path (repo-relative for repo files, absolute outside), URL or host, and the user's
    script line behind it when the audit hook saw it (``file`` repo-relative when inside)."""

    path: str
    file: str | None = None
    line: int | None = None

    @property
    def where(self) -> str:
        if self.file is None:
            return ""
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "file": self.file, "line": self.line}


@dataclass(frozen=True, slots=True)
class UndeclaredRead(Sighting):
    pass


@dataclass(frozen=True, slots=True)
class UndeclaredWrite(Sighting):
    pass


@dataclass(frozen=True, slots=True)
class ExternalRead(Sighting):
    pass


@dataclass(frozen=True, slots=True)
class Contact(Sighting):
    """A URL opened with urllib, or a host looked up or connected to (not loopback)."""


@dataclass(frozen=True, slots=True)
class Observed:
    """What a run touched, before the stage definition is applied."""

    reads: tuple[Sighting, ...] = ()  # repo-relative, files that exist after the run
    writes: tuple[Sighting, ...] = ()
    external: tuple[ExternalRead, ...] = ()
    contacts: tuple[Contact, ...] = ()


@dataclass(frozen=True, slots=True)
class AccessReport:
    """One run's findings. ``tracer``: "audit", "audit+strace", or "" (not traced)."""

    tracer: str = ""
    undeclared_reads: tuple[UndeclaredRead, ...] = ()
    undeclared_writes: tuple[UndeclaredWrite, ...] = ()
    external_reads: tuple[ExternalRead, ...] = ()
    urls: tuple[Contact, ...] = ()
    cut: int = field(default=0)  # findings left out past the cap

    @property
    def undeclared(self) -> bool:
        return bool(self.undeclared_reads or self.undeclared_writes)

    def to_json(self) -> dict[str, Any]:
        """The ``access`` field of a run record."""
        return {
            "tracer": self.tracer,
            "undeclared_reads": [s.as_dict() for s in self.undeclared_reads],
            "undeclared_writes": [s.as_dict() for s in self.undeclared_writes],
            "external_reads": [s.as_dict() for s in self.external_reads],
            "urls": [s.as_dict() for s in self.urls],
            "cut": self.cut,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> AccessReport:
        """Read back what ``to_json`` wrote; anything malformed is dropped, not trusted."""

        def items(key: str, kind: type[_S]) -> tuple[_S, ...]:
            found = doc.get(key)
            out: list[_S] = []
            for d in found if isinstance(found, list) else ():
                if isinstance(d, dict) and isinstance(d.get("path"), str):
                    file, line = d.get("file"), d.get("line")
                    out.append(kind(d["path"], file if isinstance(file, str) else None,
                                    line if isinstance(line, int) else None))  # fmt: skip
            return tuple(out)

        cut = doc.get("cut")
        return cls(
            str(doc.get("tracer") or ""),
            items("undeclared_reads", UndeclaredRead),
            items("undeclared_writes", UndeclaredWrite),
            items("external_reads", ExternalRead),
            items("urls", Contact),
            cut if isinstance(cut, int) else 0,
        )


def repo_relative(path: str, roots: Sequence[str]) -> PurePosixPath | None:
    """``path`` (absolute) relative to the first of ``roots`` (absolute, normalised) that
    holds it, normalised; None when it is outside every root or is a root itself."""
    if not path.startswith("/"):
        return None
    norm = os.path.normpath(path)
    if norm.startswith("//"):
        norm = "/" + norm.lstrip("/")
    for root in roots:
        prefix = root.rstrip("/") + "/"
        if norm.startswith(prefix) and len(norm) > len(prefix):
            rel = PurePosixPath(norm[len(prefix) :])
            if ".." not in rel.parts and not rel.is_absolute():
                return rel
    return None


def repo_roots(root: str) -> tuple[str, ...]:
    """The repo root as given and with symlinks resolved (strace reports the latter)."""
    given = os.path.normpath(os.path.abspath(root))
    real = os.path.realpath(given)
    return (given,) if real == given else (given, real)


def _external_data(path: str) -> bool:
    norm = os.path.normpath(path)
    if not norm.startswith("/") or norm.startswith(_SYSTEM) or "/." in norm:
        return False  # system files, hidden folders (caches, configs) and relative noise
    if "/site-packages/" in norm or "/dist-packages/" in norm or "/lib/python" in norm:
        return False
    return PurePosixPath(norm).suffix.lower() in DATA_SUFFIXES


def observe(
    events: Iterable[Event], roots: Sequence[str], kind_of: Callable[[PurePosixPath], str]
) -> Observed:
    """Sort raw events into repo reads and writes, external data reads and contacts.

    ``kind_of(rel)`` says what a repo path is after the run: "file", "dir" or "" (gone).
    Files that are gone were temp files; folders are listings, not data."""
    reads: dict[PurePosixPath, Sighting] = {}
    writes: dict[PurePosixPath, Sighting] = {}
    external: dict[str, ExternalRead] = {}
    contacts: dict[str, Contact] = {}
    for e in events:
        script = _script(e.file, roots)
        if e.kind in ("url", "host"):
            contacts.setdefault(e.path, Contact(e.path, script, e.line))
            continue
        rel = repo_relative(e.path, roots)
        if rel is None:
            norm = os.path.normpath(e.path)
            if e.kind == "r" and _external_data(norm):
                external.setdefault(norm, ExternalRead(norm, script, e.line))
            continue
        if _NOISE_PARTS.intersection(rel.parts):
            continue
        if e.kind == "r" and e.source == "strace" and rel.suffix in _CODE_SUFFIXES:
            continue  # most likely an import
        seen = reads if e.kind == "r" else writes
        known = seen.get(rel)
        if known is None or (known.file is None and script is not None):
            seen[rel] = Sighting(str(rel), script, e.line)  # the audit hook's line wins
    kinds = {p: kind_of(p) for p in {*reads, *writes}}
    return Observed(
        tuple(s for p, s in sorted(reads.items()) if kinds[p] == "file" and p not in writes),
        tuple(s for p, s in sorted(writes.items()) if kinds[p] == "file"),
        tuple(external[k] for k in sorted(external)),
        tuple(contacts[k] for k in sorted(contacts)),
    )


def _script(file: str | None, roots: Sequence[str]) -> str | None:
    if file is None:
        return None
    rel = repo_relative(file, roots)
    return str(rel) if rel is not None else file


def _under(path: PurePosixPath, folders: Iterable[PurePosixPath]) -> bool:
    return any(path == f or f in path.parents or f == PurePosixPath(".") for f in folders)


def judge(
    observed: Observed, stage: Stage, tracer: str, code: Iterable[PurePosixPath] = ()
) -> AccessReport:
    """Findings for ``stage``: reads no dep, params file, implicit code dep or own out covers
    (a file under a declared folder is covered), and writes no out covers."""
    deps = (*stage.deps, *(p.file for p in stage.params), *code)
    outs = tuple(o.path for o in stage.outs)
    tools = _tool_lines(observed)
    reads = [
        UndeclaredRead(s.path, s.file, s.line)
        for s in observed.reads
        if not _under(PurePosixPath(s.path), (*deps, *outs)) and not _tool_access(s, tools)
    ]
    writes = [
        UndeclaredWrite(s.path, s.file, s.line)
        for s in observed.writes
        if not _under(PurePosixPath(s.path), outs) and not _tool_access(s, tools)
    ]
    lists = (reads, writes, list(observed.external), list(observed.contacts))
    cut = sum(max(0, len(x) - _MAX) for x in lists)
    return AccessReport(
        tracer,
        tuple(reads[:_MAX]),
        tuple(writes[:_MAX]),
        tuple(observed.external[:_MAX]),
        tuple(observed.contacts[:_MAX]),
        cut,
    )


def _tool_file(path: PurePosixPath) -> bool:
    return path.name in _TOOL_FILES or path.suffix == ".dvc" or ".dvc" in path.parts[:-1]


def _tool_lines(observed: Observed) -> set[tuple[str, int | None]]:
    """Script lines that opened a tool's file: a library call (``Live()`` loading DVC's repo)."""
    return {
        (s.file, s.line)
        for s in (*observed.reads, *observed.writes)
        if s.file is not None and _tool_file(PurePosixPath(s.path))
    }


def _tool_access(s: Sighting, tools: set[tuple[str, int | None]]) -> bool:
    """A tool's own file, or params.yaml opened by the line that opened one: DVC reads it as
    the pipeline's vars whenever it loads dvc.yaml, for the library, not for the stage."""
    path = PurePosixPath(s.path)
    return _tool_file(path) or (path.name == "params.yaml" and (s.file, s.line) in tools)


def rejudge(report: AccessReport, stage: Stage) -> AccessReport:
    """A stored report against the stage's current definition: paths declared since the run
    are no longer findings."""
    observed = Observed(report.undeclared_reads, report.undeclared_writes,
                        report.external_reads, report.urls)  # fmt: skip
    fresh = judge(observed, stage, report.tracer)
    return AccessReport(fresh.tracer, fresh.undeclared_reads, fresh.undeclared_writes,
                        fresh.external_reads, fresh.urls, report.cut)  # fmt: skip


def latest_access(layout: RepoLayout, stage: Stage) -> AccessReport | None:
    """The access findings of ``stage``'s latest traced run (ran or failed), judged against
    ``stage`` as it is defined now; None when no run of it was traced.

    For ``solvent doctor``: pass the stage from the current ``solvent.yaml`` (e.g.
    ``Repo().graph()``), so a dep declared since the run no longer shows as a finding."""
    from solvent.runs.ledger import Ledger

    ledger = Ledger(layout.dot)
    try:
        runs = ledger.runs(_glob_literal(stage.name))
    finally:
        ledger.close()
    for record in reversed(runs):
        if record.status != "restored" and not record.experiment:
            # The latest run that ran: an untraced one says nothing, and an older traced
            # one may describe code that has changed since.
            return rejudge(AccessReport.from_json(record.access), stage) if record.access else None
    return None


def spec_path(stage: Stage, path: str) -> str:
    """``path`` (repo-relative) as the stage's spec writes it: relative to its wdir."""
    if str(stage.wdir) == ".":
        return path
    return os.path.relpath(path, str(stage.wdir))


def spec_stage(stage: Stage) -> str:
    """The stage as its spec names it: ``train@lr-0.1`` is written under ``train``'s do:."""
    base = stage.name.split("@", 1)[0]
    return f"{base} (its do: block)" if base != stage.name else stage.name


def _glob_literal(name: str) -> str:
    """``name`` as a GLOB pattern that matches only itself (``train@[0]`` has brackets)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def describe(report: AccessReport, stage: Stage) -> list[str]:
    """One warning line per finding, each with its fix."""
    spec = stage.where.file
    lines = [
        f"reads {s.path}{_at(s)}, which is not a declared dep: add `- {spec_path(stage, s.path)}`"
        f" to deps of stage {spec_stage(stage)} in {spec}"
        for s in report.undeclared_reads
    ]
    lines += [
        f"writes {s.path}{_at(s)}, which is not a declared out: add "
        f"`- {spec_path(stage, s.path)}` to outs of stage {spec_stage(stage)} in {spec} "
        "(or write it outside the repo)"
        for s in report.undeclared_writes
    ]
    if report.cut:
        lines.append(f"... and {report.cut} more (see 'solvent runs')")
    return lines


def strict_failure(report: AccessReport, stage: Stage) -> str:
    """The error of a stage failed by ``--strict-deps``."""
    parts = []
    if report.undeclared_reads:
        parts.append("reads undeclared " + ", ".join(s.path for s in report.undeclared_reads))
    if report.undeclared_writes:
        parts.append("writes undeclared " + ", ".join(s.path for s in report.undeclared_writes))
    return (
        "; ".join(parts) + f" (--strict-deps): declare them as deps/outs of stage "
        f"{spec_stage(stage)} in {stage.where.file}, or run without --strict-deps"
    )


def _at(s: Sighting) -> str:
    return f" (at {s.where})" if s.where else ""
