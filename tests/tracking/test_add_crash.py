"""Crash safety: ``solvent add`` killed with SIGKILL at random moments never leaves an object
whose bytes differ from its id, and a rerun finishes the job."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from tests.helpers import bad_objects, git, make_folder, read_files, solvent_ok, write

SMALL_FILES = 3000
LARGE_SIZE = 6 * 1024 * 1024
KILLS = 20


def make_data(folder: Path, rng: random.Random) -> list[Path]:
    small = []
    for i in range(SMALL_FILES):
        small.append(write(folder / f"shard{i % 30:02}" / f"row{i}.bin", rng.randbytes(i % 700)))
    for i in range(2):
        write(folder / f"large{i}.bin", rng.randbytes(LARGE_SIZE))
    return small


def assert_pointer_whole(repo: Path) -> None:
    pointer = repo / "big.solvent"
    if pointer.exists():  # written atomically: absent, or complete
        doc = yaml.safe_load(pointer.read_text())
        assert set(doc) == {"path", "id", "kind", "size", "files"}


@pytest.mark.slow
def test_add_killed_at_random_moments_never_corrupts_the_cache(repo: Path, tmp_path: Path) -> None:
    seed = int.from_bytes(os.urandom(4))
    rng = random.Random(seed)
    data = repo / "big"
    small = make_data(data, rng)

    copy = tmp_path / "copy"
    shutil.copytree(repo, copy, symlinks=True)
    started = time.monotonic()
    solvent_ok(copy, "add", "big")
    full_add = time.monotonic() - started
    shutil.rmtree(copy)

    interrupted = 0
    for kill in range(KILLS):
        proc = subprocess.Popen(
            [sys.executable, "-m", "solvent", "add", "big"],
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        delay = rng.uniform(0, full_add)
        started = time.monotonic()
        try:
            assert proc.wait(timeout=delay) == 0
            # It finished first: that was an uninterrupted add of today's amount of work.
            full_add = time.monotonic() - started
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            interrupted += 1
        context = f"seed {seed}, kill {kill} after {delay:.3f} s"
        assert bad_objects(repo) == [], context
        assert_pointer_whole(repo)
        # Loosen things so the next run has objects to write again.
        for path in rng.sample(small, 500):
            write(path, rng.randbytes(rng.randrange(700)))
        write(data / f"large{kill % 2}.bin", rng.randbytes(LARGE_SIZE))

    print(f"{interrupted} of {KILLS} runs were killed before they finished")
    assert interrupted >= KILLS // 4, f"seed {seed}: too few kills landed during the work"

    solvent_ok(repo, "add", "big")
    assert bad_objects(repo) == []
    assert "0 corrupt" in solvent_ok(repo, "cache", "verify")
    assert "Tracked data is up to date." in solvent_ok(repo, "status")
    assert list((repo / ".solvent" / "cache" / "tmp").iterdir()) == []

    # The pointer really names the workspace: a checkout from the cache gives it back.
    expected = read_files(data)
    data.rename(repo / "big.before")
    solvent_ok(repo, "checkout")
    assert read_files(data) == expected


# ``solvent add big``, killed by SIGKILL as its pointer file's temp copy is whole and about to
# be renamed into place: a leftover next to the user's files, for git to show.
KILL_AT_POINTER = """
import os, runpy, signal, sys
rename = os.replace
def replace(src, dst, **kw):
    if str(dst).endswith(".solvent"):
        os.kill(os.getpid(), signal.SIGKILL)
    return rename(src, dst, **kw)
os.replace = replace
sys.argv = ["solvent", "add", "big"]
runpy.run_module("solvent", run_name="__main__")
"""


def test_a_killed_add_leaves_no_temp_file_after_the_rerun(repo: Path) -> None:
    make_folder(repo / "big", {f"f{i}.bin": f"{i}\n" for i in range(50)})
    killed = subprocess.run([sys.executable, "-c", KILL_AT_POINTER], cwd=repo, check=False)
    assert killed.returncode == -signal.SIGKILL
    left = [p.name for p in repo.iterdir() if p.name.endswith(".tmp")]
    assert len(left) == 1, left
    solvent_ok(repo, "add", "big")
    assert [p.name for p in repo.iterdir() if p.name.endswith(".tmp")] == []
    assert git(repo, "status", "--porcelain", "--untracked-files=all").split() == [
        "??",
        ".gitignore",
        "??",
        "big.solvent",
    ]
