from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import (
    assert_user_error,
    commit_all,
    disk_state,
    git,
    make_folder,
    read_files,
    solvent,
    solvent_ok,
    write,
)

FILES = {"a.csv": "1\n", "sub/b.csv": "2\n", "sub/deep/c.csv": "3\n"}


@pytest.fixture
def tracked(repo: Path) -> Path:
    make_folder(repo / "data", FILES)
    write(repo / "tool.sh", "#!/bin/sh\necho hi\n", executable=True)
    solvent_ok(repo, "add", "data", "tool.sh")
    commit_all(repo, "track data")
    return repo


def test_restores_deleted_data(tracked: Path) -> None:
    before = {p: read_files(tracked / p) for p in ("data", "tool.sh")}
    shutil.rmtree(tracked / "data")
    (tracked / "tool.sh").unlink()
    out = solvent_ok(tracked, "checkout")
    assert out.splitlines() == ["data: 3 written, 0 deleted", "tool.sh: 1 written, 0 deleted"]
    assert {p: read_files(tracked / p) for p in ("data", "tool.sh")} == before
    assert os.stat(tracked / "tool.sh").st_mode & stat.S_IXUSR
    assert solvent_ok(tracked, "status") == "Tracked data is up to date.\n"


def test_restores_one_deleted_file_inside_a_folder(tracked: Path) -> None:
    (tracked / "data" / "sub" / "b.csv").unlink()
    assert solvent_ok(tracked, "checkout", "data") == "data: 1 written, 0 deleted\n"
    assert (tracked / "data" / "sub" / "b.csv").read_text() == "2\n"


def test_nothing_to_do(tracked: Path) -> None:
    # Without the state cache: files the fixture wrote within the racy window of its add are
    # remembered by this checkout's look at them, when the machine is quick enough.
    before = disk_state(tracked, with_state=False)
    assert solvent_ok(tracked, "checkout") == "Workspace already matches the pointer files.\n"
    assert disk_state(tracked, with_state=False) == before


def test_refuses_to_overwrite_unsaved_changes(tracked: Path) -> None:
    write(tracked / "data" / "a.csv", "precious edit\n")
    write(tracked / "data" / "extra.csv", "new file\n")
    before = disk_state(tracked, with_state=False)
    proc = solvent(tracked, "checkout")
    assert_user_error(proc, "unsaved changes", "data/a.csv", "data/extra.csv")
    assert "--force" in proc.stderr
    assert disk_state(tracked, with_state=False) == before


def test_force_overwrites_unsaved_changes(tracked: Path) -> None:
    write(tracked / "data" / "a.csv", "precious edit\n")
    write(tracked / "data" / "extra.csv", "new file\n")
    assert solvent_ok(tracked, "checkout", "--force") == "data: 1 written, 1 deleted\n"
    assert read_files(tracked / "data") == {k: (v.encode(), False) for k, v in FILES.items()}
    assert not (tracked / "data" / "extra.csv").exists()


def test_refuses_to_replace_an_unsaved_file_standing_where_a_folder_goes(tracked: Path) -> None:
    shutil.rmtree(tracked / "data")
    write(tracked / "data", "a file now")
    before = disk_state(tracked, with_state=False)
    assert_user_error(solvent(tracked, "checkout"), "unsaved changes in data")
    assert disk_state(tracked, with_state=False) == before
    solvent_ok(tracked, "checkout", "--force")
    assert (tracked / "data" / "sub" / "b.csv").read_text() == "2\n"


def test_older_version_from_git_comes_back(tracked: Path) -> None:
    v1 = read_files(tracked / "data")
    write(tracked / "data" / "a.csv", "version 2\n")
    (tracked / "data" / "sub" / "deep" / "c.csv").unlink()
    solvent_ok(tracked, "add", "data")
    commit_all(tracked, "data v2")
    v2 = read_files(tracked / "data")

    git(tracked, "checkout", "HEAD~1", "--", "data.solvent")
    assert solvent_ok(tracked, "status").startswith("data: modified")
    solvent_ok(tracked, "checkout")  # v2 is in the cache: nothing unsaved, no --force
    assert read_files(tracked / "data") == v1
    assert solvent_ok(tracked, "status") == "Tracked data is up to date.\n"

    git(tracked, "checkout", "HEAD", "--", "data.solvent")
    solvent_ok(tracked, "checkout")
    assert read_files(tracked / "data") == v2
    assert not (tracked / "data" / "sub" / "deep").exists()  # emptied folders are pruned


def test_executable_bit_is_restored(tracked: Path) -> None:
    (tracked / "tool.sh").chmod(0o644)
    assert solvent_ok(tracked, "checkout") == "tool.sh: 1 written, 0 deleted\n"
    assert os.stat(tracked / "tool.sh").st_mode & stat.S_IXUSR


def test_missing_objects_stop_checkout_before_it_writes(tracked: Path) -> None:
    shutil.rmtree(tracked / ".solvent" / "cache" / "blake3")
    (tracked / ".solvent" / "cache" / "blake3").mkdir()
    (tracked / "tool.sh").unlink()
    before = disk_state(tracked, with_state=False)
    assert_user_error(solvent(tracked, "checkout", "tool.sh"), "not in the cache", "tool.sh")
    assert disk_state(tracked, with_state=False) == before


def test_a_folder_appears_whole_or_not_at_all(repo: Path) -> None:
    """A folder that is not there is built beside it and renamed into place: a checkout killed
    part-way leaves no half folder under its name, and the next checkout cleans up after it."""
    make_folder(repo / "data", {f"d{i % 20}/f{i}.txt": f"{i}\n" for i in range(3000)})
    solvent_ok(repo, "add", "data")
    expected = read_files(repo / "data")
    shutil.rmtree(repo / "data")
    started = time.monotonic()
    solvent_ok(repo, "checkout")
    full = time.monotonic() - started
    interrupted = 0
    for share in (0.3, 0.5, 0.7, 0.9):
        shutil.rmtree(repo / "data")
        proc = subprocess.Popen([sys.executable, "-m", "solvent", "checkout"], cwd=repo)
        try:
            proc.wait(timeout=share * full)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            interrupted += 1
        if (repo / "data").exists():
            assert read_files(repo / "data") == expected
        solvent_ok(repo, "checkout")
        assert read_files(repo / "data") == expected
        assert [p.name for p in repo.iterdir() if p.name.startswith(".data.")] == []
    # A kill that lands after the checkout finished tests nothing: most must land during it.
    assert interrupted >= 2, f"only {interrupted} of 4 kills landed during the checkout"
