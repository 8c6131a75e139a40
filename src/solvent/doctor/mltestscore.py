"""The ML Test Score (Breck et al. 2017, "The ML Test Score: A Rubric for ML Production
Readiness and Technical Debt Reduction"): 28 tests in four sections, scored from what Solvent
can see of the project.

The paper gives half a point for a test run by hand with its results shared, and a point for
one that runs automatically; a section's score is the sum of its tests, and the final score
the minimum over the four sections (all four matter). Solvent sees only automated tests
(checks in solvent.yaml, stages, CI files, test files, experiments, reruns), so a test in
place scores 1; the tests it cannot see at all (privacy controls, canarying, …) are listed as
not visible and score nothing here: a team may add their half points by hand.

Pure functions over a ``Project`` and the doctor's findings (before ``ignore``: an accepted
finding is still a missing test).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from pathlib import PurePosixPath
from typing import Any, Literal

from solvent.doctor.findings import Finding
from solvent.doctor.project import Project, is_model_out
from solvent.pipeline.spec.model import Stage

Status = Literal["in place", "missing", "not visible"]
Verdict = tuple[Status, str]  # and the evidence: what was seen, or what is missing

SECTIONS = (  # key, title, the paper's label of its tests
    ("data", "Data", "Data"),
    ("model", "Model", "Model"),
    ("infra", "Infrastructure", "Infra"),
    ("monitor", "Monitoring", "Monitor"),
)

# The paper's table V: what a final score says about a system.
MEANINGS = (
    (0.0, "more of a research project than a productionized system"),
    (1.0, "not totally untested, but serious holes in reliability are possible"),
    (2.0, "a first pass at productionization; more investment may be needed"),
    (3.0, "reasonably tested; more of the tests could be automated"),
    (5.0, "strong automated testing and monitoring, fit for mission-critical systems"),
)
EXCEPTIONAL = "exceptional levels of automated testing and monitoring"

CI_FILES = re.compile(
    r"^(\.github/workflows/[^/]+\.ya?ml|\.gitlab-ci\.ya?ml|\.ci/.+|\.circleci/config\.ya?ml|"
    r"azure-pipelines\.ya?ml|Jenkinsfile|Makefile|tox\.ini|noxfile\.py)$"
)
TEST_FILES = re.compile(r"(^|/)(test_[^/]*|[^/]*_test)\.py$")


@dataclass(frozen=True, slots=True)
class RubricTest:
    section: str
    number: int
    name: str  # as the paper names it
    status: Status
    evidence: str  # what Solvent saw, what is missing, or why it cannot see

    @property
    def label(self) -> str:
        return f"{_short(self.section)} {self.number}"

    @property
    def points(self) -> float:
        return 1.0 if self.status == "in place" else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "number": self.number, "name": self.name,
                "status": self.status, "evidence": self.evidence,
                "points": self.points}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SectionScore:
    key: str
    title: str
    tests: tuple[RubricTest, ...]

    @property
    def points(self) -> float:
        return sum(t.points for t in self.tests)

    @property
    def in_place(self) -> int:
        return sum(t.status == "in place" for t in self.tests)

    @property
    def visible(self) -> int:
        return sum(t.status != "not visible" for t in self.tests)


@dataclass(frozen=True, slots=True)
class MLTestScore:
    sections: tuple[SectionScore, ...]

    @property
    def final(self) -> float:
        return min(s.points for s in self.sections)

    @property
    def meaning(self) -> str:
        return meaning(self.final)

    def to_dict(self) -> dict[str, Any]:
        return {
            "final": self.final,
            "meaning": self.meaning,
            "sections": [
                {"key": s.key, "title": s.title, "points": s.points, "in_place": s.in_place,
                 "visible": s.visible, "tests": [t.to_dict() for t in s.tests]}
                for s in self.sections
            ],
        }  # fmt: skip


def meaning(final: float) -> str:
    for upto, text in MEANINGS:
        if final <= upto:
            return text
    return EXCEPTIONAL


def _day(epoch: float) -> str:
    return time.strftime("%Y-%m-%d", time.localtime(epoch))


def _short(key: str) -> str:
    return next(short for k, _, short in SECTIONS if k == key)


# -- what the tests look at --------------------------------------------------------------


class Evidence:
    """The facts the tests share, gathered once."""

    def __init__(self, project: Project, findings: list[Finding]) -> None:
        self.project = project
        self.findings = findings
        self.models = project.model_stages

    def found(self, code: str, stage: str | None = None) -> list[Finding]:
        return [f for f in self.findings if f.code == code and stage in (None, f.stage)]

    def upstream(self, model: Stage) -> list[Stage]:
        """The model stage and every stage before it."""
        names = self.project.reach(model.name)
        return [s for s in self.project.stages if s.name in names]

    def downstream(self, model: Stage) -> list[Stage]:
        """The model stage and every stage after it."""
        names = self.project.reach(model.name, downstream=True)
        return [s for s in self.project.stages if s.name in names]

    def running(self, *commands: str) -> list[Stage]:
        return [s for s in self.project.stages if any(c in " ".join(s.cmd) for c in commands)]

    @cached_property
    def tests(self) -> dict[str, tuple[set[str], str]]:
        """Test files git tracks: the modules each imports, and its text."""
        from solvent.pipeline.planning.codedeps import imports_of

        found = {}
        for rel in sorted(self.project.git_files or ()):
            if TEST_FILES.search(rel):
                text = self.project.text(rel)
                found[rel] = ({n for n, level in imports_of(text.encode()) if level == 0}, text)
        return found

    def tested(self, code: PurePosixPath) -> list[str]:
        """The test files that import ``code`` (by any of its module names) or run it."""
        names = _module_names(code)
        return [rel for rel, (imported, text) in self.tests.items()
                if imported & names or str(code) in text]  # fmt: skip

    @cached_property
    def ci(self) -> dict[str, str]:
        return {rel: self.project.text(rel) for rel in sorted(self.project.git_files or ())
                if CI_FILES.match(rel)}  # fmt: skip


def _module_names(code: PurePosixPath) -> set[str]:
    """``src/pkg/mod.py`` → {pkg.mod, src.pkg.mod, mod}; a package's ``__init__`` its own."""
    parts = list(code.with_suffix("").parts)
    if parts and parts[-1] == "__init__":
        parts.pop()
    return {".".join(parts[i:]) for i in range(len(parts))}


