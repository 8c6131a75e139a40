"""Undeclared dependencies (visibility debt, §2.3 and §3.3), from what ``repro`` traced: the
files each stage's latest run read or wrote beyond its spec, judged against the spec as it is
now; and what it read from outside the repo or the network (unstable data, §3.1)."""

from __future__ import annotations

from solvent.doctor.findings import Finding
from solvent.doctor.project import Project
from solvent.pipeline.spec.model import Stage
from solvent.pipeline.tracing.access import AccessReport, Sighting, rejudge, spec_path, spec_stage


def scan(project: Project, static: list[Finding]) -> list[Finding]:
    """``static``: outside-input findings the code scan made, not to be said twice."""
    said = {(f.file, f.line) for f in static} | {f.subject for f in static}
    found: list[Finding] = []
    for stage in project.stages:
        report = _latest(project, stage)
        if report is None:
            continue
        found += [_read(project, stage, r) for r in report.undeclared_reads]
        found += [_write(project, stage, w) for w in report.undeclared_writes]
        for s in (*report.external_reads, *report.urls):
            if (s.file, s.line) in said or s.path in said:
                continue
            said.add(s.path)
            found.append(_outside(project, stage, s))
    return found


def _latest(project: Project, stage: Stage) -> AccessReport | None:
    """What the stage's latest run in this workspace opened (a restore ran nothing); None when
    that run was not traced: an older traced run may describe code changed since."""
    for record in reversed(project.runs_of(stage.name)):
        if record.status != "restored":
            return rejudge(AccessReport.from_json(record.access), stage) if record.access else None
    return None


def _where(project: Project, stage: Stage, s: Sighting) -> tuple[str, int | None]:
    if s.file is not None and not s.file.startswith("/"):
        return s.file, s.line
    return project.stage_file(stage), stage.where.line


def _read(project: Project, stage: Stage, s: Sighting) -> Finding:
    file, line = _where(project, stage, s)
    return Finding(
        "visibility", "undeclared-read", "error",
        f"stage '{stage.name}' reads {s.path}, which it does not declare: a change to it "
        "reruns nothing, and nobody reading the pipeline knows it matters",
        f"add '- {spec_path(stage, s.path)}' to the deps of stage {spec_stage(stage)} in "
        f"{project.stage_file(stage)} ('solvent repro --strict-deps' then keeps it that way)",
        file=file, line=line, stage=stage.name, subject=s.path,
    )  # fmt: skip


def _write(project: Project, stage: Stage, s: Sighting) -> Finding:
    file, line = _where(project, stage, s)
    return Finding(
        "visibility", "undeclared-write", "warning",
        f"stage '{stage.name}' writes {s.path}, which it does not declare: whoever reads it "
        "is a consumer nobody knows about, and no version of it is kept",
        f"add '- {spec_path(stage, s.path)}' to the outs of stage {spec_stage(stage)} in "
        f"{project.stage_file(stage)}, or stop writing it",
        file=file, line=line, stage=stage.name, subject=s.path,
    )  # fmt: skip


def _outside(project: Project, stage: Stage, s: Sighting) -> Finding:
    file, line = _where(project, stage, s)
    network = "://" in s.path or not s.path.startswith("/")
    return Finding(
        "reproducibility", "outside-input", "warning",
        f"stage '{stage.name}' read {'from the network: ' if network else ''}{s.path} when it "
        "last ran: data the repo does not version",
        f"download it once into the repo, 'solvent add' it and make it a dep of "
        f"'{stage.name}'",
        file=file, line=line, stage=stage.name, subject=s.path,
    )  # fmt: skip
