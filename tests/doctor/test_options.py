"""``[doctor]`` in the config, and the Python API."""

from __future__ import annotations

from pathlib import Path

from solvent import Repo
from tests.doctor.tiny import committed
from tests.helpers import assert_user_error, solvent

SPEC = "stages:\n  s:\n    cmd: python w.py\n    deps: [w.py]\n    outs: [side.csv]\n"


def test_bad_config_is_one_clear_error(repo: Path) -> None:
    committed(repo, {"solvent.yaml": SPEC, "w.py": "open('side.csv', 'w')\n"})
    config = repo / ".solvent" / "config.toml"
    config.write_text((config.read_text() if config.exists() else "") + "[doctor]\nignore = 3\n")
    assert_user_error(solvent(repo, "doctor"), "doctor.ignore must be a list of strings")
    config.write_text("[doctor]\naudit_age_days = -1\n")
    assert_user_error(solvent(repo, "doctor"), "audit_age_days must be a positive number")


def test_repo_doctor_returns_the_findings(repo: Path) -> None:
    committed(repo, {"solvent.yaml": SPEC, "w.py": "open('side.csv', 'w')\n"})
    report = Repo(repo).doctor()
    codes = sorted(f.code for f in report.findings)
    assert codes == ["dead-out", "never-run", "no-environment-file"]
    dead = next(f for f in report.findings if f.code == "dead-out")
    assert (dead.where, dead.stage, dead.subject) == ("solvent.yaml:5", "s", "side.csv")
    assert report.fails("warning") and not report.fails("error")