def _names(stages: list[Stage]) -> str:
    return ", ".join(s.name for s in stages)


def _each_model(ev: Evidence, has: Callable[[Stage], str | None], missing: str) -> Verdict:
    """In place when ``has`` finds evidence for every model stage (its text), else missing
    with the stages that lack it."""
    if not ev.models:
        return "missing", "no model stage (mark the training stage 'type: model')"
    seen: list[str] = []
    lacking: list[Stage] = []
    for model in ev.models:
        what = has(model)
        if what:
            seen.append(what)
        else:
            lacking.append(model)
    if lacking:
        return "missing", missing.format(stages=_names(lacking))
    return "in place", "; ".join(dict.fromkeys(seen))


# -- the tests Solvent can see ------------------------------------------------------------


def _schema(ev: Evidence, model: Stage, stages: list[Stage]) -> str | None:
    checked = [(s, c) for s in stages for c in s.checks if c.kind == "schema"]
    if not checked:
        return None
    s, c = checked[0]
    return f"schema check on {', '.join(map(str, c.paths))} (stage {s.name})"


def data_schema(ev: Evidence) -> Verdict:
    return _each_model(
        ev, lambda m: _schema(ev, m, ev.upstream(m)),
        "no schema check on the inputs of {stages}: add 'checks: {{schema: [<training "
        "table>]}}' to the stage (or the one preparing its data)",
    )  # fmt: skip


def data_audit(ev: Evidence) -> Verdict:
    def audited(model: Stage) -> str | None:
        if ev.found("no-feature-audit", model.name) or ev.found("stale-feature-audit",
                                                                model.name):  # fmt: skip
            return None
        by = [s for s in ev.running("audit features") if s.name != model.name]
        return f"feature audit of {model.name}" + (f" (stage {by[0].name})" if by else "")

    stale = [f.stage for f in ev.found("stale-feature-audit")]
    why = " (stale: {})".format(", ".join(s for s in stale if s)) if stale else ""
    return _each_model(
        ev, audited, "no recent feature audit of {stages}" + why +
        ": add a stage 'solvent audit features --data <table> --target <label> --model <model>'",
    )  # fmt: skip


def data_feature_code(ev: Evidence) -> Verdict:
    feature_stages = {s.name: s for m in ev.models for s in ev.upstream(m)
                      if not ev.project.is_model(s)}  # fmt: skip
    code = {c: s for s in feature_stages.values() for c in ev.project.code_of(s)}
    if not code:
        return "not visible", "no Python stage prepares the models' features"
    untested = sorted(str(c) for c in code if not ev.tested(c))
    if untested:
        return "missing", f"no test imports {', '.join(untested)}: add tests/test_<name>.py"
    files = sorted({t for c in code for t in ev.tested(c)})
    return "in place", f"feature code tested by {', '.join(files)}"


