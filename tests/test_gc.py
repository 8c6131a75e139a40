"""gc never deletes what a selected revision needs, and reports before it deletes."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.helpers import (
    bad_objects,
    blake3_id,
    count_objects,
    git,
    make_folder,
    object_path,
    solvent,
    solvent_ok,
)


def file_objects(repo: Path, version: int) -> list[bool]:
    """Whether the cache holds each file object of ``three_versions``'s version ``version``."""
    return [object_path(repo, blake3_id(f"v{version}-{j}\n".encode())).exists() for j in range(3)]


def three_versions(repo: Path) -> list[str]:
    """Three commits, each tracking a different version of data/."""
    revs = []
    for v in range(3):
        make_folder(repo / "data", {f"f{j}.txt": f"v{v}-{j}\n" for j in range(3)})
        solvent_ok(repo, "add", "data")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"v{v}")
        revs.append(git(repo, "rev-parse", "HEAD").strip())
    return revs


def test_dry_run_by_default_then_force_keeps_the_workspace(repo: Path) -> None:
    three_versions(repo)
    before = count_objects(repo)
    report = json.loads(solvent_ok(repo, "gc", "--json"))
    assert report["removed"] is False and len(report["removable"]) > 0
    assert count_objects(repo) == before  # nothing deleted without --force
    solvent_ok(repo, "gc", "--force")
    assert count_objects(repo) == before - len(report["removable"])
    assert solvent_ok(repo, "status") == "Tracked data is up to date.\n"
    assert bad_objects(repo) == []


def test_all_commits_keeps_every_version_and_each_checks_out(repo: Path) -> None:
    revs = three_versions(repo)
    before = count_objects(repo)
    assert "Nothing to delete" in solvent_ok(repo, "gc", "--all-commits", "--force")
    assert count_objects(repo) == before
    for v, rev in enumerate(revs):
        git(repo, "checkout", "-q", rev, "--", "data.solvent")
        solvent_ok(repo, "checkout", "--force")
        assert (repo / "data/f0.txt").read_text() == f"v{v}-0\n"


def test_workspace_gc_drops_old_versions_which_then_cannot_be_checked_out(repo: Path) -> None:
    revs = three_versions(repo)
    assert [file_objects(repo, v) for v in range(3)] == [[True] * 3] * 3
    solvent_ok(repo, "gc", "--force")
    assert [file_objects(repo, v) for v in range(3)] == [[False] * 3, [False] * 3, [True] * 3]
    assert bad_objects(repo) == []
    git(repo, "checkout", "-q", revs[0], "--", "data.solvent")
    proc = solvent(repo, "checkout", "--force")
    assert proc.returncode != 0 and "Traceback" not in proc.stderr  # the old bytes are gone
    assert (repo / "data/f0.txt").read_text() == "v2-0\n"  # and the workspace is untouched


def test_keep_days_keeps_recent_objects(repo: Path) -> None:
    three_versions(repo)
    before = count_objects(repo)
    assert "Nothing to delete" in solvent_ok(repo, "gc", "--keep-days", "1", "--force")
    assert count_objects(repo) == before
    # Objects older than the window go: the first version's files, two days old.
    for j in range(3):
        path = object_path(repo, blake3_id(f"v0-{j}\n".encode()))
        os.utime(path, (path.stat().st_atime, path.stat().st_mtime - 2 * 86400))
    solvent_ok(repo, "gc", "--keep-days", "1", "--force")
    assert file_objects(repo, 0) == [False] * 3
    assert file_objects(repo, 1) == [True] * 3 and file_objects(repo, 2) == [True] * 3


def test_pipeline_outs_in_the_lock_are_kept(repo: Path) -> None:
    (repo / "in.txt").write_text("x\n")
    (repo / "solvent.yaml").write_text(
        "stages:\n  copy:\n    cmd: cp in.txt out.txt\n    deps: [in.txt]\n    outs: [out.txt]\n"
    )
    solvent_ok(repo, "repro")
    solvent_ok(repo, "gc", "--force")
    (repo / "out.txt").unlink()
    solvent_ok(repo, "checkout", "copy")
    assert (repo / "out.txt").read_text() == "x\n"


def remote_objects(remote: Path) -> set[str]:
    return {p.parent.name + p.name for p in (remote / "blake3").rglob("*") if p.is_file()}


def test_cloud_gc_sweeps_the_remote_with_the_same_marking(repo: Path, tmp_path: Path) -> None:
    remote = tmp_path / "remote"
    solvent_ok(repo, "remote", "add", "--default", "origin", str(remote))
    solvent_ok(repo, "remote", "modify", "origin", "link", "copy")  # the cache is swept apart
    revs = []
    for v in range(3):
        make_folder(repo / "data", {f"f{j}.txt": f"v{v}-{j}\n" for j in range(3)})
        solvent_ok(repo, "add", "data")
        solvent_ok(repo, "push")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"v{v}")
        revs.append(git(repo, "rev-parse", "HEAD").strip())
    (remote / "runs").mkdir()
    (remote / "runs" / "r1.json").write_text("{}")  # not an object: never touched
    pushed = remote_objects(remote)

    report = json.loads(solvent_ok(repo, "gc", "--cloud", "--all-commits", "--json"))
    assert report["removable"] == []  # every version is needed by some commit
    report = json.loads(solvent_ok(repo, "gc", "--cloud", "-r", "origin", "--json"))
    assert report["removed"] is False and len(report["removable"]) == 2 * (3 + 1)
    assert remote_objects(remote) == pushed  # a report deletes nothing

    solvent_ok(repo, "gc", "--cloud", "--force")
    kept = remote_objects(remote)
    assert len(kept) == 3 + 1 and (remote / "runs" / "r1.json").exists()
    assert count_objects(repo) == len(pushed)  # the cache is untouched
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    solvent_ok(clone, "pull")  # the current version is still whole on the remote
    git(clone, "checkout", "-q", revs[0])
    assert solvent(clone, "pull").returncode != 0  # an old one is gone
    old = {blake3_id(f"v{v}-{j}\n".encode()).split(":")[1] for v in (0, 1) for j in range(3)}
    new = {blake3_id(f"v2-{j}\n".encode()).split(":")[1] for j in range(3)}
    assert not old & kept and new <= kept


def test_cloud_gc_options_that_do_not_fit(repo: Path) -> None:
    for args, needle in [
        (("gc", "-r", "origin"), "add --cloud"),
        (("gc", "--cloud", "--keep-days", "3"), "not to a remote"),
        (("gc", "--cloud"), "no default remote"),
    ]:
        proc = solvent(repo, *args)
        assert proc.returncode != 0 and needle in proc.stderr
