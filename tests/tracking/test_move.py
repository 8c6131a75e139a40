"""``solvent move`` and ``solvent remove PATH``: tracked data renamed or untracked with its
pointer file and ``.gitignore`` entries, as ``dvc move`` / ``dvc remove`` do."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.dvc_cli import dvc_ok, dvc_repo, needs_dvc
from tests.helpers import (
    assert_user_error,
    commit_all,
    disk_state,
    git,
    make_folder,
    solvent,
    solvent_ok,
    write,
)


def test_move_a_file_into_another_folder(repo: Path) -> None:
    write(repo / "data.csv", "a,b\n1,2\n")
    solvent_ok(repo, "add", "data.csv")
    (repo / "raw").mkdir()
    out = solvent_ok(repo, "move", "data.csv", "raw/table.csv")
    assert out.startswith("Moved data.csv → raw/table.csv\n")
    assert not (repo / "data.csv").exists() and not (repo / "data.csv.solvent").exists()
    assert (repo / "raw/table.csv").read_text() == "a,b\n1,2\n"
    assert "path: table.csv\n" in (repo / "raw/table.csv.solvent").read_text()
    assert not (repo / ".gitignore").exists()  # its one entry is gone: the file goes, as in DVC
    assert (repo / "raw/.gitignore").read_text() == "/table.csv\n"
    assert solvent_ok(repo, "status") == "Tracked data is up to date.\n"
    (repo / "raw/table.csv").unlink()
    solvent_ok(repo, "checkout")
    assert (repo / "raw/table.csv").read_text() == "a,b\n1,2\n"


def test_move_a_folder_into_an_existing_folder_by_its_pointer(repo: Path) -> None:
    make_folder(repo / "images", {"a.png": "A", "sub/b.png": "B"})
    write(repo / ".gitignore", "*.log\n")
    solvent_ok(repo, "add", "images")
    (repo / "archive").mkdir()
    solvent_ok(repo, "move", "images.solvent", "archive")
    assert (repo / "archive/images/sub/b.png").read_text() == "B"
    assert (repo / ".gitignore").read_text() == "*.log\n"  # the user's lines stay
    assert (repo / "archive/.gitignore").read_text() == "/images\n"
    assert solvent_ok(repo, "status") == "Tracked data is up to date.\n"


def test_mistakes_are_refused_with_nothing_changed(repo: Path) -> None:
    write(repo / "data.csv", "x")
    write(repo / "other.csv", "y")
    solvent_ok(repo, "add", "data.csv")
    py = sys.executable
    write(repo / "solvent.yaml", f"stages:\n  s:\n    cmd: {py} -c \"open('o.txt','w')\"\n"
                                 "    outs: [o.txt]\n")  # fmt: skip
    solvent_ok(repo, "repro")
    before = disk_state(repo, with_state=False)
    assert_user_error(solvent(repo, "move", "data.csv", "other.csv"), "other.csv already exists")
    assert_user_error(solvent(repo, "move", "other.csv", "x.csv"), "not tracked")
    assert_user_error(solvent(repo, "move", "o.txt", "p.txt"), "out of stage 's'")
    assert_user_error(solvent(repo, "move", "data.csv", "../out.csv"), "outside")
    assert_user_error(solvent(repo, "remove", "nothing.csv"), "neither a stage nor tracked")
    assert disk_state(repo, with_state=False) == before


def test_remove_stops_tracking_and_keeps_the_data_unless_outs(repo: Path) -> None:
    write(repo / "data.csv", "x")
    write(repo / "more.csv", "y")
    solvent_ok(repo, "add", "data.csv", "more.csv")
    out = solvent_ok(repo, "remove", "data.csv")
    assert out == "Stopped tracking data.csv: removed data.csv.solvent\n"
    assert (repo / "data.csv").read_text() == "x"
    assert (repo / ".gitignore").read_text() == "/more.csv\n"
    solvent_ok(repo, "remove", "more.csv.solvent", "--outs")
    assert not (repo / "more.csv").exists() and not (repo / ".gitignore").exists()
    assert "No tracked data" in solvent_ok(repo, "status")


@needs_dvc
def test_move_and_remove_agree_with_dvc(tmp_path: Path) -> None:
    """The same files, pointer files aside, and the same .gitignore lines in each folder."""
    ours, theirs = tmp_path / "ours", dvc_repo(tmp_path / "theirs")
    ours.mkdir()
    git(ours, "init", "-q", "-b", "main")
    solvent_ok(ours, "init")
    commit_all(ours, "init")
    for root in (ours, theirs):
        write(root / "data.csv", "a,b\n")
        make_folder(root / "images", {"a.png": "A"})
        (root / "raw").mkdir()
    solvent_ok(ours, "add", "data.csv", "images")
    dvc_ok(theirs, "add", "-q", "data.csv", "images")
    solvent_ok(ours, "move", "data.csv", "raw/table.csv")
    dvc_ok(theirs, "move", "data.csv", "raw/table.csv")
    solvent_ok(ours, "remove", "images.solvent", "--outs")
    dvc_ok(theirs, "remove", "images.dvc", "--outs")

    def files(root: Path, suffix: str) -> dict[str, str]:
        found = {}
        for p in root.rglob("*"):
            rel = p.relative_to(root).as_posix()
            if p.is_file() and not rel.startswith((".git/", ".dvc", ".solvent")):
                found[rel.replace(suffix, ".POINTER")] = (
                    "" if rel.endswith(suffix) else p.read_text()
                )
        return found

    assert files(ours, ".solvent") == files(theirs, ".dvc")
