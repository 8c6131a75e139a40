"""``solvent install``: git hooks that check data out after ``git checkout`` / ``git merge``
and push it before ``git push``, with real git and a folder remote."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.helpers import (
    assert_user_error,
    blake3_id,
    commit_all,
    disk_state,
    git,
    object_path,
    solvent,
    solvent_ok,
    write,
)


def _hook(repo: Path, name: str) -> Path:
    return repo / ".git" / "hooks" / name


def _two_versions(repo: Path) -> None:
    """data.txt at v1 (tagged) and v2 (main's head), both in the cache."""
    write(repo / "data.txt", "version one\n")
    solvent_ok(repo, "add", "data.txt")
    commit_all(repo, "data v1")
    git(repo, "tag", "v1")
    write(repo / "data.txt", "version two\n")
    solvent_ok(repo, "add", "data.txt")
    commit_all(repo, "data v2")


def test_git_checkout_brings_the_data_of_the_commit(repo: Path) -> None:
    _two_versions(repo)
    solvent_ok(repo, "install")
    git(repo, "checkout", "-q", "v1")
    assert (repo / "data.txt").read_text() == "version one\n"
    git(repo, "checkout", "-q", "main")
    assert (repo / "data.txt").read_text() == "version two\n"
    # checking out single files is not a branch switch: the data stays as it is
    git(repo, "checkout", "v1", "--", "data.txt.solvent")
    assert (repo / "data.txt").read_text() == "version two\n"


def test_without_the_hooks_git_checkout_leaves_the_data(repo: Path) -> None:
    _two_versions(repo)
    git(repo, "checkout", "-q", "v1")
    assert (repo / "data.txt").read_text() == "version two\n"


def test_git_merge_brings_the_merged_data(repo: Path) -> None:
    write(repo / "data.txt", "main's\n")
    solvent_ok(repo, "add", "data.txt")
    commit_all(repo, "data")
    git(repo, "checkout", "-q", "-b", "feature")
    write(repo / "data.txt", "the feature's\n")
    solvent_ok(repo, "add", "data.txt")
    commit_all(repo, "new data")
    solvent_ok(repo, "install")
    git(repo, "checkout", "-q", "main")
    assert (repo / "data.txt").read_text() == "main's\n"
    git(repo, "merge", "-q", "--ff-only", "feature")
    assert (repo / "data.txt").read_text() == "the feature's\n"


def test_git_push_sends_the_data_to_the_default_remote(repo: Path, tmp_path: Path) -> None:
    store, bare = tmp_path / "store", tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    git(repo, "remote", "add", "origin", str(bare))
    solvent_ok(repo, "remote", "add", "--default", "storage", str(store))
    write(repo / "data.txt", "pushed by the hook\n")
    solvent_ok(repo, "add", "data.txt")
    commit_all(repo, "data")
    solvent_ok(repo, "install")
    oid = blake3_id(b"pushed by the hook\n")
    assert not (store / object_path(repo, oid).relative_to(repo / ".solvent" / "cache")).exists()
    git(repo, "push", "-q", "origin", "main")
    assert (store / object_path(repo, oid).relative_to(repo / ".solvent" / "cache")).is_file()

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(bare), str(clone)], check=True)
    solvent_ok(clone, "pull")
    assert (clone / "data.txt").read_text() == "pushed by the hook\n"


def test_a_failed_data_push_stops_the_git_push(repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
    git(repo, "remote", "add", "origin", str(bare))
    write(repo / "data.txt", "no remote for me\n")
    solvent_ok(repo, "add", "data.txt")
    commit_all(repo, "data")
    solvent_ok(repo, "install")
    proc = subprocess.run(
        ["git", "push", "origin", "main"], cwd=repo, capture_output=True, text=True, check=False
    )
    assert proc.returncode != 0
    assert "no default remote" in proc.stderr
    heads = subprocess.run(["git", "-C", str(bare), "branch"], capture_output=True, text=True)
    assert heads.stdout == ""  # the commit did not reach the git remote without its data


def test_a_hook_that_is_not_solvents_is_kept(repo: Path) -> None:
    mine = "#!/bin/sh\necho mine >> hook.log\n"
    write(_hook(repo, "post-checkout"), mine, executable=True)
    before = disk_state(repo)
    proc = solvent(repo, "install")
    assert_user_error(proc, "post-checkout", "not Solvent's")
    assert "--append" in proc.stderr
    assert disk_state(repo) == before
    assert not _hook(repo, "pre-push").exists()

    out = solvent_ok(repo, "install", "--append")
    assert "post-checkout: appended" in out and "pre-push: installed" in out
    text = _hook(repo, "post-checkout").read_text()
    assert text.startswith(mine) and "solvent git-hook post-checkout" in text
    again = solvent_ok(repo, "install")
    assert "post-checkout: already in" in again and "pre-push: already in" in again
    assert _hook(repo, "post-checkout").read_text() == text

    _two_versions(repo)
    git(repo, "checkout", "-q", "v1")
    assert (repo / "hook.log").read_text() == "mine\n"  # theirs ran, then ours
    assert (repo / "data.txt").read_text() == "version one\n"


def test_a_hook_in_another_language_is_refused_even_with_append(repo: Path) -> None:
    write(_hook(repo, "pre-push"), "#!/usr/bin/env python3\nprint('hi')\n", executable=True)
    before = disk_state(repo)
    proc = solvent(repo, "install", "--append")
    assert_user_error(proc, "pre-push", "not a shell script")
    assert disk_state(repo) == before


def test_install_outside_git_says_so(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    solvent_ok(plain, "init", "--no-git")
    before = disk_state(plain)
    assert_user_error(solvent(plain, "install"), "not a git repo")
    assert disk_state(plain) == before
