from __future__ import annotations

import os
import posixpath
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solvent.errors import PathOutsideRepoError, UsageError
from solvent.paths import check_relative, check_remote_folder, inside, writable


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("data", "data"),
        ("data/train.csv", "data/train.csv"),
        ("./data//x/", "data/x"),
        ("a/./b", "a/b"),
        ("a/../b", "b"),
        ("a/b/../../c", "c"),
        ("...", "..."),
        ("..x/y", "..x/y"),
    ],
)
def test_check_relative_normalises(text: str, expected: str) -> None:
    assert check_relative(text, "f.solvent") == PurePosixPath(expected)


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("", "invalid path"),
        ("/etc/passwd", "absolute"),
        ("//server/share", "absolute"),
        ("..", "leaves the repo"),
        ("../x", "leaves the repo"),
        ("../../etc", "leaves the repo"),
        ("a/../../x", "leaves the repo"),
        (".", "names no file"),
        ("a/..", "names no file"),
        ("./", "names no file"),
        ("a\\..\\..\\x", "invalid path"),
        ("a\0b", "invalid path"),
    ],
)
def test_check_relative_rejects(text: str, complaint: str) -> None:
    with pytest.raises(PathOutsideRepoError, match=complaint) as caught:
        check_relative(text, "data.solvent")
    assert caught.value.message.startswith("data.solvent: ")
    assert isinstance(caught.value, UsageError)


path_text = st.one_of(
    st.text(alphabet="ab./\\\0", max_size=20),
    st.lists(st.sampled_from(["a", "b", "..", ".", "", "c.csv"]), max_size=8).map("/".join),
)


@given(path_text)
def test_check_relative_never_escapes(text: str) -> None:
    """Accepted exactly when the normalised path stays below the root, and then it is that."""
    normal = posixpath.normpath(text) if text else ""
    stays_inside = not (
        text == ""
        or "\0" in text
        or "\\" in text
        or text.startswith("/")
        or normal in (".", "..")
        or normal.startswith("../")
    )
    try:
        result = check_relative(text, "f")
    except PathOutsideRepoError:
        assert not stays_inside
        return
    assert stays_inside
    assert not result.is_absolute()
    assert ".." not in result.parts and "." not in result.parts
    assert str(result) == normal


@pytest.fixture
def root(tmp_path: Path) -> Path:
    r = (tmp_path / "repo").resolve()
    r.mkdir()
    return r


def test_inside_accepts_paths_in_the_repo(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert inside(root, root / "data" / "x.csv", "path") == root / "data" / "x.csv"
    monkeypatch.chdir(root)
    assert inside(root, Path("data"), "path") == root / "data"  # relative to the cwd


@pytest.mark.parametrize("given", ["../elsewhere", "data/../../x", "/etc/passwd"])
def test_inside_rejects_paths_outside(root: Path, given: str) -> None:
    with pytest.raises(PathOutsideRepoError, match="outside the repo"):
        inside(root, root / given, "path")


def test_inside_rejects_a_symlinked_parent_that_leaves(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "link").symlink_to(outside)
    with pytest.raises(PathOutsideRepoError, match="outside the repo"):
        inside(root, root / "link" / "file", "path")


def test_inside_follows_a_symlinked_parent_that_stays(root: Path) -> None:
    (root / "real").mkdir()
    (root / "alias").symlink_to(root / "real")
    assert inside(root, root / "alias" / "f", "path") == root / "real" / "f"


def test_inside_keeps_a_final_symlink(root: Path, tmp_path: Path) -> None:
    """Link strategies make tracked files links into the cache; the link itself is checked."""
    (root / "f").symlink_to(tmp_path / "somewhere")
    assert inside(root, root / "f", "path") == root / "f"


@pytest.mark.parametrize("own", [".solvent", ".git"])
def test_inside_rejects_solvent_and_git_folders(root: Path, own: str) -> None:
    with pytest.raises(PathOutsideRepoError, match="own folder"):
        inside(root, root / own / "config", "path")


def test_inside_names_where_the_path_came_from(root: Path) -> None:
    with pytest.raises(PathOutsideRepoError) as caught:
        inside(root, Path(os.sep) / "tmp", "x.solvent")
    assert caught.value.message.startswith("x.solvent: ")
    assert caught.value.hint


def test_writable_refuses_a_parent_link_that_leads_out(root: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / "ol").symlink_to(outside)
    (root / "in").mkdir()
    (root / "in" / "deeper").symlink_to(root / "ol")  # a link to the link out
    for rel in ("ol/out.txt", "ol/sub/out.txt", "in/deeper/out.txt"):
        with pytest.raises(PathOutsideRepoError, match="leads outside the repo") as caught:
            writable(root, PurePosixPath(rel), "stage s")
        assert caught.value.message.startswith("stage s: ")
    with pytest.raises(PathOutsideRepoError, match="through the link ol "):
        writable(root, PurePosixPath("ol/a/b"), "x")


def test_writable_follows_links_that_stay_and_keeps_the_last_name(root: Path) -> None:
    (root / "real").mkdir()
    (root / "alias").symlink_to(root / "real")
    (root / "f").symlink_to("/etc/passwd")  # replacing a link touches the link only
    assert writable(root, PurePosixPath("alias/x"), "w") == root / "real" / "x"
    assert writable(root, PurePosixPath("f"), "w") == root / "f"
    assert writable(root, PurePosixPath("new/dir/x"), "w") == root / "new" / "dir" / "x"
    (root / "g").symlink_to(root / ".git")
    for rel in (".git/hooks/x", "g/hooks/x", ".solvent/x"):
        with pytest.raises(PathOutsideRepoError, match="own folder"):
            writable(root, PurePosixPath(rel), "w")


def test_writable_refuses_names_longer_than_a_file_name(root: Path) -> None:
    with pytest.raises(UsageError, match="longer than a file name may be"):
        writable(root, PurePosixPath("a/" + "é" * 128), "w")
    assert writable(root, PurePosixPath("x" * 255), "w") == root / ("x" * 255)


@pytest.mark.parametrize("url", [".", "data", "./a/../data", "sub/remote"])
def test_a_remote_folder_inside_the_repo_is_refused(root: Path, url: str) -> None:
    with pytest.raises(PathOutsideRepoError, match="inside the repo"):
        check_remote_folder(root, url)
    with pytest.raises(PathOutsideRepoError, match="inside the repo"):
        check_remote_folder(root, str(root / url))


def test_a_remote_folder_outside_the_repo_or_in_the_cloud_is_fine(root: Path) -> None:
    (root / "to-outside").symlink_to(root.parent)
    for url in ("../remote", str(root.parent / "remote"), "s3://bucket/x", "to-outside/remote"):
        check_remote_folder(root, url)
