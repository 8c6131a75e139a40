"""``solvent ls``: a repo's files and tracked data as ``dvc ls`` lists them, here, at a rev, and
for another repo by path or URL."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.dvc_cli import dvc_ok, dvc_repo, needs_dvc
from tests.helpers import (
    assert_user_error,
    commit_all,
    make_folder,
    solvent,
    solvent_ok,
    write,
)

PY = sys.executable
STAGE = "    cmd: {py} -c \"open('model.pkl','w').write(open('big.csv').read()*2)\"\n"


def shape(root: Path, spec: str) -> Path:
    """Tracked data (a folder and a file), a stage out, plain git files."""
    make_folder(root / "data", {"a.txt": "a\n", "sub/b.txt": "bb\n"})
    write(root / "big.csv", "x\n")
    write(root / spec, "stages:\n  train:\n" + STAGE.format(py=PY)
          + "    deps: [big.csv]\n    outs: [model.pkl]\n")  # fmt: skip
    write(root / "notes.txt", "notes\n")
    write(root / "run.sh", "#!/bin/sh\n", executable=True)
    return root


@pytest.fixture
def project(repo: Path) -> Path:
    shape(repo, "solvent.yaml")
    solvent_ok(repo, "add", "data", "big.csv")
    solvent_ok(repo, "repro")
    commit_all(repo, "project")
    return repo


def ls(root: Path, *args: str) -> list[dict[str, Any]]:
    found = json.loads(solvent_ok(root, "ls", *args, "--json"))
    assert isinstance(found, list)
    return found


def test_ls_lists_git_files_and_tracked_data(project: Path) -> None:
    rows = {r["path"]: r for r in ls(project)}
    assert sorted(rows) == [
        ".gitignore", "big.csv", "big.csv.solvent", "data", "data.solvent", "model.pkl",
        "notes.txt", "run.sh", "solvent.lock", "solvent.yaml",
    ]  # fmt: skip
    assert rows["data"] | {"id": None} == {
        "path": "data", "isout": True, "isdir": True, "isexec": False, "size": 5, "id": None,
    }  # fmt: skip
    assert rows["data"]["id"].startswith("blake3:")
    assert rows["model.pkl"]["isout"] and rows["model.pkl"]["size"] == 4
    assert rows["run.sh"]["isexec"] and not rows["notes.txt"]["isout"]
    assert solvent_ok(project, "ls", ".", "data", "-R") == "a.txt\nsub/b.txt\n"
    assert solvent_ok(project, "ls", ".", "data/sub/b.txt") == "b.txt\n"
    assert solvent_ok(project, "ls", "--dvc-only", "-R") == (
        "big.csv\ndata/a.txt\ndata/sub/b.txt\nmodel.pkl\n"
    )


def test_ls_at_a_rev_shows_what_was_committed_even_if_not_checked_out(project: Path) -> None:
    shutil.rmtree(project / "data")
    (project / "model.pkl").unlink()
    write(project / "later.txt", "not committed")
    rows = [r["path"] for r in ls(project, ".", "--rev", "HEAD", "-R")]
    assert "data/sub/b.txt" in rows and "model.pkl" in rows and "later.txt" not in rows
    here = [r["path"] for r in ls(project, "-R")]  # the workspace, data still tracked
    assert "data/sub/b.txt" in here and "later.txt" in here


def test_ls_of_another_repo_by_folder_and_by_url(project: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    by_path = [r["path"] for r in ls(elsewhere, str(project), "--rev", "HEAD", "-R")]
    assert "data/sub/b.txt" in by_path  # the trees are in that repo's cache
    by_url = {r["path"]: r for r in ls(elsewhere, project.as_uri())}
    assert by_url["data"]["isdir"] and by_url["data"]["isout"]
    assert "data/a.txt" not in by_url
    assert_user_error(solvent(elsewhere, "ls", str(project), "nope"), "nope: no such file")
    assert_user_error(solvent(elsewhere, "ls", str(elsewhere)), "not a Solvent or git repo")


@needs_dvc
def test_ls_lists_what_dvc_lists(project: Path, tmp_path: Path) -> None:
    """The same shape tracked by DVC: the same paths (pointer and pipeline files renamed),
    and the same flags; DVC's md5 is Solvent's id."""
    theirs = shape(dvc_repo(tmp_path / "theirs"), "dvc.yaml")
    dvc_ok(theirs, "add", "-q", "data", "big.csv")
    dvc_ok(theirs, "repro", "-q")
    commit_all(theirs, "project")
    renames = {".dvc": ".solvent", "dvc.yaml": "solvent.yaml", "dvc.lock": "solvent.lock"}

    def theirs_ls(*args: str) -> dict[str, dict[str, Any]]:
        rows = json.loads(dvc_ok(theirs, "ls", ".", *args, "--json"))
        out = {}
        for r in rows:
            path = r["path"]
            for a, b in renames.items():
                path = path.replace(a, b)
            if path != ".solventignore":
                out[path] = r
        return out

    for args in ((), ("-R",), ("data",), ("--rev", "HEAD", "-R")):
        dvc_rows = theirs_ls(*args)
        our_rows = {r["path"]: r for r in ls(project, ".", *args)}
        assert sorted(our_rows) == sorted(dvc_rows), args
        for path, r in dvc_rows.items():
            assert set(r) - {"md5"} <= set(our_rows[path]), path
            for key in ("isout", "isdir", "isexec"):
                assert our_rows[path][key] == r[key], (args, path, key)
            tools_file = any(a in r["path"] for a in renames)
            if not r["isdir"] and not tools_file and r["size"] is not None:
                assert our_rows[path]["size"] == r["size"], (args, path)
