"""Link strategies: how data gets from the cache into the workspace."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from tests.helpers import (
    assert_user_error,
    blake3_id,
    disk_state,
    make_folder,
    object_path,
    read_files,
    solvent,
    solvent_ok,
    write,
)


def use_links(repo: Path, *kinds: str) -> None:
    listed = ", ".join(f'"{k}"' for k in kinds)
    (repo / ".solvent" / "config.toml").write_text(f"[cache]\nlink = [{listed}]\n")


@pytest.fixture
def data(repo: Path) -> Path:
    return make_folder(repo / "data", {"a.csv": "aaa", "sub/b.csv": "bbb"})


def test_hardlink(repo: Path, data: Path) -> None:
    use_links(repo, "hardlink")
    solvent_ok(repo, "add", "data")
    for rel, content in (("a.csv", b"aaa"), ("sub/b.csv", b"bbb")):
        st = os.stat(data / rel)
        assert st.st_ino == os.stat(object_path(repo, blake3_id(content))).st_ino
        assert stat.S_IMODE(st.st_mode) == 0o444  # read-only: writing would corrupt the cache
    assert solvent_ok(repo, "status") == "Tracked data is up to date.\n"
    shutil.rmtree(data)
    solvent_ok(repo, "checkout")
    assert os.stat(data / "a.csv").st_ino == os.stat(object_path(repo, blake3_id(b"aaa"))).st_ino


def test_symlink(repo: Path, data: Path) -> None:
    use_links(repo, "symlink")
    solvent_ok(repo, "add", "data")
    link = data / "sub" / "b.csv"
    assert link.is_symlink()
    assert Path(os.readlink(link)) == object_path(repo, blake3_id(b"bbb"))
    assert link.read_text() == "bbb"
    assert solvent_ok(repo, "status") == "Tracked data is up to date.\n"
    shutil.rmtree(data)
    solvent_ok(repo, "checkout")
    assert (data / "a.csv").is_symlink()


def test_single_file_as_hardlink(repo: Path) -> None:
    use_links(repo, "hardlink")
    write(repo / "model.bin", b"weights")
    solvent_ok(repo, "add", "model.bin")
    assert os.stat(repo / "model.bin").st_nlink == 2
    assert os.stat(repo / "model.bin").st_ino == (
        os.stat(object_path(repo, blake3_id(b"weights"))).st_ino
    )


def test_executable_files_are_copied_not_linked(repo: Path) -> None:
    """A link would share the object's read-only, non-executable mode."""
    use_links(repo, "hardlink")
    write(repo / "data" / "run.sh", "#!/bin/sh\n", executable=True)
    solvent_ok(repo, "add", "data")
    st = os.stat(repo / "data" / "run.sh")
    assert st.st_nlink == 1 and st.st_mode & stat.S_IXUSR


def test_relink_switches_copies_to_links(repo: Path, data: Path) -> None:
    solvent_ok(repo, "add", "data")
    assert os.stat(data / "a.csv").st_nlink == 1
    use_links(repo, "symlink")
    solvent_ok(repo, "checkout", "--relink")
    assert (data / "a.csv").is_symlink()
    use_links(repo, "copy")
    solvent_ok(repo, "checkout")  # without --relink, files that match stay as they are
    assert (data / "a.csv").is_symlink()
    solvent_ok(repo, "checkout", "--relink")
    assert not (data / "a.csv").is_symlink()
    assert read_files(data) == {"a.csv": (b"aaa", False), "sub/b.csv": (b"bbb", False)}


def test_unknown_link_type_is_refused_before_anything_changes(repo: Path, data: Path) -> None:
    solvent_ok(repo, "add", "data")
    use_links(repo, "teleport")
    write(data / "a.csv", "edited")
    before = disk_state(repo)
    proc = solvent(repo, "add", "data")
    assert_user_error(proc, "config.toml", "unknown link type 'teleport'")
    assert disk_state(repo) == before
