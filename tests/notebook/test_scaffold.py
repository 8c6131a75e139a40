"""``solvent stage new``: the right shape for a new stage is the easy one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import assert_user_error, disk_state, solvent, solvent_ok

VENV = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def test_stage_new_writes_a_typed_script_its_params_and_its_stage(repo: Path) -> None:
    (repo / "params.yaml").write_text("# tuned by hand\nother: {depth: 3}\n")
    out = solvent_ok(repo, "stage", "new", "train", "-d", "data/clean.csv", "-o", "model.pkl",
                     "-o", "metrics.json", "-p", "lr=0.1", "-p", "epochs=10")  # fmt: skip
    assert "src/train.py" in out
    spec = (repo / "solvent.yaml").read_text()
    assert (
        "cmd: python src/train.py --clean data/clean.csv --model model.pkl --metrics "
        "metrics.json --lr ${train.lr} --epochs ${train.epochs}"
    ) in spec
    assert "- metrics.json:\n        cache: false" in spec
    params = (repo / "params.yaml").read_text()
    assert params == "# tuned by hand\nother: {depth: 3}\ntrain:\n  lr: 0.1\n  epochs: 10\n"
    help_text = subprocess.run(
        [sys.executable, "src/train.py", "--help"], cwd=repo, capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    for option in ("--clean", "--model", "--metrics", "--lr", "--epochs"):
        assert option in help_text
    status = solvent(repo, "status", env=VENV)
    assert status.returncode == 0, status.stderr  # the new stage loads, params resolve


def test_the_scaffold_passes_mypy_strict(repo: Path) -> None:
    pytest.importorskip("mypy")
    solvent_ok(repo, "stage", "new", "prep", "-d", "raw.csv", "-o", "out/clean.csv")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "src/prep.py"],
        cwd=repo, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout
    assert "seed: 0" in (repo / "params.yaml").read_text()  # a default setting to start from


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("stage", "new", "t", "-p", "lr"), "-p 'lr'"),
        (("stage", "new", "t", "-p", "flag=true"), "number or a text"),
        (("stage", "new", "a.b"), "invalid stage name"),
        (("stage", "new", "t", "--script", "t.txt"), "must end in .py"),
    ],
)
def test_bad_input_changes_nothing(repo: Path, args: tuple[str, ...], needle: str) -> None:
    before = disk_state(repo, with_state=False)
    assert_user_error(solvent(repo, *args), needle)
    assert disk_state(repo, with_state=False) == before


def test_a_second_stage_of_that_name_changes_nothing(repo: Path) -> None:
    solvent_ok(repo, "stage", "new", "t")
    before = disk_state(repo, with_state=False)
    assert_user_error(solvent(repo, "stage", "new", "t", "--script", "src/t2.py"), "'t'")
    assert disk_state(repo, with_state=False) == before