def model_checked_in(ev: Evidence) -> Verdict:
    def committed(model: Stage) -> str | None:
        files = ev.project.git_files or set()
        code = ev.project.code_of(model)
        if model.name not in ev.project.lock or ev.found("dirty-run", model.name):
            return None
        if ev.found("notebook-stage", model.name):  # a notebook's diff is JSON: not reviewable
            return None
        if not code or any(str(c) not in files for c in code):
            return None
        return f"{model.name}: {', '.join(map(str, code))} committed, outs made from it"

    return _each_model(
        ev, committed, "the code of {stages} is not committed, is a notebook (notebook-stage), "
        "or its locked outs were made from uncommitted code: commit it and rerun the stage",
    )  # fmt: skip


def model_tuned(ev: Evidence) -> Verdict:
    from solvent.runs.experiments import split_key

    def tuned(model: Stage) -> str | None:
        if ev.found("params-in-code", model.name):  # typed in the code: nothing can sweep them
            return None
        keys = [(str(p.file), p.key) for p in model.params]
        varied: set[str] = set()
        done = [e for e in ev.project.experiments if e.status == "done"]
        for exp in done:
            for key in exp.overrides:
                file, dotted = split_key(key)
                if any(file == f and (k is None or dotted == k or dotted.startswith(f"{k}."))
                       for f, k in keys):  # fmt: skip
                    varied.add(dotted)
        runs = sum(1 for e in done if any(split_key(k)[1] in varied for k in e.overrides))
        return f"{runs} experiment(s) varied {', '.join(sorted(varied))}" if varied else None

    return _each_model(
        ev, tuned, "no experiment varied the params of {stages} (or they are typed in its code: "
        "params-in-code): declare its hyperparameters "
        "as params and sweep them ('solvent exp run -S train.lr=0.1,0.01')",
    )  # fmt: skip


def model_slices(ev: Evidence) -> Verdict:
    sliced = [s for s in ev.running("solvent monitor") if "--slice" in " ".join(s.cmd)]
    if sliced:
        return "in place", f"stage {sliced[0].name} monitors quality per slice"
    return "missing", "no stage runs 'solvent monitor --slice <column>'"


def infra_reproducible(ev: Evidence) -> Verdict:
    from solvent.doctor.reproduce import current

    verdicts = current(ev.project)

    def shown(model: Stage) -> str | None:
        v = verdicts.get(model.name)
        if v is None or v.verdict != "reproducible":
            return None
        return f"{model.name} reran identically on {_day(v.at)}"

    differs = [n for n, v in verdicts.items() if v.verdict == "differs"]
    why = f" ({', '.join(differs)} differed on a rerun)" if differs else ""
    return _each_model(
        ev, shown, "{stages} not shown reproducible" + why + ": 'solvent doctor --reproduce'",
    )  # fmt: skip


def infra_unit_tested(ev: Evidence) -> Verdict:
    def tested(model: Stage) -> str | None:
        if ev.found("notebook-stage", model.name):  # a notebook is not importable by a test
            return None
        files = sorted({t for c in ev.project.code_of(model) for t in ev.tested(c)})
        return f"{model.name} code tested by {', '.join(files)}" if files else None

    return _each_model(ev, tested, "no test file imports the code of {stages} (a notebook "
                       "cannot be imported): add tests/test_<module>.py")  # fmt: skip


def infra_integration(ev: Evidence) -> Verdict:
    runs = [rel for rel, text in ev.ci.items() if "solvent repro" in text]
    if runs:
        return "in place", f"{', '.join(runs)} runs 'solvent repro'"
    return "missing", "no CI file (.github/workflows, .gitlab-ci.yml, …) runs 'solvent repro'"


def infra_validated(ev: Evidence) -> Verdict:
    def validated(model: Stage) -> str | None:
        after = ev.downstream(model)
        metrics = [str(o.path) for s in after for o in s.outs if o.kind == "metric"]
        gates = [s for s in ev.running("threshold check", "solvent monitor")
                 if s in after]  # fmt: skip
        gates += [s for s in ev.project.stages if any(str(d) in metrics for d in s.deps)]
        if not metrics or not gates:
            return None
        return f"{model.name}: {', '.join(metrics)} gated by stage {gates[0].name}"

    return _each_model(
        ev, validated, "no metric of {stages} gates anything: declare its metrics and add a "
        "stage that fails on a bad one ('solvent threshold check', or a script reading them)",
    )  # fmt: skip


def infra_rollback(ev: Evidence) -> Verdict:
    lock_committed = "solvent.lock" in (ev.project.git_files or set())

    def versioned(model: Stage) -> str | None:
        outs = [o for o in model.outs if is_model_out(o)] or list(model.outs)
        locked = ev.project.lock.get(model.name)
        ids = {str(o.path) for o in locked.outs} if locked else set()
        if not outs or not lock_committed:
            return None
        if all(o.cache and str(o.path) in ids for o in outs):
            return f"{', '.join(str(o.path) for o in outs)} cached, ids in the committed lock"
        return None

    return _each_model(
        ev, versioned, "the models of {stages} are not cached outs in a committed solvent.lock: "
        "keep 'cache: true', run the stage and commit the lock",
    )  # fmt: skip


