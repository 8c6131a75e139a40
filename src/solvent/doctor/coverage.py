"""Health coverage (§3.2, §7.2): does each model have the checks that catch silent failure?
A feature audit (and a recent one), a drift check on its inputs, and a learned threshold
wherever its scores are cut."""

from __future__ import annotations

import json
import time
from pathlib import PurePosixPath

from solvent.doctor.findings import Finding
from solvent.doctor.project import Project
from solvent.pipeline.spec.model import Stage

AUDIT_MAX_AGE_DAYS = 90.0
DAY = 86400.0


def scan(project: Project, thresholds: list[Finding], audit_age: float = AUDIT_MAX_AGE_DAYS
         ) -> list[Finding]:  # fmt: skip
    """``thresholds``: the fixed-threshold findings, for models whose scores are cut by hand."""
    found: list[Finding] = []
    for model in project.model_stages:
        found += _audit(project, model, audit_age)
        found += _drift(project, model)
        found += _threshold(project, model, thresholds)
    return found


def _mentions(stage: Stage, paths: set[str]) -> bool:
    text = " ".join(stage.cmd)
    return any(p in text for p in paths) or any(str(d) in paths for d in stage.deps)


def _audit(project: Project, model: Stage, max_age: float) -> list[Finding]:
    touched = {str(d) for d in model.deps} | {str(o.path) for o in model.outs}
    when: list[float] = []
    for stage in project.stages:
        if "audit features" in " ".join(stage.cmd) and _mentions(stage, touched):
            run = project.last_run(stage.name)
            if run is not None:
                when.append(run.ended)
            elif stage.name in project.lock:  # outs not checked out: no age to tell
                when.extend(t for o in stage.outs if (t := _mtime(project, o.path)))
    when += [t for rel, t in audit_files(project)
             if t and (rel in touched or _label(project, rel) in touched)]  # fmt: skip
    fix = (
        f"audit the features of '{model.name}': 'solvent audit features --data <training "
        f"table> --target <label> --model {_model_path(model)}' as a stage of the pipeline"
    )
    if not when:
        return [
            Finding(
                "coverage", "no-feature-audit", "warning",
                f"model stage '{model.name}' has no feature audit: nobody knows which of its "
                "features are legacy, bundled or not worth their cost",
                fix, file=project.stage_file(model), line=model.where.line, stage=model.name,
            )
        ]  # fmt: skip
    age = (time.time() - max(when)) / DAY
    if age > max_age:
        return [
            Finding(
                "coverage", "stale-feature-audit", "warning",
                f"the feature audit of model stage '{model.name}' is {age:.0f} days old "
                f"(older than {max_age:g})",
                f"rerun it: 'solvent repro --force' on the audit stage, or {fix}",
                file=project.stage_file(model), line=model.where.line, stage=model.name,
            )
        ]  # fmt: skip
    return []


def audit_files(project: Project) -> list[tuple[str, float]]:
    """JSON files in the repo that hold a feature audit (``solvent audit features -o``), by
    the path of the table they audited, with their modification time."""
    out: list[tuple[str, float]] = []
    for rel in sorted(project.git_files or ()):
        if not rel.endswith(".json") or "audit" not in PurePosixPath(rel).name:
            continue
        out.append((rel, _mtime(project, PurePosixPath(rel))))
    return out


def _label(project: Project, rel: str) -> str:
    try:
        doc = json.loads(project.text(rel))
        label = doc.get("data", {}).get("label") or ""
    except (ValueError, AttributeError):
        return ""
    return str(label).split("@", 1)[0]


def _mtime(project: Project, rel: PurePosixPath) -> float:
    try:
        return project.layout.abs(rel).stat().st_mtime
    except OSError:
        return 0.0


def _model_path(model: Stage) -> str:
    from solvent.doctor.project import is_model_out

    # audit features loads a saved model with joblib; anything else is named by its class.
    outs = [str(o.path) for o in model.outs if is_model_out(o)
            and o.path.suffix.lower() in (".pkl", ".pickle", ".joblib")]  # fmt: skip
    return outs[0] if outs else "<estimator, e.g. sklearn.ensemble:RandomForestClassifier>"


def _drift(project: Project, model: Stage) -> list[Finding]:
    chain = project.reach(model.name)
    for stage in project.stages:
        if stage.name in chain and any(c.kind == "drift" for c in stage.checks):
            return []
        text = " ".join(stage.cmd)
        if "solvent drift" in text or "solvent monitor" in text:
            return []
    return [
        Finding(
            "coverage", "no-drift-check", "warning",
            f"no drift check guards the inputs of model stage '{model.name}': when the data "
            "shifts, it retrains (or predicts) without a word",
            f"add to '{model.name}' (or the stage that prepares its data) "
            "'checks: {drift: {<its input table>: 0.2}}' (fails the stage when over a fifth "
            "of the columns drift from the locked version)",
            file=project.stage_file(model), line=model.where.line, stage=model.name,
        )
    ]  # fmt: skip


def _threshold(project: Project, model: Stage, thresholds: list[Finding]) -> list[Finding]:
    after = project.reach(model.name, downstream=True)
    cuts = [f for f in thresholds if f.stage in after]
    if not cuts:
        return []
    if any("threshold fit" in " ".join(s.cmd) for s in project.stages):
        return []
    if any("threshold" in PurePosixPath(r).name and r.endswith(".json")
           for r in project.git_files or ()):  # fmt: skip
        return []
    first = cuts[0]
    return [
        Finding(
            "coverage", "threshold-without-artifact", "warning",
            f"the scores of model stage '{model.name}' are cut at a hard-coded threshold "
            f"({first.where}) and no learned threshold exists",
            "add a stage 'solvent threshold fit <held-out predictions> --scores <col> "
            "--labels <col> -o threshold.json' and read threshold.json where the cut is made",
            file=project.stage_file(model), line=model.where.line, stage=model.name,
        )
    ]  # fmt: skip
