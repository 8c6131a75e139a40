"""A stage's data checks (``checks:`` in solvent.yaml) and the data-health summary of its
changed inputs, computed with the health package.

This is the layer between the pipeline (which knows stages, the lock and ids) and ``health``
(which knows tables): ``repro`` runs the dep checks before a stale stage starts and the out
checks after it ran, and fails the stage with the evidence; ``status`` shows, for each
changed tabular dep, its schema diff and drift against the version in the lock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from solvent.errors import SolventError
from solvent.health_data import Data, require_health
from solvent.pipeline.spec.model import Check, Stage
from solvent.repo import RepoLayout
from solvent.storage.ids import ObjectId

if TYPE_CHECKING:
    from solvent.health.drift import DriftReport
    from solvent.health.schema import SchemaDiff

Ids = Mapping[PurePosixPath, ObjectId]
TABULAR = (".csv", ".parquet", ".pq", ".jsonl", ".ndjson")


@dataclass(frozen=True, slots=True)
class CheckResult:
    stage: str
    check: str  # what was checked, e.g. "drift data/raw.csv"
    ok: bool
    evidence: str  # one line a person can act on


def is_tabular(path: PurePosixPath) -> bool:
    return path.suffix.lower() in TABULAR


class DataInspector:
    """One command's look at stage data. A changed dep's drift against its locked version is
    computed once, whether a ``drift`` check or the change summary asks for it first."""

    def __init__(self, layout: RepoLayout) -> None:
        self.layout = layout
        self._drifts: dict[tuple[PurePosixPath, ObjectId], DriftReport] = {}

    def inspect(
        self, stage: Stage, phase: str, locked: Ids, current: Ids
    ) -> tuple[list[str], list[str]]:
        """For a stale stage: notes on its changed tabular deps (phase "deps") and the
        evidence of each failing check that names a dep ("deps") or an out ("outs")."""
        if phase == "deps":
            notes = self.changed_inputs(stage, locked, current)
            results = self.dep_checks(stage, locked)
        else:
            notes, results = [], self.out_checks(stage)
        return notes, [f"check {r.check} failed: {r.evidence}" for r in results if not r.ok]

    def dep_checks(self, stage: Stage, locked: Ids) -> list[CheckResult]:
        """Checks on deps, before the stage runs. ``locked``: dep path → id in the lock
        (schema and drift compare a changed dep with that version; a first run has none)."""
        deps = set(stage.deps)
        return self._run(stage, [c for c in stage.checks if set(c.paths) <= deps], locked)

    def out_checks(self, stage: Stage) -> list[CheckResult]:
        """Checks that name an out, after the stage ran."""
        deps = set(stage.deps)
        return self._run(stage, [c for c in stage.checks if not set(c.paths) <= deps], {})

    def changed_inputs(self, stage: Stage, locked: Ids, current: Ids) -> list[str]:
        """A line per tabular dep whose id moved since the lock: schema diff and drift
        against the locked version. Nothing without the health extra (checks say so when
        they need it)."""
        changed = [
            (p, locked[p])
            for p in stage.deps
            if is_tabular(p) and p in locked and p in current and locked[p] != current[p]
        ]
        if not changed or not health_installed():
            return []
        return [f"{p} changed since the lock: {self._summary(p, was)}" for p, was in changed]

    def _run(self, stage: Stage, checks: list[Check], locked: Ids) -> list[CheckResult]:
        if not checks:
            return []
        require_health()
        results = []
        for check in checks:
            label = f"{check.kind} {', '.join(map(str, check.paths))}"
            try:
                ok, evidence = self._one(check, locked)
            except SolventError as e:  # unreadable data fails the check, with the reason
                ok, evidence = False, e.message
            results.append(CheckResult(stage.name, label, ok, evidence))
        return results

    def _one(self, check: Check, locked: Ids) -> tuple[bool, str]:
        from solvent.health_data import duplicates, leakage, profile_data

        layout, path = self.layout, check.paths[0]
        if check.kind in ("schema", "drift"):
            before = locked.get(path)
            if before is None:
                return True, "no locked version to compare with yet"
            if check.kind == "schema":  # from the stored profiles: no data re-read
                diff = schema_change(layout, path, before)
                return not diff.changed, describe_schema(diff) or "same columns and types"
            report = self._drift(path, before)
            limit = check.limit if check.limit is not None else 0.5
            share = report.drift_share
            names = ", ".join(report.drifted_columns) or "none"
            ok = share < limit
            verdict = "under" if ok else "at or over"
            return ok, (
                f"{report.drifted} of {report.tested} columns drifted ({share:.0%}, {verdict} "
                f"the limit {limit:.0%}): {names}"
            )
        if check.kind == "rows":
            rows = profile_data(_current(layout, path)).rows
            low, high = check.min_rows, check.max_rows
            ok = (low is None or rows >= low) and (high is None or rows <= high)
            bounds = (
                f"min {low}"
                if high is None
                else f"max {high}"
                if low is None
                else f"{low} to {high}"
            )
            return ok, f"{rows} rows (bounds: {bounds})"
        if check.kind == "no_duplicates":
            dup = duplicates(_current(layout, path))
            example = f", e.g. {dup.examples[0]}" if dup.examples else ""
            return dup.duplicated == 0, f"{dup.duplicated} duplicated row(s) of {dup.rows}{example}"
        key = list(check.key) or None
        for other in check.paths[1:]:
            found = leakage(_current(layout, path), _current(layout, other), key)
            if found.shared:
                example = f", e.g. {found.examples[0]}" if found.examples else ""
                by = f" (by {', '.join(check.key)})" if check.key else ""
                return False, f"{found.shared} row(s) of {path} also in {other}{by}{example}"
        return True, "no row in more than one of them"

    def _drift(self, path: PurePosixPath, before: ObjectId) -> DriftReport:
        from solvent.health_data import drift

        key = (path, before)
        if key not in self._drifts:
            locked, current = _locked(self.layout, path, before), _current(self.layout, path)
            self._drifts[key] = drift(locked, current)
        return self._drifts[key]

    def _summary(self, path: PurePosixPath, before: ObjectId) -> str:
        """How a changed tabular dep differs from its locked version, in one line."""
        if not self.layout.store.has(before):
            return (
                "its locked version is not in the cache to compare with (track the file with "
                "'solvent add', or name it under checks: drift)"
            )
        try:
            report = self._drift(path, before)  # its schema diff comes with it
        except SolventError as e:
            return f"not compared: {e.message}"
        diff = describe_schema(report.schema)
        drifted = ", ".join(report.drifted_columns)
        parts = [f"schema: {diff}" if diff else "same schema"]
        parts.append(f"rows {report.reference.rows} → {report.current.rows}")
        parts.append(
            f"{report.drifted} of {report.tested} columns drifted ({drifted})"
            if report.drifted
            else "no column drifted"
        )
        return "; ".join(parts)


def _current(layout: RepoLayout, path: PurePosixPath) -> Data:
    return Data(layout.root / path, path.name, str(path), None, layout)


def _locked(layout: RepoLayout, path: PurePosixPath, oid: ObjectId) -> Data:
    return Data.of_object(layout, oid, path.name, f"{path} (locked {oid.short})")


def schema_change(layout: RepoLayout, path: PurePosixPath, before: ObjectId) -> SchemaDiff:
    from solvent.health.schema import profile_schema_diff
    from solvent.health_data import profile_data

    return profile_schema_diff(
        profile_data(_locked(layout, path, before)), profile_data(_current(layout, path))
    )


def describe_schema(diff: SchemaDiff) -> str:
    parts = []
    if diff.added:
        parts.append(f"added {', '.join(diff.added)}")
    if diff.removed:
        parts.append(f"removed {', '.join(diff.removed)}")
    if diff.retyped:
        parts.append(", ".join(f"{r.name} {r.reference} → {r.current}" for r in diff.retyped))
    return "; ".join(parts)


def health_installed() -> bool:
    try:
        require_health()
    except SolventError:
        return False
    return True