def monitor_dependencies(ev: Evidence) -> Verdict:
    if ev.found("undeclared-read"):
        return "missing", "stages read files they do not declare (undeclared-read findings)"
    undrifted = [f.stage for f in ev.found("no-drift-check") if f.stage]
    if not ev.models:
        return "missing", "no model stage (mark the training stage 'type: model')"
    if undrifted:
        return "missing", f"no drift check on the inputs of {', '.join(undrifted)}"
    return "in place", "every read is declared and the models' inputs have drift checks"


def monitor_invariants(ev: Evidence) -> Verdict:
    return _each_model(
        ev, lambda m: _schema(ev, m, [*ev.upstream(m), *ev.downstream(m)]),
        "no schema check on the data of {stages}: add 'checks: {{schema: [<table>]}}'",
    )  # fmt: skip


def monitor_skew(ev: Evidence) -> Verdict:
    found = ev.running("solvent monitor", "solvent drift")
    if found:
        return "in place", f"stage {found[0].name} compares served data with the training data"
    return "missing", "no stage runs 'solvent monitor' or 'solvent drift' on served data"


def monitor_quality(ev: Evidence) -> Verdict:
    found = ev.running("solvent monitor", "threshold check")
    if found:
        return "in place", f"stage {found[0].name} checks prediction quality"
    return "missing", "no stage runs 'solvent monitor' or 'solvent threshold check'"


# -- the rubric --------------------------------------------------------------------------

Check = Callable[[Evidence], Verdict]
RUBRIC: tuple[tuple[str, int, str, Check | str], ...] = (
    ("data", 1, "Feature expectations are captured in a schema", data_schema),
    ("data", 2, "All features are beneficial", data_audit),
    ("data", 3, "No feature's cost is too much", data_audit),
    ("data", 4, "Features adhere to meta-level requirements", "which features are allowed"),
    ("data", 5, "The data pipeline has appropriate privacy controls", "privacy controls"),
    ("data", 6, "New features can be added quickly", "how long a new feature takes"),
    ("data", 7, "All input feature code is tested", data_feature_code),
    ("model", 1, "Every model specification undergoes a code review and is checked in to a "
     "repository", model_checked_in),
    ("model", 2, "Offline proxy metrics correlate with actual online impact metrics",
     "online impact metrics"),
    ("model", 3, "All hyperparameters have been tuned", model_tuned),
    ("model", 4, "The impact of model staleness is known", "staleness experiments"),
    ("model", 5, "A simpler model is not better", "baseline models"),
    ("model", 6, "Model quality is sufficient on all important data slices", model_slices),
    ("model", 7, "The model has been tested for considerations of inclusion", "inclusion tests"),
    ("infra", 1, "Training is reproducible", infra_reproducible),
    ("infra", 2, "Model specification code is unit tested", infra_unit_tested),
    ("infra", 3, "The full ML pipeline is integration tested", infra_integration),
    ("infra", 4, "Model quality is validated before attempting to serve it", infra_validated),
    ("infra", 5, "The model allows debugging by observing the step-by-step computation of "
     "training or inference on a single example", "debugging tools"),
    ("infra", 6, "Models are tested via a canary process before they enter production serving "
     "environments", "the serving system"),
    ("infra", 7, "Models can be quickly and safely rolled back to a previous serving version",
     infra_rollback),
    ("monitor", 1, "Dependency changes result in notification", monitor_dependencies),
    ("monitor", 2, "Data invariants hold in training and serving inputs", monitor_invariants),
    ("monitor", 3, "Training and serving features compute the same values", monitor_skew),
    ("monitor", 4, "Models are not too stale", "the serving system"),
    ("monitor", 5, "The model is numerically stable", "the training internals"),
    ("monitor", 6, "The model has not experienced a dramatic or slow-leak regression in "
     "training speed, serving latency, throughput, or RAM usage", "the serving system"),
    ("monitor", 7, "The model has not experienced a regression in prediction quality on "
     "served data", monitor_quality),
)  # fmt: skip


def score(project: Project, findings: list[Finding]) -> MLTestScore:
    ev = Evidence(project, findings)
    sections = []
    for key, title, _ in SECTIONS:
        tests = []
        for section, number, name, check in RUBRIC:
            if section != key:
                continue
            status: Status
            if isinstance(check, str):
                status, evidence = "not visible", f"Solvent cannot see {check}"
            else:
                status, evidence = check(ev)
            tests.append(RubricTest(key, number, name, status, evidence))
        sections.append(SectionScore(key, title, tuple(tests)))
    return MLTestScore(tuple(sections))
