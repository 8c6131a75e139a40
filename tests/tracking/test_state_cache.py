"""Proof that the state cache works: unchanged files are never read twice."""

from __future__ import annotations

import shutil
from pathlib import Path

from solvent.api import Repo
from solvent.tracking.status import DataState
from tests.helpers import backdate, count_objects, make_folder, write

FILES = {f"part{i}/file{j}.csv": f"{i},{j}\n" * (i + j + 1) for i in range(4) for j in range(5)}


def test_second_add_and_status_hash_nothing(repo: Path) -> None:
    data = make_folder(repo / "data", FILES)
    single = write(repo / "single.bin", b"\x00" * 1000)
    backdate(data)
    backdate(single)
    api = Repo(repo)

    first = api.add([str(data), str(single)])
    assert [r.hashed for r in first] == [len(FILES), 1]

    again = api.add([str(data), str(single)])
    assert [r.hashed for r in again] == [0, 0]
    assert [r.changed for r in again] == [False, False]
    assert [r.id for r in again] == [r.id for r in first]

    statuses = api.status()
    assert [s.state for s in statuses] == [DataState.UNCHANGED] * 2
    assert [s.hashed for s in statuses] == [0, 0]

    # A new process (a new Repo) reads the same cache from .solvent/state.db.
    assert [s.hashed for s in Repo(repo).status()] == [0, 0]


def test_after_one_change_only_that_file_is_hashed(repo: Path) -> None:
    data = make_folder(repo / "data", FILES)
    backdate(data)
    api = Repo(repo)
    (first,) = api.add([str(data)])

    write(data / "part2" / "file3.csv", "changed\n")
    (status,) = api.status()
    assert status.state is DataState.MODIFIED
    assert status.changes.modified == ("part2/file3.csv",)
    assert status.hashed == 1

    (second,) = api.add([str(data)])
    assert second.hashed <= 1  # status may already have remembered the new stat
    assert second.id != first.id
    assert second.changed


def test_readd_after_one_change_hashes_exactly_one_file(repo: Path) -> None:
    data = make_folder(repo / "data", FILES)
    backdate(data)
    api = Repo(repo)
    api.add([str(data)])
    write(data / "part0" / "file0.csv", "new content\n")
    backdate(data / "part0" / "file0.csv", 5)
    (second,) = api.add([str(data)])
    assert second.hashed == 1
    (third,) = api.add([str(data)])
    assert third.hashed == 0


def test_fresh_files_are_rehashed_until_their_stat_can_be_trusted(repo: Path) -> None:
    """A file changed twice within one clock tick keeps its stat: fresh stats are not cached."""
    data = make_folder(repo / "data", {"a": "1", "b": "2"})
    backdate(data, -60)  # an mtime in the future stays fresh however slow this machine is
    api = Repo(repo)
    (first,) = api.add([str(data)])
    assert first.hashed == 2
    (second,) = api.add([str(data)])
    assert second.hashed == 2
    backdate(data)
    api.add([str(data)])
    (fourth,) = api.add([str(data)])
    assert fourth.hashed == 0


def test_readd_trusts_the_old_version_only_while_its_objects_are_cached(repo: Path) -> None:
    """Re-adding skips existence checks for files unchanged since the pointer's version, but
    only while that version is in the cache: after a wiped cache every file is stored again."""
    data = make_folder(repo / "data", FILES)
    backdate(data)
    api = Repo(repo)
    api.add([str(data)])
    write(data / "part1" / "file1.csv", "edited\n")
    backdate(data / "part1" / "file1.csv", 5)
    (second,) = api.add([str(data)])
    assert second.hashed == 1  # the other 19 came from the state cache, unchecked

    shutil.rmtree(repo / ".solvent" / "cache")
    write(data / "part3" / "file0.csv", "edited too\n")
    backdate(data / "part3" / "file0.csv", 5)
    api = Repo(repo)
    (third,) = api.add([str(data)])
    assert third.hashed == len(FILES)  # nothing vouched for: every file read and stored
    assert count_objects(repo) == len(FILES) + 5  # every file, and the trees of 4 parts + root
    assert {(r.state, r.in_cache) for r in api.status()} == {(DataState.UNCHANGED, True)}
