from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import (
    assert_user_error,
    blake3_id,
    commit_all,
    make_folder,
    solvent,
    solvent_ok,
    write,
)


@pytest.fixture
def two_versions(repo: Path) -> Path:
    """Commits v1 and v2 of ``data``; the workspace holds v2."""
    make_folder(repo / "data", {"keep.csv": "k", "edit.csv": "v1", "gone.csv": "g"})
    solvent_ok(repo, "add", "data")
    commit_all(repo, "data v1")
    write(repo / "data" / "edit.csv", "v2")
    (repo / "data" / "gone.csv").unlink()
    write(repo / "data" / "new" / "born.csv", "b")
    solvent_ok(repo, "add", "data")
    commit_all(repo, "data v2")
    return repo


V1_TO_V2 = ["modified data/edit.csv", "deleted  data/gone.csv", "added    data/new/born.csv"]


def test_head_against_workspace(repo: Path) -> None:
    make_folder(repo / "data", {"a": "1", "b": "2"})
    write(repo / "model.bin", "m")
    solvent_ok(repo, "add", "data", "model.bin")
    commit_all(repo, "track data")
    assert solvent_ok(repo, "diff") == "No changes between HEAD and workspace.\n"
    write(repo / "data" / "a", "changed")
    (repo / "data" / "b").unlink()
    write(repo / "data" / "c", "3")
    (repo / "model.bin").unlink()
    assert solvent_ok(repo, "diff").splitlines() == [
        "modified data/a",
        "deleted  data/b",
        "added    data/c",
        "deleted  model.bin",
    ]


def test_newly_tracked_data_shows_as_added(repo: Path) -> None:
    write(repo / "f.csv", "x")
    solvent_ok(repo, "add", "f.csv")
    assert solvent_ok(repo, "diff") == "added    f.csv\n"


def test_between_two_revisions(two_versions: Path) -> None:
    assert solvent_ok(two_versions, "diff", "HEAD~1", "HEAD").splitlines() == V1_TO_V2
    back = solvent_ok(two_versions, "diff", "HEAD", "HEAD~1").splitlines()
    assert back == [
        "modified data/edit.csv",
        "added    data/gone.csv",
        "deleted  data/new/born.csv",
    ]
    assert solvent_ok(two_versions, "diff", "HEAD~1").splitlines() == V1_TO_V2
    assert solvent_ok(two_versions, "diff", "main", "HEAD") == "No changes between main and HEAD.\n"


def test_json(two_versions: Path) -> None:
    result = json.loads(solvent_ok(two_versions, "diff", "HEAD~1", "HEAD", "--json"))
    assert (result["a"], result["b"], result["coarse"]) == ("HEAD~1", "HEAD", [])
    by_path = {c["path"]: c for c in result["changes"]}
    assert by_path["data/edit.csv"] == {
        "path": "data/edit.csv",
        "change": "modified",
        "old": blake3_id(b"v1"),
        "new": blake3_id(b"v2"),
        "old_size": 2,
        "new_size": 2,
    }
    assert by_path["data/gone.csv"]["new"] is None
    assert by_path["data/new/born.csv"]["old"] is None


def test_unknown_revision(two_versions: Path) -> None:
    assert_user_error(solvent(two_versions, "diff", "no-such-rev"), "unknown git revision")


def test_diff_needs_git(tmp_path: Path) -> None:
    solvent_ok(tmp_path, "init", "--no-git")
    assert_user_error(solvent(tmp_path, "diff"), "compares git revisions")
