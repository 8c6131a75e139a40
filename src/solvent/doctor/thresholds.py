"""Fixed thresholds (§7.1): decision cut-offs typed into the stages' code."""

from __future__ import annotations

from solvent.doctor.code_scan import fixed_thresholds
from solvent.doctor.findings import Finding
from solvent.doctor.project import Project


def scan(project: Project) -> list[Finding]:
    found: list[Finding] = []
    done: set[str] = set()
    for stage in project.stages:
        for rel in project.code_of(stage):
            if str(rel) in done:
                continue
            done.add(str(rel))
            tree = project.tree(rel)
            if tree is None:
                continue
            for hit in fixed_thresholds(tree, project.text(rel)):
                found.append(
                    Finding(
                        "threshold",
                        "fixed-threshold",
                        "warning",
                        f"'{hit.text}' cuts a model's scores at a hard-coded {hit.value:g}",
                        "learn the threshold on held-out data and read it from a file: "
                        "'solvent threshold fit <held-out predictions> --scores <col> --labels "
                        "<col> -o threshold.json' as a stage, then make this stage depend on "
                        "threshold.json and read the cut from it",
                        file=str(rel),
                        line=hit.line,
                        stage=stage.name,
                        subject=hit.text,
                    )
                )
    return found
