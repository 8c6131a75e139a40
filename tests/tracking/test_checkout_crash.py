"""Crash safety of ``solvent checkout`` switching versions: killed with SIGKILL at random
moments, it leaves temp files that are Solvent's, not the user's, so the rerun (without
``--force``) finishes the switch, cleans them up, and the data is byte-identical."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import bad_objects, git, read_files, solvent, solvent_ok, write

FILES = 3000
KILLS = 8

# ``solvent checkout``, killed by SIGKILL the moment its Nth temp file is whole and about to be
# renamed over the data: the worst moment for a leftover, which random timing rarely hits.
KILL_AT_RENAME = """
import os, runpy, signal, sys
rename, seen, at = os.replace, [0], int(sys.argv.pop(1))
def replace(src, dst, **kw):
    if str(src).endswith(".tmp"):
        seen[0] += 1
        if seen[0] == at:
            os.kill(os.getpid(), signal.SIGKILL)
    return rename(src, dst, **kw)
os.replace = replace
sys.argv = ["solvent", "checkout"]
runpy.run_module("solvent", run_name="__main__")
"""


def version(folder: Path, rng: random.Random, n: int) -> dict[str, tuple[bytes, bool]]:
    """Rewrite ``folder`` as version ``n``: most files change, some go, some are new."""
    for i in range(FILES):
        path = folder / f"d{i % 20}" / f"f{i}.txt"
        if (i + n) % 7 == 0:
            if path.exists():
                path.unlink()
            continue
        write(path, rng.randbytes(i % 900) if (i + n) % 3 else f"{i}\n")
    return read_files(folder)


@pytest.mark.slow
def test_a_killed_switch_is_finished_by_the_rerun(repo: Path) -> None:
    seed = int.from_bytes(os.urandom(4))
    rng = random.Random(seed)
    small = repo / "small"
    expected, commits = [], []
    for n in range(2):
        expected.append(version(small, rng, n))
        solvent_ok(repo, "add", "small")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"version {n}")
        commits.append(git(repo, "rev-parse", "HEAD").strip())

    started = time.monotonic()
    git(repo, "checkout", "-q", commits[0])
    solvent_ok(repo, "checkout")
    full = time.monotonic() - started
    interrupted = 0
    for kill in range(KILLS):
        target = (kill + 1) % 2
        git(repo, "checkout", "-q", commits[target])
        proc = subprocess.Popen(
            [sys.executable, "-m", "solvent", "checkout"],
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        delay = rng.uniform(0.1, full)
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            interrupted += 1
        context = f"seed {seed}, kill {kill} after {delay:.2f} s"
        rerun = solvent(repo, "checkout")  # no --force: nothing here is the user's
        assert rerun.returncode == 0, f"{context}: {rerun.stderr}"
        assert read_files(small) == expected[target], context  # no temp file left either
        assert not [p for p in repo.iterdir() if p.name.startswith(".small")], context
        assert "Tracked data is up to date." in solvent_ok(repo, "status"), context
    print(f"{interrupted} of {KILLS} checkouts were killed before they finished")
    assert interrupted >= KILLS // 3, f"seed {seed}: too few kills landed during the work"
    assert bad_objects(repo) == []


def test_a_checkout_killed_beside_its_temp_file_is_finished_by_the_rerun(repo: Path) -> None:
    rng = random.Random(7)
    small = repo / "small"
    expected, commits = [], []
    for n in range(2):
        expected.append(version(small, rng, n))
        solvent_ok(repo, "add", "small")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"version {n}")
        commits.append(git(repo, "rev-parse", "HEAD").strip())
    for trial, at in enumerate((1, 400, 1500)):
        target = trial % 2
        git(repo, "checkout", "-q", commits[target])
        killed = subprocess.run(
            [sys.executable, "-c", KILL_AT_RENAME, str(at)], cwd=repo, capture_output=True
        )
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        left = [p for p in small.rglob("*") if p.name.endswith(".tmp")]
        assert len(left) == 1, left  # what the kill left: Solvent's, never the user's
        status = solvent_ok(repo, "status")
        assert left[0].name not in status
        rerun = solvent(repo, "checkout")  # no --force
        assert rerun.returncode == 0, f"kill at rename {at}: {rerun.stderr}"
        assert read_files(small) == expected[target]
        assert "Tracked data is up to date." in solvent_ok(repo, "status")
