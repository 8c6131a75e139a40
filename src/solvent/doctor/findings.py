"""What ``solvent doctor`` reports: findings, each in one debt category of Sculley et al. 2015
("Hidden Technical Debt in Machine Learning Systems"), with its evidence and its fix.

Findings are plain values: scanners return them, the report sorts and renders them, and
``--json`` prints them as they are.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["info", "warning", "error"]
SEVERITIES: tuple[Severity, ...] = ("info", "warning", "error")


@dataclass(frozen=True, slots=True)
class Category:
    key: str
    title: str
    section: str  # where the paper discusses it
    why: str  # one sentence on what this debt costs


CATEGORIES: tuple[Category, ...] = (
    Category(
        "visibility",
        "Undeclared dependencies (visibility debt)",
        "§2.3, §3.3",
        "a file a stage reads but does not declare changes without anything rerunning; "
        "an undeclared output is a consumer nobody knows about",
    ),
    Category(
        "cascade",
        "Correction cascades",
        "§2.2",
        "a model trained on another model's predictions ties their improvements together: "
        "improving the first can make the second worse",
    ),
    Category(
        "jungle",
        "Pipeline jungle",
        "§5.2",
        "outputs nobody reads, stages nobody runs and data nobody versions are code and data "
        "that cost upkeep and confuse the next reader",
    ),
    Category(
        "smells",
        "Prototype and plain-old-data smells",
        "§5.4",
        "a notebook run by hand in a pipeline, or code without types, is a prototype in "
        "production: nobody can rerun it, review its diff or know what its values are",
    ),
    Category(
        "config",
        "Configuration debt",
        "§6",
        "a parameter nobody uses or tunes, or one kept in two places, is configuration that "
        "lies about what the system does",
    ),
    Category(
        "threshold",
        "Fixed thresholds",
        "§7.1",
        "a decision threshold typed into a script goes stale silently when the model or the "
        "data changes",
    ),
    Category(
        "reproducibility",
        "Unstable data and reproducibility",
        "§3.1, §8.2",
        "inputs from outside the repo, outputs that change on a rerun and runs from unsaved "
        "code make results nobody can reproduce",
    ),
    Category(
        "coverage",
        "Health coverage",
        "§3.2, §7.2",
        "a model with no feature audit, drift check or learned threshold fails silently when "
        "the world changes",
    ),
)
CATEGORY_KEYS = tuple(c.key for c in CATEGORIES)


def category(key: str) -> Category:
    for c in CATEGORIES:
        if c.key == key:
            return c
    raise KeyError(key)


@dataclass(frozen=True, slots=True)
class Finding:
    """One debt: what, where (file and line, stage, ids) and how to pay it off.

    ``code`` names the kind of finding (``undeclared-read``, ``fixed-threshold``…): stable, for
    scripts and for ``[doctor] ignore`` in the config (``code`` or ``code:target``, the target
    being the stage, the file, ``file:line`` or the subject)."""

    category: str
    code: str
    severity: Severity
    message: str
    fix: str
    file: str | None = None
    line: int | None = None
    stage: str | None = None
    ids: dict[str, str] = field(default_factory=dict)  # what the evidence names: path → id
    subject: str | None = None  # what it is about: an out, a param key, a data file
    cell: int | None = None  # in a notebook: the cell (1-based), ``line`` being within it

    @property
    def where(self) -> str:
        if self.file is None:
            return ""
        if self.cell is not None:
            return f"{self.file} cell {self.cell}" + (f":{self.line}" if self.line else "")
        return f"{self.file}:{self.line}" if self.line is not None else self.file

    def sort_key(self) -> tuple[int, str, str, int, int, str]:
        return (
            CATEGORY_KEYS.index(self.category),
            self.file or "",
            self.stage or "",
            self.cell or 0,
            self.line or 0,
            self.message,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def at_least(severity: Severity, floor: Severity) -> bool:
    return SEVERITIES.index(severity) >= SEVERITIES.index(floor)
