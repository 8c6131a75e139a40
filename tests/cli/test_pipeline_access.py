"""``solvent repro --strict-deps`` and ``--trace`` as a user sees them."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.helpers import assert_user_error, solvent, solvent_ok

PY = sys.executable


def stage_reading_extra(repo: Path) -> None:
    (repo / "extra.csv").write_text("a\n1\n")
    (repo / "train.py").write_text('open("model.txt", "w").write(open("extra.csv").read())\n')
    (repo / "solvent.yaml").write_text(
        f"stages:\n  train:\n    cmd: {PY} train.py\n    outs: [model.txt]\n"
    )


def test_strict_deps_names_the_paths_and_the_fix_and_exits_1(repo: Path) -> None:
    stage_reading_extra(repo)
    proc = solvent(repo, "repro", "--strict-deps")
    assert proc.returncode == 1
    assert "! train: reads extra.csv (at train.py:1), which is not a declared dep" in proc.stdout
    assert "failed: train: reads undeclared extra.csv (--strict-deps)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_without_strict_deps_an_undeclared_read_is_a_warning(repo: Path) -> None:
    stage_reading_extra(repo)
    out = solvent_ok(repo, "repro")
    assert "add `- extra.csv` to deps of stage train in solvent.yaml" in out
    assert "1 ran" in out


def test_trace_off_on_the_command_line(repo: Path) -> None:
    stage_reading_extra(repo)
    out = solvent_ok(repo, "repro", "--strict-deps", "--trace", "off")
    assert "not a declared" not in out


def test_an_unknown_trace_mode_is_a_usage_error(repo: Path) -> None:
    stage_reading_extra(repo)
    assert_user_error(solvent(repo, "repro", "--trace", "loud"), "unknown trace mode 'loud'")
