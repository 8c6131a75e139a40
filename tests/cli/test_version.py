from __future__ import annotations

from pathlib import Path

from tests.helpers import solvent


def test_version(tmp_path: Path) -> None:
    proc = solvent(tmp_path, "--version")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "solvent 0.1.0\n", "")


def test_help_lists_the_commands(tmp_path: Path) -> None:
    proc = solvent(tmp_path, "--help")
    assert proc.returncode == 0
    for command in ("init", "add", "status", "diff", "checkout", "cache"):
        assert command in proc.stdout


def test_unknown_command_is_a_usage_error(tmp_path: Path) -> None:
    proc = solvent(tmp_path, "frobnicate")
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "No such command" in proc.stderr
