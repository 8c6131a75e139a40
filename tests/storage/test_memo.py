"""Parsed spec, lock and params files are remembered by content, only by commands that
succeed, and never trusted when damaged or stale."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from solvent.storage import memo
from solvent.storage.memo import KEEP, MemoEntry, memo_entry
from tests.helpers import assert_user_error, disk_state, solvent, solvent_ok, write

SPEC = """\
stages:
  first:
    cmd: echo ${n} > one.txt
    params: [n]
    outs: [one.txt]
"""

# Runs status in a fresh interpreter and reports which YAML parsers it had to import.
PROBE = """
import sys
from solvent.cli import main
sys.argv = ["solvent", "status"]
try:
    main()
except SystemExit:
    pass
print("PARSERS", sorted(m for m in ("ruamel.yaml", "yaml") if m in sys.modules))
"""


def memos(repo: Path) -> list[str]:
    folder = repo / ".solvent" / "tmp" / "memo"
    return sorted(p.name.split("-")[0] for p in folder.iterdir()) if folder.is_dir() else []


def parsers(repo: Path) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=repo, capture_output=True, text=True, check=True
    ).stdout
    return eval(out.split("PARSERS", 1)[1])  # a list literal printed above


def test_a_second_status_parses_no_yaml(repo: Path) -> None:
    write(repo / "solvent.yaml", SPEC)
    write(repo / "params.yaml", "n: 1\n")
    solvent_ok(repo, "repro")
    assert parsers(repo) == []  # spec, params and lock all came from memos
    assert memos(repo) == ["data", "lock", "spec"]


def test_the_lock_memo_is_what_yaml_reads_from_the_lock(repo: Path) -> None:
    write(repo / "solvent.yaml", SPEC)
    write(repo / "params.yaml", "n: 0.1\n")
    solvent_ok(repo, "repro")
    text = (repo / "solvent.lock").read_bytes()
    kept = memo_entry(repo, "lock", text).load()
    assert kept is not None and kept == yaml.safe_load(text)


def test_an_edited_spec_is_parsed_again(repo: Path) -> None:
    write(repo / "solvent.yaml", SPEC)
    write(repo / "params.yaml", "n: 1\n")
    solvent_ok(repo, "repro")
    write(repo / "solvent.yaml", SPEC.replace("first", "renamed"))
    write(repo / "params.yaml", "n: 2\n")
    out = solvent_ok(repo, "status")
    assert "renamed" in out and "first" not in out
    assert parsers(repo) == []  # the edited files' memos were written by that status


def test_a_refused_command_leaves_no_memo(repo: Path) -> None:
    write(repo / "solvent.yaml", SPEC.replace("outs: [one.txt]", "outs: [../one.txt]"))
    write(repo / "params.yaml", "n: 1\n")
    before = disk_state(repo)
    assert_user_error(solvent(repo, "status"))
    assert disk_state(repo) == before
    assert memos(repo) == []


def test_a_damaged_memo_is_ignored(repo: Path) -> None:
    write(repo / "solvent.yaml", SPEC)
    write(repo / "params.yaml", "n: 1\n")
    solvent_ok(repo, "repro")
    folder = repo / ".solvent" / "tmp" / "memo"
    for path in folder.iterdir():
        blob = bytearray(path.read_bytes())
        blob[-1] ^= 0xFF
        path.write_bytes(bytes(blob))
    assert "up to date" in solvent_ok(repo, "status")
    assert parsers(repo) == []  # that status parsed the files and replaced the memos


def test_entries_round_trip_and_old_ones_are_pruned(tmp_path: Path) -> None:
    value = ({"a": [1, 2.5, None, True], (): 1, ("x", 0): 3}, "text")
    first = MemoEntry(tmp_path, "spec", b"one")
    first.keep(value)
    first.save()
    memo.flush()
    assert MemoEntry(tmp_path, "spec", b"one").load() == value
    assert MemoEntry(tmp_path, "spec", b"two").load() is None
    assert MemoEntry(tmp_path, "lock", b"one").load() is None  # the kind is part of the key
    for i in range(KEEP + 5):
        entry = MemoEntry(tmp_path, "data", str(i).encode())
        entry.keep(i)
        entry.save()
        memo.flush()
    assert len(list(tmp_path.iterdir())) == KEEP


def test_values_marshal_cannot_hold_are_not_kept(tmp_path: Path) -> None:
    import datetime

    entry = MemoEntry(tmp_path, "data", b"when: 2024-01-01")
    entry.keep({"when": datetime.date(2024, 1, 1)})
    entry.save()
    memo.flush()
    assert list(tmp_path.iterdir()) == []
