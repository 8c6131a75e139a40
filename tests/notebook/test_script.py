"""``solvent script``: a notebook becomes a typed CLI stage that makes the same files."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import assert_user_error, commit_all, disk_state, git, solvent, solvent_ok
from tests.notebook.notebooks import MAGIC, PREP, RAW_CSV, TRAIN, execute, write_notebook

# Stage commands say `python`: this venv's, which has typer.
VENV = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
PARAMS = "# settings the team tunes\nother:\n  depth: 3  # kept as it was\n"


def _project(root: Path) -> Path:
    root.mkdir()
    git(root, "init", "-q")
    git(root, "config", "user.email", "t@example.invalid")
    git(root, "config", "user.name", "T")
    solvent_ok(root, "init")
    (root / "data").mkdir()
    (root / "data" / "raw.csv").write_text(RAW_CSV)
    (root / "params.yaml").write_text(PARAMS)
    write_notebook(root / "prep.ipynb", PREP)
    write_notebook(root / "train.ipynb", TRAIN)
    commit_all(root, "notebooks")
    return root


OUTPUTS = ("data/clean.csv", "model.pkl", "metrics.json")


def test_converted_stages_make_the_notebooks_outputs_byte_for_byte(tmp_path: Path) -> None:
    ran = _project(tmp_path / "ran")
    execute(ran / "prep.ipynb")
    execute(ran / "train.ipynb")
    expected = {rel: (ran / rel).read_bytes() for rel in OUTPUTS}

    repo = _project(tmp_path / "repo")
    out = solvent_ok(repo, "script", "prep.ipynb", "-o", "src/prep.py")
    assert "deps: data/raw.csv" in out and "outs: data/clean.csv" in out
    out = solvent_ok(repo, "script", "train.ipynb", "-o", "src/train.py")
    assert "--slope-scale (float)" in out and "left in the code" in out and "verbose" in out
    spec = (repo / "solvent.yaml").read_text()
    assert (
        "cmd: python src/train.py --slope-scale ${train.slope_scale} --digits ${train.digits} "
        "--model-name ${train.model_name}"
    ) in spec
    params = (repo / "params.yaml").read_text()
    assert params.startswith(PARAMS)  # comments and layout kept, the section appended
    assert "train:\n  slope_scale: 1.5\n  digits: 4\n  model_name: line\n" in params
    solvent_ok(repo, "repro", env=VENV)
    for rel in OUTPUTS:
        assert (repo / rel).read_bytes() == expected[rel], rel
    assert "up to date" in solvent_ok(repo, "status", env=VENV)


def test_a_param_changed_in_params_yaml_reaches_the_script(tmp_path: Path) -> None:
    repo = _project(tmp_path / "repo")
    solvent_ok(repo, "script", "prep.ipynb", "-o", "src/prep.py")
    solvent_ok(repo, "script", "train.ipynb", "-o", "src/train.py", "--stage", "fit_line")
    params = repo / "params.yaml"
    params.write_text(params.read_text().replace("digits: 4", "digits: 1"))
    solvent_ok(repo, "repro", env=VENV)
    mse = (repo / "metrics.json").read_text()
    assert len(mse.split(":")[1].strip(" }").split(".")[1]) == 1, mse


def test_converted_scripts_pass_mypy_strict(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    repo = _project(tmp_path / "repo")
    solvent_ok(repo, "script", "prep.ipynb", "-o", "src/prep.py")
    solvent_ok(repo, "script", "train.ipynb", "-o", "src/train.py")
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "src/prep.py",
         "src/train.py"],
        cwd=repo, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_magics_and_shell_lines_are_refused_with_cell_and_line(tmp_path: Path) -> None:
    repo = _project(tmp_path / "repo")
    write_notebook(repo / "magic.ipynb", MAGIC)
    before = disk_state(repo, with_state=False)
    proc = solvent(repo, "script", "magic.ipynb", "-o", "src/magic.py")
    assert_user_error(proc, "magic.ipynb", "cell 1 line 1: %matplotlib inline",
                      "cell 2 line 1: !ls data", "cell 2 line 2: files = !ls",
                      "cell 3 line 1: %%time", "cell 4 line 1: %%bash")  # fmt: skip
    assert "hint:" in proc.stderr
    assert disk_state(repo, with_state=False) == before


def test_a_taken_stage_name_changes_nothing(tmp_path: Path) -> None:
    repo = _project(tmp_path / "repo")
    solvent_ok(repo, "script", "prep.ipynb", "-o", "src/prep.py")
    before = disk_state(repo, with_state=False)
    proc = solvent(repo, "script", "train.ipynb", "-o", "src/other.py", "--stage", "prep")
    assert_user_error(proc, "prep")
    assert disk_state(repo, with_state=False) == before


def test_not_a_notebook(tmp_path: Path) -> None:
    repo = _project(tmp_path / "repo")
    (repo / "bad.ipynb").write_text("{not json")
    proc = solvent(repo, "script", "bad.ipynb", "-o", "src/bad.py")
    assert_user_error(proc, "bad.ipynb", "not a Jupyter notebook")
    assert not (repo / "src").exists()


def test_a_notebook_in_a_folder_runs_there(tmp_path: Path) -> None:
    repo = _project(tmp_path / "repo")
    (repo / "work").mkdir()
    (repo / "work" / "data").mkdir()
    shutil.copy(repo / "data" / "raw.csv", repo / "work" / "data" / "raw.csv")
    write_notebook(repo / "work" / "prep.ipynb", PREP)
    solvent_ok(repo, "script", "work/prep.ipynb", "-o", "work/prep.py")
    spec = (repo / "solvent.yaml").read_text()
    assert "wdir: work" in spec and "cmd: python prep.py" in spec
    solvent_ok(repo, "repro", env=VENV)
    assert (repo / "work" / "data" / "clean.csv").is_file()


def test_force_converts_again_after_the_notebook_changed(tmp_path: Path) -> None:
    repo = _project(tmp_path / "repo")
    solvent_ok(repo, "script", "train.ipynb", "-o", "src/train.py")
    edited = [("parameters", TRAIN[0][1].replace("digits = 4", "digits = 2")), *TRAIN[1:]]
    write_notebook(repo / "train.ipynb", edited)
    proc = solvent(repo, "script", "train.ipynb", "-o", "src/train.py")
    assert_user_error(proc, "src/train.py exists")
    solvent_ok(repo, "script", "train.ipynb", "-o", "src/train.py", "--force")
    params = (repo / "params.yaml").read_text()
    assert params.startswith("# settings the team tunes\n") and "# kept as it was" in params
    assert "digits: 2" in params and "digits: 4" not in params
    assert "= 2," in (repo / "src" / "train.py").read_text()
    assert (repo / "solvent.yaml").read_text().count("train:") == 1
