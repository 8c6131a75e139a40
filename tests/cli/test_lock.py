from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import assert_user_error, disk_state, make_folder, solvent, solvent_ok

HOLD = """
import sys, time
from pathlib import Path
from solvent.storage.lock import repo_lock
with repo_lock(Path(".solvent/lock")):
    print("locked", flush=True)
    sys.stdin.read()
"""


@pytest.fixture
def holder(repo: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the repo lock until its stdin closes."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD],
        cwd=repo,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        assert proc.stdout.readline() == "locked\n"
        yield proc
    finally:
        proc.stdin.close()
        proc.wait(timeout=10)


def test_add_while_locked_names_the_holder(repo: Path, holder: subprocess.Popen[str]) -> None:
    make_folder(repo / "data", {"a.csv": "a"})
    before = disk_state(repo)
    proc = solvent(repo, "add", "data", env={"SOLVENT_LOCK_TIMEOUT": "0.3"})
    assert_user_error(proc, "locked by", f"pid {holder.pid}")
    assert "wait for that command to finish" in proc.stderr
    assert disk_state(repo) == before
    assert holder.stdin is not None
    holder.stdin.close()
    holder.wait(timeout=10)
    solvent_ok(repo, "add", "data")
    assert (repo / "data.solvent").is_file()


def test_read_commands_do_not_wait_for_the_lock(repo: Path, holder: subprocess.Popen[str]) -> None:
    assert "No tracked data" in solvent_ok(repo, "status", env={"SOLVENT_LOCK_TIMEOUT": "0"})
