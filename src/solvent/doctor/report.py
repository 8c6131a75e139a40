"""One doctor run: every scanner over one ``Project``, findings sorted by category."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from solvent.doctor.findings import CATEGORIES, Finding, Severity, at_least
from solvent.doctor.mltestscore import MLTestScore
from solvent.doctor.project import Project


@dataclass(frozen=True, slots=True)
class DoctorOptions:
    audit_age_days: float = 90.0
    ignore: tuple[str, ...] = ()  # finding codes, or code:stage / code:file, left out
    check_types: bool = False  # run mypy on the stages' code (analysis; nothing runs)


@dataclass(frozen=True, slots=True)
class DoctorReport:
    root: str
    findings: tuple[Finding, ...]
    stages: int
    created: float = field(default_factory=time.time)
    score: MLTestScore | None = None  # Breck et al. 2017, from what the project shows

    def by_category(self) -> list[tuple[str, list[Finding]]]:
        return [(c.key, [f for f in self.findings if f.category == c.key]) for c in CATEGORIES]

    def count(self, severity: Severity) -> int:
        return sum(f.severity == severity for f in self.findings)

    def fails(self, floor: Severity) -> bool:
        return any(at_least(f.severity, floor) for f in self.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "created": self.created,
            "stages": self.stages,
            "summary": {s: self.count(s) for s in ("error", "warning", "info")},
            "categories": [
                {"key": c.key, "title": c.title, "section": c.section, "why": c.why}
                for c in CATEGORIES
            ],
            "findings": [f.to_dict() for f in self.findings],
            "score": self.score.to_dict() if self.score is not None else None,
        }


def diagnose(project: Project, options: DoctorOptions | None = None) -> DoctorReport:
    from solvent.doctor import (
        cascades,
        config_debt,
        coverage,
        jungle,
        notebooks,
        stage_code,
        thresholds,
        unstable,
        visibility,
    )  # fmt: skip
    from solvent.doctor.mltestscore import score as mltest_score
    from solvent.doctor.reproduce import scan as reproduce_scan

    options = options or DoctorOptions()
    cuts = thresholds.scan(project)
    flagged = {(f.file or "", f.line or 0) for f in cuts}
    shaky = unstable.scan(project)
    found = [
        *visibility.scan(project, [f for f in shaky if f.code == "outside-input"]),
        *cascades.scan(project),
        *jungle.scan(project),
        *config_debt.scan(project, flagged),
        *cuts,
        *shaky,
        *reproduce_scan(project),
        *coverage.scan(project, cuts, options.audit_age_days),
        *notebooks.scan(project),
        *stage_code.scan(project, check_types=options.check_types),
    ]
    kept = [f for f in found if not _ignored(f, options.ignore)]
    return DoctorReport(
        str(project.root), tuple(sorted(kept, key=Finding.sort_key)), len(project.stages),
        score=mltest_score(project, found),
    )  # fmt: skip


def _ignored(finding: Finding, ignore: tuple[str, ...]) -> bool:
    for rule in ignore:
        code, _, target = rule.partition(":")
        if code != finding.code:
            continue
        if not target or target in (finding.stage, finding.file, finding.where, finding.subject):
            return True
    return False
