"""Outs and added data are kept out of git with a ``/name`` entry beside them, unless git
already ignores them: a DVC project whose .gitignore files cover every out is left as it is
(``dvc repro`` changes none of them either)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dvc.dvcrun import dvc_python
from tests.helpers import commit_all, git, solvent_ok, write

PY = sys.executable


def _writes(path: str) -> str:
    return f"{PY} -c \"import os; os.makedirs(os.path.dirname('{path}') or '.', exist_ok=True); open('{path}', 'w').write('x')\""  # noqa: E501


# What DVC left behind: a root rule for models, a folder ignored whole, its own entry in
# data/.gitignore. ``features`` writes the one out nothing ignores yet.
SPEC = f"""\
stages:
  prepare:
    cmd: {_writes("data/prepared.csv")}
    outs: [data/prepared.csv]
  train:
    cmd: {_writes("model.pkl")}
    deps: [data/prepared.csv]
    outs: [model.pkl]
  evaluate:
    cmd: {_writes("eval/report.json")}
    deps: [model.pkl]
    outs: [eval/report.json]
  features:
    cmd: {_writes("features.csv")}
    outs: [features.csv]
"""
IGNORES = {".gitignore": "*.pkl\n/eval/\n", "data/.gitignore": "/prepared.csv\n"}


@pytest.fixture
def dvc_shaped(repo: Path) -> Path:
    write(repo / "dvc.yaml", SPEC)
    for name, text in IGNORES.items():
        write(repo / name, text)
    commit_all(repo, "a DVC project")
    return repo


def _gitignores(root: Path) -> dict[str, str]:
    found = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in (".git", ".solvent", ".dvc")]
        if ".gitignore" in files:
            path = Path(folder) / ".gitignore"
            found[str(path.relative_to(root))] = path.read_text()
    return found


def test_repro_adds_no_entry_for_outs_git_already_ignores(dvc_shaped: Path) -> None:
    solvent_ok(dvc_shaped, "repro")
    assert _gitignores(dvc_shaped) == {
        ".gitignore": "*.pkl\n/eval/\n/features.csv\n",  # only the out nothing ignored
        "data/.gitignore": "/prepared.csv\n",
    }
    solvent_ok(dvc_shaped, "repro", "--force")
    assert _gitignores(dvc_shaped)[".gitignore"] == "*.pkl\n/eval/\n/features.csv\n"
    assert git(dvc_shaped, "status", "--porcelain") == " M .gitignore\n?? solvent.lock\n"


@pytest.mark.skipif(
    dvc_python() is None, reason="no DVC: set SOLVENT_DVC_PYTHON or create bench/.venv-dvc"
)
def test_dvc_itself_changes_the_same_gitignores(dvc_shaped: Path, tmp_path: Path) -> None:
    """The oracle: on a copy, ``dvc repro`` leaves the covered outs' .gitignore files alone
    and adds the one entry we add."""
    python = dvc_python()
    copy = tmp_path / "dvc-copy"
    shutil.copytree(dvc_shaped, copy, ignore=shutil.ignore_patterns(".solvent"))
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    for args in (["init", "-q"], ["repro", "-q"]):
        subprocess.run([str(python), "-m", "dvc", *args], cwd=copy, env=env, check=True)
    solvent_ok(dvc_shaped, "repro")
    theirs = {k: v for k, v in _gitignores(copy).items() if not k.startswith(".dvc")}
    assert theirs == _gitignores(dvc_shaped)


def test_add_of_ignored_data_writes_no_entry(repo: Path) -> None:
    write(repo / ".gitignore", "/raw/\n")
    write(repo / "raw" / "a.csv", "a\n")
    write(repo / "other.csv", "b\n")
    solvent_ok(repo, "add", "raw", "other.csv")
    assert (repo / ".gitignore").read_text() == "/raw/\n/other.csv\n"


def test_a_name_with_pattern_characters_is_escaped(repo: Path) -> None:
    write(repo / "a[1]*.csv", "a\n")
    write(repo / "a1x.csv", "keep me visible\n")
    solvent_ok(repo, "add", "a[1]*.csv")
    assert (repo / ".gitignore").read_text() == "/a\\[1\\]\\*.csv\n"
    assert git(repo, "status", "--porcelain", "--untracked-files=all").splitlines() == [
        "?? .gitignore",
        "?? a1x.csv",
        "?? a[1]*.csv.solvent",
    ]
