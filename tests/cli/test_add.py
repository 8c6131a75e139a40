from __future__ import annotations

import json
import stat
from pathlib import Path

import yaml

from solvent.storage.trees import Tree
from tests.helpers import (
    blake3_id,
    git,
    make_folder,
    object_path,
    solvent_ok,
    write,
)


def pointer(repo: Path, rel: str) -> dict[str, object]:
    doc = yaml.safe_load((repo / rel).read_text())
    assert isinstance(doc, dict)
    return doc


def test_add_file(repo: Path) -> None:
    write(repo / "train.csv", "a,b\n1,2\n")
    out = solvent_ok(repo, "add", "train.csv")
    assert "tracked train.csv (8 B) → train.csv.solvent" in out
    assert "git add .gitignore train.csv.solvent" in out
    text = (repo / "train.csv.solvent").read_text()
    assert text.startswith("# Data tracked by Solvent.")
    assert pointer(repo, "train.csv.solvent") == {
        "path": "train.csv",
        "id": blake3_id(b"a,b\n1,2\n"),
        "kind": "file",
        "size": 8,
        "files": 1,
    }
    assert (repo / ".gitignore").read_text() == "/train.csv\n"
    assert git(repo, "check-ignore", "train.csv").strip() == "train.csv"
    assert object_path(repo, blake3_id(b"a,b\n1,2\n")).read_bytes() == b"a,b\n1,2\n"


def test_add_folder(repo: Path) -> None:
    files = {"a.csv": "1\n", "sub/b.csv": "22\n", "sub/deeper/c.csv": "333\n"}
    make_folder(repo / "data", files)
    out = solvent_ok(repo, "add", "data")
    assert "tracked data (3 files, 9 B) → data.solvent" in out
    doc = pointer(repo, "data.solvent")
    assert (doc["path"], doc["kind"], doc["size"], doc["files"]) == ("data", "dir", 9, 3)
    assert git(repo, "check-ignore", "data", "data/sub/b.csv").split() == [
        "data",
        "data/sub/b.csv",
    ]
    # git sees the pointer and the .gitignore, never the data.
    untracked = git(repo, "status", "--porcelain", "--untracked-files=all").split("\n")
    assert sorted(line for line in untracked if line) == ["?? .gitignore", "?? data.solvent"]
    # The folder is a Merkle tree of objects in the cache.
    top = Tree.from_bytes(object_path(repo, str(doc["id"])).read_bytes())
    assert [(e.name, e.kind) for e in top.entries] == [("a.csv", "file"), ("sub", "tree")]
    for content in files.values():
        assert object_path(repo, blake3_id(content.encode())).read_text() == content


def test_objects_in_the_cache_are_read_only(repo: Path) -> None:
    make_folder(repo / "data", {"a": "1", "b/c": "2"})
    solvent_ok(repo, "add", "data")
    objects = [p for p in (repo / ".solvent" / "cache" / "blake3").rglob("*") if p.is_file()]
    assert len(objects) == 4  # two files, two trees
    assert {stat.S_IMODE(p.stat().st_mode) for p in objects} == {0o444}


def test_add_nested_path_ignores_it_beside_the_data(repo: Path) -> None:
    write(repo / "data" / "raw" / "x.csv", "x")
    solvent_ok(repo, "add", "data/raw/x.csv")
    assert (repo / "data" / "raw" / "x.csv.solvent").is_file()
    assert (repo / "data" / "raw" / ".gitignore").read_text() == "/x.csv\n"
    assert not (repo / ".gitignore").exists()
    assert git(repo, "check-ignore", "data/raw/x.csv").strip() == "data/raw/x.csv"


def test_add_again_is_unchanged_and_writes_nothing_twice(repo: Path) -> None:
    write(repo / ".gitignore", "*.pyc")  # an existing file without a final newline
    write(repo / "f.bin", b"\x00\x01")
    solvent_ok(repo, "add", "f.bin")
    before = (repo / "f.bin.solvent").stat().st_mtime_ns
    out = solvent_ok(repo, "add", "f.bin")
    assert "unchanged f.bin" in out
    assert "git add" not in out
    assert (repo / ".gitignore").read_text() == "*.pyc\n/f.bin\n"
    assert (repo / "f.bin.solvent").stat().st_mtime_ns == before


def test_add_new_version_rewrites_the_pointer(repo: Path) -> None:
    write(repo / "f.txt", "v1")
    solvent_ok(repo, "add", "f.txt")
    write(repo / "f.txt", "version 2")
    out = solvent_ok(repo, "add", "f.txt")
    assert "tracked f.txt" in out
    assert pointer(repo, "f.txt.solvent")["id"] == blake3_id(b"version 2")


def test_add_executable_file_records_it(repo: Path) -> None:
    write(repo / "run.sh", "#!/bin/sh\n", executable=True)
    solvent_ok(repo, "add", "run.sh")
    assert pointer(repo, "run.sh.solvent")["executable"] is True


def test_add_several_paths_at_once(repo: Path) -> None:
    write(repo / "a.csv", "a")
    make_folder(repo / "b", {"x": "x"})
    solvent_ok(repo, "add", "a.csv", "b", "./a.csv")
    assert (repo / "a.csv.solvent").is_file() and (repo / "b.solvent").is_file()
    assert (repo / ".gitignore").read_text() == "/a.csv\n/b\n"


def test_add_json(repo: Path) -> None:
    make_folder(repo / "data", {"a": "1", "b": "22"})
    (result,) = json.loads(solvent_ok(repo, "add", "data", "--json"))
    assert result == {
        "path": "data",
        "pointer": "data.solvent",
        "id": pointer(repo, "data.solvent")["id"],  # the id as written: 'blake3:<hex>'
        "kind": "dir",
        "size": 3,
        "files": 2,
        "hashed": 2,
        "changed": True,
    }


def test_add_empty_file_and_empty_folder(repo: Path) -> None:
    write(repo / "empty.txt", b"")
    (repo / "nothing").mkdir()
    solvent_ok(repo, "add", "empty.txt", "nothing")
    assert pointer(repo, "empty.txt.solvent")["size"] == 0
    assert pointer(repo, "nothing.solvent")["files"] == 0
    (repo / "empty.txt").unlink()
    (repo / "nothing").rmdir()
    solvent_ok(repo, "checkout")
    assert (repo / "empty.txt").read_bytes() == b""
    assert (repo / "nothing").is_dir()
    assert "up to date" in solvent_ok(repo, "status")
