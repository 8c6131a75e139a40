from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from solvent.errors import LockTimeoutError
from solvent.storage.lock import repo_lock

HOLD = """
import sys, time
from pathlib import Path
from solvent.storage.lock import repo_lock
with repo_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the lock on ``tmp_path / 'lock'``."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "lock")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "locked\n"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def test_second_process_times_out_naming_the_holder(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    started = time.monotonic()
    with pytest.raises(LockTimeoutError) as caught, repo_lock(tmp_path / "lock", timeout=0.3):
        pytest.fail("took a lock another process holds")
    assert time.monotonic() - started >= 0.3
    message = str(caught.value)
    assert f"locked by pid {holder.pid} on " in message
    assert "hint:" in message
    info = json.loads((tmp_path / "lock").read_text())
    assert info["pid"] == holder.pid


def test_lock_frees_itself_when_the_holder_is_killed(
    tmp_path: Path, holder: subprocess.Popen[str]
) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with repo_lock(tmp_path / "lock", timeout=2):
        info = json.loads((tmp_path / "lock").read_text())
        assert info["pid"] == os.getpid()


def test_release_empties_the_lock_file(tmp_path: Path) -> None:
    path = tmp_path / "lock"
    with repo_lock(path, timeout=1):
        assert json.loads(path.read_text())["pid"] == os.getpid()
    assert path.read_text() == ""
    with repo_lock(path, timeout=1):  # and it can be taken again
        pass


def test_unknown_holder_is_still_reported(tmp_path: Path, holder: subprocess.Popen[str]) -> None:
    (tmp_path / "lock").write_text("garbage")  # e.g. a holder from an older version
    with (
        pytest.raises(LockTimeoutError, match="locked by an unknown process"),
        repo_lock(tmp_path / "lock", timeout=0.1),
    ):
        pytest.fail("took a lock another process holds")
