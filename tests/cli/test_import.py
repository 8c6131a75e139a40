"""``solvent import`` tracks another repo's data with its source; ``update`` refreshes it."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.cli.test_get import publish
from tests.helpers import (
    assert_user_error,
    disk_state,
    git,
    make_folder,
    read_files,
    solvent,
    solvent_ok,
    write,
)


def consumer(tmp_path: Path) -> Path:
    repo = tmp_path / "consumer"
    repo.mkdir()
    git(repo, "init", "-q")
    solvent_ok(repo, "init")
    return repo


def test_import_records_the_source_and_update_follows_it(repo: Path, tmp_path: Path) -> None:
    revs = publish(repo, tmp_path)
    here = consumer(tmp_path)
    out = solvent_ok(here, "import", str(repo), "data", "-o", "raw")
    assert revs[1][:10] in out
    assert read_files(here / "raw") == read_files(repo / "data")
    doc = yaml.safe_load((here / "raw.solvent").read_text())
    assert doc["source"] == {"url": "../project", "path": "data", "commit": revs[1]}
    assert solvent_ok(here, "status") == "Tracked data is up to date.\n"
    git(here, "add", "-A")
    git(here, "commit", "-q", "-m", "import")

    assert "up to date" in solvent_ok(here, "update")
    make_folder(repo / "data", {f"f{i}.csv": f"v2,{i}\n" for i in range(3)})
    solvent_ok(repo, "add", "data")
    solvent_ok(repo, "push")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "v2")

    assert "raw: updated to" in solvent_ok(here, "update", "raw")
    assert read_files(here / "raw") == read_files(repo / "data")  # files gone upstream, gone
    new_commit = git(repo, "rev-parse", "HEAD").strip()
    assert yaml.safe_load((here / "raw.solvent").read_text())["source"]["commit"] == new_commit

    clone = tmp_path / "clone"  # a clone of the consumer finds the source by its relative url
    subprocess.run(["git", "clone", "-q", str(here), str(clone)], check=True)
    assert "up to date" not in solvent_ok(clone, "update", "--force")  # it still has v1


def test_a_pinned_rev_stays_and_local_edits_are_kept_without_force(
    repo: Path, tmp_path: Path
) -> None:
    revs = publish(repo, tmp_path)
    here = consumer(tmp_path)
    solvent_ok(here, "import", str(repo), "data", "--rev", revs[0], "-o", "old")
    assert (here / "old/f0.csv").read_text() == "v0,0\n"
    assert "up to date" in solvent_ok(here, "update")  # the rev is a commit: it never moves
    doc = yaml.safe_load((here / "old.solvent").read_text())
    assert doc["source"]["rev"] == revs[0]

    write(here / "old/f0.csv", "my edit\n")
    before = disk_state(here, with_state=False)
    assert_user_error(solvent(here, "update"), "was changed here since it was imported")
    assert disk_state(here, with_state=False) == before


def test_bad_imports_change_nothing(repo: Path, tmp_path: Path) -> None:
    publish(repo, tmp_path)
    here = consumer(tmp_path)
    write(here / "taken/x.txt", "x")
    solvent_ok(here, "add", "taken")
    before = disk_state(here, with_state=False)
    assert_user_error(solvent(here, "import", str(repo), "data", "-o", "taken"), "already exists")
    assert_user_error(solvent(here, "update", "taken"), "none of these was imported")
    assert_user_error(solvent(here, "import", str(tmp_path / "nope"), "data"), "git clone failed")
    assert disk_state(here, with_state=False) == before
