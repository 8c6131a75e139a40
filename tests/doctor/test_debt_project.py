"""The debt-ridden example project yields exactly the planted findings, each where it is."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.doctor.debt_project import EXPECTED, make_debt_project
from tests.helpers import solvent


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_debt_project(tmp_path_factory.mktemp("debt") / "project")


def _found(project: Path) -> list[dict[str, object]]:
    proc = solvent(project, "doctor", "--json")
    assert proc.returncode == 0, proc.stderr
    findings: list[dict[str, object]] = json.loads(proc.stdout)["findings"]
    return findings


def test_exactly_the_planted_debts_each_with_its_file_and_line(project: Path) -> None:
    got = {(f["code"], f["file"], f["line"], f["stage"]) for f in _found(project)}
    assert got == EXPECTED


def test_every_finding_says_how_to_fix_it(project: Path) -> None:
    for f in _found(project):
        assert f["fix"] and f["message"], f


def test_text_report_groups_by_the_papers_categories(project: Path) -> None:
    proc = solvent(project, "doctor")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for title in ("Correction cascades (§2.2", "Pipeline jungle (§5.2", "Configuration debt (§6",
                  "Fixed thresholds (§7.1", "Health coverage"):  # fmt: skip
        assert title in out
    assert "src/evaluate.py:12" in out and "solvent threshold fit" in out


def test_fail_on_sets_the_exit_code_for_ci(project: Path) -> None:
    assert solvent(project, "doctor", "--fail-on", "warning").returncode == 3
    assert solvent(project, "doctor", "--fail-on", "error").returncode == 3  # undeclared read
    assert solvent(project, "doctor").returncode == 0  # --fail-on never: a report only
    bad = solvent(project, "doctor", "--fail-on", "sometimes")
    assert bad.returncode != 0 and "choose error, warning or never" in bad.stderr


def test_accepted_findings_are_left_out(project: Path) -> None:
    config = project / ".solvent" / "config.toml"
    before = config.read_text() if config.exists() else ""
    try:
        config.write_text(
            before + '\n[doctor]\nignore = ["dead-out:prepare", "correction-cascade"]\n'
        )
        codes = {f["code"] for f in _found(project)}
        assert "dead-out" not in codes and "correction-cascade" not in codes
        assert "unused-param" in codes
    finally:
        config.write_text(before)
