"""``solvent get`` downloads a tracked path from another repo, without tracking it."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import (
    assert_user_error,
    git,
    make_folder,
    read_files,
    solvent,
    solvent_ok,
)


def publish(repo: Path, tmp_path: Path) -> list[str]:
    """Two committed and pushed versions of data/; returns their commits."""
    solvent_ok(repo, "remote", "add", "--default", "origin", str(tmp_path / "remote"))
    revs = []
    for v in range(2):
        make_folder(repo / "data", {f"f{i}.csv": f"v{v},{i}\n" for i in range(5)})
        solvent_ok(repo, "add", "data")
        solvent_ok(repo, "push")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"v{v}")
        revs.append(git(repo, "rev-parse", "HEAD").strip())
    return revs


def test_get_downloads_the_current_and_an_older_version(repo: Path, tmp_path: Path) -> None:
    revs = publish(repo, tmp_path)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    solvent_ok(elsewhere, "get", str(repo), "data")
    assert read_files(elsewhere / "data") == read_files(repo / "data")
    solvent_ok(elsewhere, "get", str(repo), "data", "--rev", revs[0], "-o", "old")
    assert (elsewhere / "old/f0.csv").read_text() == "v0,0\n"
    assert not (elsewhere / ".solvent").exists()  # nothing tracked here


def test_get_refuses_to_overwrite_and_names_a_missing_path(repo: Path, tmp_path: Path) -> None:
    publish(repo, tmp_path)
    target = tmp_path / "elsewhere"
    (target / "data").mkdir(parents=True)
    assert_user_error(solvent(target, "get", str(repo), "data"), "already exists")
    assert_user_error(solvent(target, "get", str(repo), "nope", "-o", "x"), "not tracked")
