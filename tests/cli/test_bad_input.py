"""User mistakes: one ``error:`` line naming the problem (plus a hint), a non-zero exit, no
traceback, and nothing changed on disk."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.helpers import (
    assert_user_error,
    commit_all,
    disk_state,
    make_folder,
    solvent,
    solvent_ok,
    write,
)

OID = "blake3:" + "ab" * 32


def pointer_text(path: str) -> str:
    return f"path: {path}\nid: {OID}\nkind: dir\nsize: 1\nfiles: 1\n"


@pytest.fixture
def project(repo: Path) -> Path:
    """A repo that has already tracked and committed some data (so its state files exist)."""
    make_folder(repo / "data", {"a.csv": "a", "sub/b.csv": "b"})
    solvent_ok(repo, "add", "data")
    commit_all(repo, "track data")
    return repo


def outside_file(repo: Path) -> list[str]:
    write(repo.parent / "outside.csv", "x")
    return ["add", "../outside.csv"]


def outside_absolute(repo: Path) -> list[str]:
    write(repo.parent / "outside.csv", "x")
    return ["add", str(repo.parent / "outside.csv")]


def tracked_by_git(repo: Path) -> list[str]:
    write(repo / "code.py", "print()")
    commit_all(repo, "code")
    return ["add", "code.py"]


def folder_with_a_file_tracked_by_git(repo: Path) -> list[str]:
    write(repo / "src" / "code.py", "print()")
    commit_all(repo, "code")
    write(repo / "src" / "data.bin", "d")
    return ["add", "src"]


def folder_holding_tracked_data(repo: Path) -> list[str]:
    make_folder(repo / "outer", {"inner/x.csv": "x", "y.csv": "y"})
    solvent_ok(repo, "add", "outer/inner")
    write(repo / "first.csv", "added first, so it must not be stored either")
    return ["add", "first.csv", "outer"]


def malformed_pointer(command: str) -> Callable[[Path], list[str]]:
    def setup(repo: Path) -> list[str]:
        write(repo / "broken.solvent", "path: [\n")
        return [command]

    return setup


def escaping_pointer(command: str) -> Callable[[Path], list[str]]:
    def setup(repo: Path) -> list[str]:
        write(repo / "escape.solvent", pointer_text("../../etc"))
        return [command]

    return setup


def pointer_through_a_symlink(repo: Path) -> list[str]:
    (repo.parent / "elsewhere").mkdir()
    (repo / "link").symlink_to(repo.parent / "elsewhere")
    write(repo / "evil.solvent", (repo / "data.solvent").read_text().replace(
        "path: data", "path: link/data"
    ))  # fmt: skip
    return ["checkout", "--force"]


def pointer_into_git(repo: Path) -> list[str]:
    text = (repo / "data.solvent").read_text().replace("path: data", "path: .git/hooks")
    write(repo / "hooks.solvent", text)
    return ["checkout", "--force"]


def folder_link(repo: Path) -> list[str]:
    (repo / "new" / "real").mkdir(parents=True)
    (repo / "new" / "link").symlink_to(repo / "new" / "real")
    return ["add", "new"]


CASES: dict[str, tuple[Callable[[Path], list[str]], tuple[str, ...]]] = {
    "path outside the repo": (outside_file, ("outside.csv", "is outside the repo")),
    "absolute path outside the repo": (outside_absolute, ("is outside the repo",)),
    "path tracked by git": (tracked_by_git, ("code.py is tracked by git",)),
    "folder holding a git-tracked file": (folder_with_a_file_tracked_by_git, ("src/code.py",)),
    "missing file": (lambda r: ["add", "nope.csv"], ("nope.csv: no such file or folder",)),
    "malformed pointer, status": (malformed_pointer("status"), ("broken.solvent, line 2",)),
    "malformed pointer, checkout": (malformed_pointer("checkout"), ("broken.solvent",)),
    "malformed pointer, diff": (malformed_pointer("diff"), ("broken.solvent",)),
    "escaping pointer, status": (escaping_pointer("status"), ("escape.solvent", "../../etc")),
    "escaping pointer, checkout": (escaping_pointer("checkout"), ("escape.solvent", "leaves")),
    "pointer through a symlink": (pointer_through_a_symlink, ("evil.solvent", "not the data")),
    "pointer into .git": (pointer_into_git, ("hooks.solvent", ".git")),
    "adding a pointer file": (lambda r: ["add", "data.solvent"], ("is a Solvent pointer file",)),
    "adding inside a tracked folder": (
        lambda r: ["add", "data/sub"],
        ("data/sub is inside the tracked folder data",),
    ),
    "adding a file inside a tracked folder": (
        lambda r: ["add", "data/sub/b.csv"],
        ("inside the tracked folder data",),
    ),
    "adding the whole repo": (lambda r: ["add", "."], ("whole repo",)),
    "adding a folder holding tracked data": (
        folder_holding_tracked_data,
        ("outer holds tracked data (outer/inner.solvent)",),
    ),
    "adding Solvent's own folder": (lambda r: ["add", ".solvent/config.toml"], ("own folder",)),
    "adding a link to a folder": (folder_link, ("is a link to a folder",)),
    "status of untracked data": (lambda r: ["status", "other"], ("not tracked by Solvent",)),
    "checkout of untracked data": (lambda r: ["checkout", "x"], ("not tracked by Solvent",)),
}


@pytest.mark.parametrize("case", CASES)
def test_bad_input_changes_nothing(project: Path, case: str) -> None:
    setup, needles = CASES[case]
    args = setup(project)
    before = disk_state(project.parent)  # the repo and its surroundings
    proc = solvent(project, *args)
    assert_user_error(proc, *needles)
    assert disk_state(project.parent) == before


def test_pointer_into_git_writes_no_hook(project: Path) -> None:
    pointer_into_git(project)
    assert_user_error(solvent(project, "checkout", "--force"))
    assert not (project / ".git" / "hooks" / "a.csv").exists()


@pytest.mark.parametrize("args", [["status"], ["add", "x"], ["checkout"], ["cache", "verify"]])
def test_not_a_solvent_repo(git_repo: Path, args: list[str]) -> None:
    write(git_repo / "x", "x")
    before = disk_state(git_repo)
    proc = solvent(git_repo, *args)
    assert_user_error(proc, "is not inside a Solvent repo")
    assert "solvent init" in proc.stderr
    assert disk_state(git_repo) == before


def test_debug_shows_the_traceback(repo: Path) -> None:
    proc = solvent(repo, "--debug", "add", "nope")
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "error: nope: no such file" in proc.stderr
