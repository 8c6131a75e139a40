"""push / fetch / pull through a local-folder remote, between two real clones."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.helpers import (
    assert_user_error,
    git,
    make_folder,
    read_files,
    solvent,
    solvent_ok,
)

FILES = {f"part{i}/f{j}.txt": f"{i}-{j}\n" for i in range(3) for j in range(4)}


@pytest.fixture(params=["hardlink", "copy"])
def shared(repo: Path, tmp_path: Path, request: pytest.FixtureRequest) -> tuple[Path, Path, Path]:
    """A repo that tracked data and pushed it, a remote folder, and a fresh clone; objects
    travel by hard link (same file system, the default) or as copies."""
    make_folder(repo / "data", FILES)
    remote = tmp_path / "remote"
    solvent_ok(repo, "add", "data")
    solvent_ok(repo, "remote", "add", "--default", "origin", str(remote))
    if request.param == "copy":
        solvent_ok(repo, "remote", "modify", "origin", "link", "copy")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "data v1")
    solvent_ok(repo, "push")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    return repo, remote, clone


def test_a_clone_pulls_what_another_pushed(shared: tuple[Path, Path, Path]) -> None:
    repo, remote, clone = shared
    assert "not in cache" in solvent_ok(clone, "status")
    solvent_ok(clone, "pull")
    assert read_files(clone / "data") == read_files(repo / "data")
    assert solvent_ok(clone, "status") == "Tracked data is up to date.\n"
    links = {p.stat().st_nlink for p in remote.rglob("*") if p.is_file()}
    copied = 'link = "copy"' in (repo / ".solvent/config.toml").read_text()
    # linked: the remote, the pushing cache and the pulling cache share each object
    assert links == ({1} if copied else {3})
    assert all(p.stat().st_mode & 0o777 == 0o444 for p in remote.rglob("*") if p.is_file())


def test_only_missing_objects_move(shared: tuple[Path, Path, Path]) -> None:
    repo, remote, _clone = shared
    assert "pushed 0 object(s)" in solvent_ok(repo, "push")
    (repo / "data/part1/f1.txt").write_text("changed\n")
    solvent_ok(repo, "add", "data")
    # the new file and the two trees above it: nothing else is sent again
    assert "pushed 3 object(s)" in solvent_ok(repo, "push")
    assert len([p for p in remote.rglob("*") if p.is_file()]) == len(FILES) + 4 + 3


def test_a_corrupt_object_on_the_remote_is_refused_and_not_placed(
    shared: tuple[Path, Path, Path],
) -> None:
    _repo, remote, clone = shared
    victim = next(p for p in remote.rglob("*") if p.is_file() and p.stat().st_size == 4)
    victim.chmod(0o644)
    victim.write_bytes(b"bad!")
    proc = solvent(clone, "fetch")
    assert proc.returncode == 1
    assert "is corrupt on the remote" in proc.stderr
    name = victim.parent.name + victim.name
    assert not (clone / ".solvent/cache/blake3" / name[:2] / name[2:]).exists()


def test_pipeline_outs_travel_too(repo: Path, tmp_path: Path) -> None:
    (repo / "in.txt").write_text("x\n")
    (repo / "solvent.yaml").write_text(
        "stages:\n  copy:\n    cmd: cp in.txt out.txt\n    deps: [in.txt]\n    outs: [out.txt]\n"
    )
    solvent_ok(repo, "repro")
    solvent_ok(repo, "remote", "add", "--default", "origin", str(tmp_path / "remote"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pipeline")
    solvent_ok(repo, "push")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    solvent_ok(clone, "pull")
    assert (clone / "out.txt").read_text() == "x\n"
    assert "up to date" in solvent_ok(clone, "repro")


def test_push_without_a_remote_says_how_to_add_one(repo: Path) -> None:
    proc = solvent(repo, "push")
    assert_user_error(proc, "no default remote")
    assert "solvent remote add" in proc.stderr


def test_status_remote_says_what_to_push_and_what_to_pull(
    shared: tuple[Path, Path, Path],
) -> None:
    repo, _remote, clone = shared
    assert "same tracked data" in solvent_ok(repo, "status", "--remote")
    assert "not in the cache (solvent pull)" in solvent_ok(clone, "status", "--remote")
    (repo / "data/new.txt").write_text("new\n")
    solvent_ok(repo, "add", "data")
    out = solvent_ok(repo, "status", "-r", "origin")
    assert "data: 2 object(s) not on the remote (solvent push)" in out  # the file + the root


def test_run_cache_entries_travel_with_their_outs(repo: Path, tmp_path: Path) -> None:
    """A run made in one clone is restored, not rerun, in another (as DVC's --run-cache)."""
    (repo / "in.txt").write_text("x\n")
    (repo / "params.yaml").write_text("n: 1\n")
    (repo / "solvent.yaml").write_text(
        "stages:\n  make:\n    cmd: echo ${n} > out.txt && cat in.txt >> out.txt\n"
        "    deps: [in.txt]\n    params: [n]\n    outs: [out.txt]\n"
    )
    solvent_ok(repo, "repro")  # n=1: a run-cache entry
    (repo / "params.yaml").write_text("n: 2\n")
    solvent_ok(repo, "repro")
    solvent_ok(repo, "remote", "add", "--default", "origin", str(tmp_path / "remote"))
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pipeline at n=2")
    assert "run-cache" not in solvent_ok(repo, "push")  # only with the flag
    assert "2 run-cache entr(ies)" in solvent_ok(repo, "push", "--run-cache")
    assert "run-cache" not in solvent_ok(repo, "push", "--run-cache")  # nothing twice

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    assert "2 run-cache entr(ies)" in solvent_ok(clone, "pull", "--run-cache")
    (clone / "params.yaml").write_text("n: 1\n")
    out = solvent_ok(clone, "repro")
    assert "restored from run-cache" in out
    assert (clone / "out.txt").read_text() == "1\nx\n"
