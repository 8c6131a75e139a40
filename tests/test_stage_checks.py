"""Data checks gate stages, and changed tabular inputs are summarised (issue 6, point 3):
real repro and status runs on real CSV files."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.helpers import git, solvent, solvent_ok, write

SPLIT = """\
import csv, sys
rows = list(csv.DictReader(open("raw.csv")))
half = len(rows) // 2
train, test = rows[:half], rows[half:]
if sys.argv[1] == "leak":
    test = test + train[:3]
for name, part in (("train.csv", train), ("test.csv", test)):
    with open(name, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(part)
"""

SPEC = f"""\
stages:
  split:
    cmd: {sys.executable} split.py ${{mode}}
    deps: [raw.csv, split.py]
    params: [mode]
    outs: [train.csv, test.csv]
    checks:
      schema: raw.csv
      drift: {{raw.csv: 0.5}}
      rows: {{train.csv: {{min: 50}}}}
      no_duplicates: [train.csv]
      disjoint: [train.csv, test.csv]
"""


def raw(shift: float = 0.0, extra_column: bool = False) -> str:
    header = "x,colour" + (",note" if extra_column else "")
    lines = [header]
    for i in range(200):
        colour = ["red", "green", "blue"][i % 3] if not shift else ["pink", "grey"][i % 2]
        lines.append(f"{i * 0.5 + shift},{colour}" + (",n" if extra_column else ""))
    return "\n".join(lines) + "\n"


def project(repo: Path) -> Path:
    write(repo / "split.py", SPLIT)
    write(repo / "params.yaml", "mode: clean\n")
    write(repo / "raw.csv", raw())
    write(repo / "solvent.yaml", SPEC)
    out = solvent_ok(repo, "repro")
    assert "split" in out
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pipeline")
    return repo


def test_checks_pass_on_good_data_and_a_drifted_input_fails_the_stage(repo: Path) -> None:
    project(repo)
    lock = (repo / "solvent.lock").read_text()
    write(repo / "raw.csv", raw(shift=60.0))

    status = solvent_ok(repo, "status")
    assert "raw.csv changed since the lock" in status
    assert "2 of 2 columns drifted (x, colour)" in status

    proc = solvent(repo, "repro")
    assert proc.returncode == 1
    assert "check drift raw.csv failed: 2 of 2 columns drifted (100%" in proc.stdout
    assert (repo / "solvent.lock").read_text() == lock  # the stage did not run


def test_a_new_column_fails_the_schema_check(repo: Path) -> None:
    project(repo)
    write(repo / "raw.csv", raw(extra_column=True))
    proc = solvent(repo, "repro")
    assert proc.returncode == 1
    assert "check schema raw.csv failed: added note" in proc.stdout


def test_out_checks_fail_a_stage_that_leaks_rows_and_keep_the_lock(repo: Path) -> None:
    project(repo)
    lock = (repo / "solvent.lock").read_text()
    write(repo / "params.yaml", "mode: leak\n")
    proc = solvent(repo, "repro")
    assert proc.returncode == 1
    assert "check disjoint train.csv, test.csv failed: 3 row(s) of train.csv also in" in proc.stdout
    assert (repo / "solvent.lock").read_text() == lock
    assert "split: stale" in solvent_ok(repo, "status")  # it reruns next time


def test_too_few_rows(repo: Path) -> None:
    write(repo / "split.py", SPLIT)
    write(repo / "params.yaml", "mode: clean\n")
    write(repo / "raw.csv", "\n".join(raw().splitlines()[:41]) + "\n")  # 40 rows: 20 train
    write(repo / "solvent.yaml", SPEC)
    proc = solvent(repo, "repro")
    assert proc.returncode == 1
    assert "check rows train.csv failed: 20 rows (bounds: min 50)" in proc.stdout
    assert not (repo / "solvent.lock").exists()


def test_status_says_when_a_changed_input_cannot_be_compared(repo: Path) -> None:
    project(repo)
    write(repo / "solvent.yaml", SPEC.split("    checks:")[0])  # no checks: raw.csv not kept
    write(repo / "raw.csv", raw(shift=0.5))
    solvent_ok(repo, "repro")
    write(repo / "raw.csv", raw(shift=1.0))
    assert "locked version is not in the cache" in solvent_ok(repo, "status")
