"""Transfers survive a flaky remote and a killed push."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import fsspec

from solvent.api import Repo
from solvent.storage.remote import RemoteStore
from solvent.tracking.select import all_pointers
from solvent.tracking.sync import fetch, push
from tests.helpers import bad_objects, count_objects, git, make_folder, read_files, solvent_ok


class FlakyFS:
    """Wraps a real file system; every 5th call fails with a transient error."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.calls = 0
        self.failures = 0

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.inner, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            if self.calls % 5 == 0:
                self.failures += 1
                raise ConnectionResetError("flaky remote: connection reset")
            return real(*args, **kwargs)

        return call


def test_push_and_fetch_complete_through_a_remote_failing_every_5th_request(
    repo: Path, tmp_path: Path
) -> None:
    make_folder(repo / "data", {f"f{i}.txt": f"{i}\n" for i in range(40)})
    solvent_ok(repo, "add", "data")
    api = Repo(repo)
    remote = RemoteStore(str(tmp_path / "remote"), {}, repo)
    # The object-store path: each put_file is one request (and parents need no mkdir).
    remote.fs = FlakyFS(fsspec.filesystem("file", auto_mkdir=True))
    remote.local = False
    pointers = all_pointers(api.layout)
    report = push(api.layout, remote, pointers, jobs=4)
    assert report.failed == {} and report.moved == 41
    assert remote.fs.failures > 0

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "data")
    subprocess.run(["git", "-C", str(clone), "pull", "-q"], check=True)
    clone_api = Repo(clone)
    remote2 = RemoteStore(str(tmp_path / "remote"), {}, clone)
    remote2.fs = FlakyFS(fsspec.filesystem("file", auto_mkdir=True))
    remote2.local = False  # every download one request, as from object storage
    with clone_api.layout.writing():  # as Repo.fetch does: lock, and the store's folders
        fetched = fetch(clone_api.layout, remote2, all_pointers(clone_api.layout), jobs=4)
    assert fetched.failed == {} and fetched.moved == 41
    assert remote2.fs.failures > 0
    clone_api.checkout()
    assert read_files(clone / "data") == read_files(repo / "data")


def test_a_killed_push_resumes_without_sending_anything_twice(repo: Path, tmp_path: Path) -> None:
    make_folder(repo / "data", {f"d{i // 100}/f{i}.bin": os.urandom(2048) for i in range(1500)})
    solvent_ok(repo, "add", "data")
    remote = tmp_path / "remote"
    solvent_ok(repo, "remote", "add", "--default", "origin", str(remote))
    solvent_ok(repo, "remote", "modify", "origin", "link", "copy")  # temp names, as across disks
    proc = subprocess.Popen(
        [sys.executable, "-m", "solvent", "push", "-j", "1"],
        cwd=repo,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(remote.rglob("*.tmp")):
        time.sleep(0.01)
    assert proc.poll() is None, "the push ended before the kill: nothing was tested"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    arrived = {p for p in remote.rglob("*") if p.is_file() and not p.name.endswith(".tmp")}
    total = 1500 + 15 + 1
    out = solvent_ok(repo, "push")
    assert f"pushed {total - len(arrived)} object(s), {len(arrived)} already there" in out
    assert "pushed 0 object(s)" in solvent_ok(repo, "push")


def test_a_killed_pull_leaves_only_whole_objects_and_a_rerun_completes(
    repo: Path, tmp_path: Path
) -> None:
    files = {f"d{i // 100}/f{i}.bin": os.urandom(2048) for i in range(1500)}
    make_folder(repo / "data", files)
    solvent_ok(repo, "add", "data")
    solvent_ok(repo, "remote", "add", "--default", "origin", str(tmp_path / "remote"))
    solvent_ok(repo, "push")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "data")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    (clone / ".solvent/config.toml").write_text((repo / ".solvent/config.toml").read_text())
    proc = subprocess.Popen(
        [sys.executable, "-m", "solvent", "pull"],
        cwd=clone,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and count_objects(clone) < 200:
        time.sleep(0.005)
    assert proc.poll() is None, "the pull ended before the kill: nothing was tested"
    proc.send_signal(signal.SIGKILL)
    proc.wait(10)
    assert bad_objects(clone) == []
    solvent_ok(clone, "pull")
    assert bad_objects(clone) == []
    assert read_files(clone / "data") == {k: (v, False) for k, v in files.items()}
