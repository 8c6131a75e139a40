"""Temp files a killed push leaves on a folder remote are removed by a later push (where it
writes) or ``gc --cloud --force`` (everywhere) once they are older than a safe age; younger
ones may be another push's work in progress and stay."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from blake3 import blake3

from solvent.storage.remote import STALE_TEMP_SECONDS
from tests.helpers import blake3_id, make_folder, solvent_ok, write

TRIALS = 4


def remote_files(remote: Path) -> tuple[list[Path], list[Path]]:
    """(objects, temp files) on a folder remote."""
    files = [p for p in (remote / "blake3").rglob("*") if p.is_file()]
    return [p for p in files if not p.name.endswith(".tmp")], [
        p for p in files if p.name.endswith(".tmp")
    ]


def age(paths: list[Path], seconds: float) -> None:
    when = time.time() - seconds
    for p in paths:
        os.utime(p, (when, when))


def copying_remote(repo: Path, remote: Path) -> None:
    """A folder remote that copies (temp name, then rename), as on another file system."""
    solvent_ok(repo, "remote", "add", "--default", "origin", str(remote))
    solvent_ok(repo, "remote", "modify", "origin", "link", "copy")


@pytest.mark.slow
def test_a_killed_push_leaves_no_temp_files_after_the_next_push(repo: Path, tmp_path: Path) -> None:
    seed = int.from_bytes(os.urandom(4))
    rng = random.Random(seed)
    remote = tmp_path / "remote"
    copying_remote(repo, remote)
    interrupted = 0
    for trial in range(TRIALS):
        files = {f"d{i // 100}/f{i}.bin": rng.randbytes(2048) for i in range(1200)}
        make_folder(repo / f"data{trial}", files)
        solvent_ok(repo, "add", f"data{trial}")
        proc = subprocess.Popen(
            [sys.executable, "-m", "solvent", "push", "-j", "1"],
            cwd=repo,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and proc.poll() is None:
            if len(remote_files(remote)[1]) > rng.randrange(1, 600):
                break
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        objects, temps = remote_files(remote)
        if proc.returncode == -signal.SIGKILL and temps:
            interrupted += 1
        context = f"seed {seed}, trial {trial}"
        assert all(blake3(p.read_bytes()).hexdigest() == p.parent.name + p.name for p in objects)
        age(temps, STALE_TEMP_SECONDS + 60)  # a day later, the rerun
        solvent_ok(repo, "push")
        objects, temps = remote_files(remote)
        assert temps == [], context
        assert "pushed 0 object(s)" in solvent_ok(repo, "push"), context
    print(f"{interrupted} of {TRIALS} pushes were killed with temp files on the remote")
    assert interrupted >= TRIALS // 2, f"seed {seed}: too few kills landed during the push"


def test_only_stale_temp_files_of_solvent_are_removed(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote"
    copying_remote(repo, remote)
    write(repo / "one.csv", "one\n")
    solvent_ok(repo, "add", "one.csv")
    solvent_ok(repo, "push")
    content = b"two\n"
    digest = blake3_id(content).split(":")[1]
    folder = remote / "blake3" / digest[:2]  # where the next push writes
    left = f"{digest[2:]}.0badcafe-3.tmp"
    stale, fresh = write(folder / left, "half"), write(folder / left.replace("-3", "-4"), "x")
    stray = write(folder / "notes.tmp", "not Solvent's")
    age([stale, stray], STALE_TEMP_SECONDS + 60)
    age([fresh], STALE_TEMP_SECONDS - 3600)  # perhaps another push still running
    write(repo / "two.csv", content)
    solvent_ok(repo, "add", "two.csv")
    solvent_ok(repo, "push")
    assert not stale.exists() and fresh.exists() and stray.exists()

    elsewhere = remote / "blake3" / "00"  # a folder no push writes to: gc looks everywhere
    old = write(elsewhere / f"{'0' * 62}.12345678-0.tmp", "half")
    age([old], STALE_TEMP_SECONDS + 60)
    solvent_ok(repo, "gc", "--cloud")
    assert old.exists()  # without --force gc only reports
    solvent_ok(repo, "gc", "--cloud", "--force")
    assert not old.exists() and fresh.exists() and stray.exists()
    assert (folder / digest[2:]).read_bytes() == content
