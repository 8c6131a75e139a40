from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from solvent.storage.trees import Tree
from tests.helpers import (
    assert_user_error,
    backdate,
    blake3_id,
    make_folder,
    object_path,
    solvent,
    solvent_ok,
    write,
)


@pytest.fixture
def tracked(repo: Path) -> Path:
    """A repo tracking the folder ``data`` and the file ``model.bin``."""
    make_folder(repo / "data", {"a.csv": "1\n", "b.csv": "2\n", "sub/c.csv": "3\n"})
    write(repo / "model.bin", b"\x00" * 64)
    solvent_ok(repo, "add", "data", "model.bin")
    return repo


def pointer_id(repo: Path, rel: str) -> str:
    return str(yaml.safe_load((repo / rel).read_text())["id"])


def test_unchanged(tracked: Path) -> None:
    assert solvent_ok(tracked, "status") == "Tracked data is up to date.\n"


def test_nothing_tracked(repo: Path) -> None:
    assert "No tracked data" in solvent_ok(repo, "status")


def test_modified_folder_lists_each_file(tracked: Path) -> None:
    write(tracked / "data" / "new.csv", "n\n")
    (tracked / "data" / "b.csv").unlink()
    write(tracked / "data" / "sub" / "c.csv", "changed\n")
    out = solvent_ok(tracked, "status")
    assert out.splitlines() == [
        "data: modified",
        "    added    data/new.csv",
        "    removed  data/b.csv",
        "    modified data/sub/c.csv",
    ]


def test_executable_bit_counts_as_a_change(tracked: Path) -> None:
    (tracked / "data" / "a.csv").chmod(0o755)
    assert "    modified data/a.csv" in solvent_ok(tracked, "status").splitlines()


def test_modified_file(tracked: Path) -> None:
    write(tracked / "model.bin", b"\x01" * 64)
    assert solvent_ok(tracked, "status") == "model.bin: modified\n"


def test_missing(tracked: Path) -> None:
    shutil.rmtree(tracked / "data")
    (tracked / "model.bin").unlink()
    assert solvent_ok(tracked, "status").splitlines() == ["data: missing", "model.bin: missing"]


def test_file_not_in_cache(tracked: Path) -> None:
    object_path(tracked, pointer_id(tracked, "model.bin.solvent")).unlink()
    assert solvent_ok(tracked, "status") == "model.bin: not in cache\n"


def test_folder_not_in_cache(tracked: Path) -> None:
    object_path(tracked, pointer_id(tracked, "data.solvent")).unlink()
    assert solvent_ok(tracked, "status") == "data: not in cache\n"
    (status, _model) = json.loads(solvent_ok(tracked, "status", "--json"))["data"]
    assert (status["state"], status["in_cache"]) == ("unchanged", False)


def test_wiped_cache_is_noticed_and_readding_refills_it(tracked: Path) -> None:
    """The state cache remembers folders whose objects were all stored; that memory must not
    outlive the objects themselves."""
    cache = tracked / ".solvent" / "cache" / "blake3"
    shutil.rmtree(cache)
    cache.mkdir()
    assert solvent_ok(tracked, "status").splitlines() == [
        "data: not in cache",
        "model.bin: not in cache",
    ]
    solvent_ok(tracked, "add", "data", "model.bin")
    assert solvent_ok(tracked, "status") == "Tracked data is up to date.\n"
    shutil.rmtree(tracked / "data")
    solvent_ok(tracked, "checkout")
    assert (tracked / "data" / "sub" / "c.csv").read_text() == "3\n"


def test_missing_file_object_found_by_checkout_is_restored_by_readding(tracked: Path) -> None:
    object_path(tracked, blake3_id(b"2\n")).unlink()
    shutil.copytree(tracked / "data", tracked / "saved")
    shutil.rmtree(tracked / "data")
    proc = solvent(tracked, "checkout")
    assert_user_error(proc, "not in the cache", "data/b.csv")
    assert "re-add the data" in proc.stderr
    assert "data: missing, not in cache" in solvent_ok(tracked, "status")
    (tracked / "saved").rename(tracked / "data")
    solvent_ok(tracked, "add", "data")  # as the hint says
    shutil.rmtree(tracked / "data")
    solvent_ok(tracked, "checkout")
    assert (tracked / "data" / "b.csv").read_text() == "2\n"


def test_json_has_every_field(tracked: Path) -> None:
    write(tracked / "data" / "a.csv", "changed\n")
    (tracked / "model.bin").unlink()
    data, model = json.loads(solvent_ok(tracked, "status", "--json"))["data"]
    assert data == {
        "path": "data",
        "pointer": "data.solvent",
        "state": "modified",
        "in_cache": True,
        "changes": {"added": [], "removed": [], "modified": ["a.csv"]},
        "hashed": data["hashed"],
    }
    assert isinstance(data["hashed"], int)
    assert (model["path"], model["pointer"], model["state"]) == (
        "model.bin",
        "model.bin.solvent",
        "missing",
    )


def test_status_of_chosen_targets(tracked: Path) -> None:
    write(tracked / "model.bin", b"new")
    assert solvent_ok(tracked, "status", "data") == "Tracked data is up to date.\n"
    assert solvent_ok(tracked, "status", "model.bin.solvent") == "model.bin: modified\n"
    assert_user_error(solvent(tracked, "status", "other"), "not tracked by Solvent")


def test_an_executable_bit_change_of_a_single_file_is_a_modification(repo: Path) -> None:
    target = repo / "tool.sh"
    target.write_text("echo hi\n")
    backdate(target)
    solvent_ok(repo, "add", "tool.sh")
    target.chmod(0o755)
    assert "tool.sh: modified" in solvent_ok(repo, "status")


def test_a_missing_sub_folder_listing_is_reported_not_a_crash(repo: Path) -> None:
    (repo / "d" / "sub").mkdir(parents=True)
    (repo / "d" / "sub" / "b").write_text("b\n")
    (repo / "d" / "a").write_text("a\n")
    solvent_ok(repo, "add", "d")
    root_id = yaml.safe_load((repo / "d.solvent").read_text())["id"]
    root = Tree.from_bytes(object_path(repo, root_id).read_bytes())
    (sub,) = [e for e in root.entries if e.name == "sub"]
    object_path(repo, str(sub.id)).unlink()  # the sub-folder's listing only
    (repo / ".solvent" / "state.db").unlink()
    proc = solvent(repo, "status")
    assert proc.returncode == 0, proc.stderr
    assert "not in cache" in proc.stdout and "internal error" not in proc.stderr
