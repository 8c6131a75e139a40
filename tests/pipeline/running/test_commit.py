"""``solvent commit``: the workspace recorded as the stages' result without running them, as
``dvc commit`` does (checked against DVC itself where it is installed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.dvc_cli import dvc, dvc_ok, dvc_repo, needs_dvc
from tests.helpers import (
    assert_user_error,
    blake3_id,
    disk_state,
    object_path,
    solvent,
    solvent_ok,
    write,
)

PY = sys.executable
PREPARE = f"{PY} -c \"open('clean.txt','w').write(open('raw.txt').read().upper())\""
TRAIN = f"{PY} -c \"open('model.txt','w').write('model of ' + open('clean.txt').read())\""


def spec() -> str:
    return f"""\
stages:
  prepare:
    cmd: {PREPARE}
    deps: [raw.txt]
    outs: [clean.txt]
  train:
    cmd: {TRAIN}
    deps: [clean.txt]
    outs: [model.txt]
"""


def project(root: Path, spec_name: str) -> Path:
    write(root / spec_name, spec())
    write(root / "raw.txt", "raw")
    return root


def no_tty(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``solvent`` with stdin closed: no prompt can be answered."""
    return subprocess.run(
        [PY, "-m", "solvent", *args], cwd=root, stdin=subprocess.DEVNULL,
        capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip


def test_a_hand_edited_out_is_committed_with_force_and_then_up_to_date(repo: Path) -> None:
    project(repo, "solvent.yaml")
    solvent_ok(repo, "repro")
    write(repo / "model.txt", "tuned by hand")
    assert solvent(repo, "status", "-q").returncode == 1
    before = disk_state(repo, with_state=False)
    refused = no_tty(repo, "commit")
    assert_user_error(refused, "stage 'train' changed", "out model.txt modified")
    assert "-f" in refused.stderr
    assert disk_state(repo, with_state=False) == before  # nothing written
    out = solvent_ok(repo, "commit", "-f")
    assert out == "Committed train\n"
    assert solvent(repo, "status", "-q").returncode == 0
    assert solvent_ok(repo, "status") == "Data and pipelines are up to date.\n"
    assert object_path(repo, blake3_id(b"tuned by hand")).read_bytes() == b"tuned by hand"
    assert "up to date" in solvent_ok(repo, "repro")
    assert (repo / "model.txt").read_text() == "tuned by hand"  # nothing ran
    assert solvent_ok(repo, "commit") == (
        "Nothing to commit: solvent.lock already records the workspace.\n"
    )


def test_a_stage_run_by_hand_is_adopted_without_running(repo: Path) -> None:
    project(repo, "solvent.yaml")
    for cmd in (PREPARE, TRAIN):
        subprocess.run(cmd, shell=True, cwd=repo, check=True)
    solvent_ok(repo, "commit", "-f", "prepare")  # only the target, as dvc commit does
    assert solvent(repo, "status", "-q").returncode == 1
    lock = (repo / "solvent.lock").read_text()
    assert "prepare:" in lock and "train:" not in lock
    solvent_ok(repo, "commit", "-f")
    assert solvent_ok(repo, "status") == "Data and pipelines are up to date.\n"
    assert "/model.txt" in (repo / ".gitignore").read_text().splitlines()
    report = solvent_ok(repo, "repro", "--json")
    assert '"ran"' not in report


def test_a_missing_out_is_refused_with_nothing_written(repo: Path) -> None:
    project(repo, "solvent.yaml")
    subprocess.run(PREPARE, shell=True, cwd=repo, check=True)
    before = disk_state(repo, with_state=False)
    assert_user_error(solvent(repo, "commit", "-f"), "stage 'train'", "model.txt does not exist")
    assert disk_state(repo, with_state=False) == before


@needs_dvc
@pytest.mark.parametrize("edit", ["out", "dep"])
def test_commit_agrees_with_dvc(tmp_path: Path, edit: str) -> None:
    """Same project, same hand edit: both refuse without -f, both are up to date after it,
    and neither reruns a stage."""
    ours = project(tmp_path / "ours", "solvent.yaml")
    theirs = project(tmp_path / "theirs", "dvc.yaml")
    from tests.helpers import git

    git(ours, "init", "-q", "-b", "main")
    solvent_ok(ours, "init")
    dvc_repo(theirs)
    solvent_ok(ours, "repro")
    dvc_ok(theirs, "repro", "-q")
    for root in (ours, theirs):
        if edit == "out":
            write(root / "model.txt", "tuned by hand")
        else:
            write(root / "raw.txt", "raw, edited")
            subprocess.run(PREPARE, shell=True, cwd=root, check=True)
    assert no_tty(ours, "commit").returncode != 0
    assert dvc(theirs, "commit").returncode != 0
    solvent_ok(ours, "commit", "-f")
    dvc_ok(theirs, "commit", "-f")
    assert "up to date" in dvc_ok(theirs, "status")
    assert solvent_ok(ours, "status") == "Data and pipelines are up to date.\n"
    for root in (ours, theirs):
        assert (root / "model.txt").read_text() == (
            "tuned by hand" if edit == "out" else "model of RAW"
        )
