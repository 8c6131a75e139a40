"""``solvent stage add`` through the real command line, in a real git repo."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.helpers import DiskState, assert_user_error, disk_state, solvent, solvent_ok, write

REPO_ROOT = Path(__file__).resolve().parents[2]

PIPELINE = """\
# Our pipeline: comments, blank lines and quoting are the team's, keep them.
stages:
    prepare:   # runs in seconds
        cmd: 'python prepare.py'
        deps:
          - data/raw.csv
        outs:
          - data/clean.csv

    # The model; see docs/model.md
    train:
        cmd: python train.py --lr ${train.lr}
        deps: [data/clean.csv]
        params: [train.lr]
        outs:
          - model.pkl

# Below: not stages.
plots:
  - "model.pkl"
"""


def files(root: Path) -> DiskState:
    """Everything on disk but the repo lock: an empty, git-ignored file the first command
    that writes creates, refused input or not."""
    return {k: v for k, v in disk_state(root).items() if k != ".solvent/lock"}


def load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text())


@pytest.fixture
def project(repo: Path) -> Path:
    write(repo / "solvent.yaml", PIPELINE)
    write(repo / "params.yaml", "train:\n  lr: 0.1\n")
    return repo


def test_the_command_after_double_dash_is_passed_through_untouched(repo: Path) -> None:
    solvent_ok(repo, "stage", "add", "-n", "train", "-d", "a", "-o", "b", "--",
               "python", "train.py", "--lr", "0.1")  # fmt: skip
    assert (repo / "solvent.yaml").read_text() == textwrap.dedent("""\
        stages:
          train:
            cmd: python train.py --lr 0.1
            deps:
            - a
            outs:
            - b
        """)


def test_our_own_flags_after_double_dash_belong_to_the_command(repo: Path) -> None:
    solvent_ok(repo, "stage", "add", "-n", "t", "-o", "b", "--", "python", "t.py", "-n", "5",
               "-o", "x", "-d", "y", "--force", "--help", "--", "z")  # fmt: skip
    assert load(repo / "solvent.yaml")["stages"]["t"] == {
        "cmd": "python t.py -n 5 -o x -d y --force --help -- z",
        "outs": ["b"],
    }


def test_without_double_dash_the_command_starts_at_its_first_word(repo: Path) -> None:
    # As in DVC: options are read until the first word of the command, the rest is the command.
    solvent_ok(repo, "stage", "add", "-n", "t", "-d", "a", "python", "t.py", "--lr", "0.1",
               "--msg", "hello world")  # fmt: skip
    assert load(repo / "solvent.yaml")["stages"]["t"] == {
        "cmd": 'python t.py --lr 0.1 --msg "hello world"',
        "deps": ["a"],
    }


def test_adding_to_a_commented_file_keeps_the_rest_byte_for_byte(project: Path) -> None:
    out = solvent_ok(project, "stage", "add", "-n", "evaluate", "-d", "model.pkl",
                     "-M", "metrics.json", "--", "python", "evaluate.py")  # fmt: skip
    assert "Added stage 'evaluate' in solvent.yaml:18" in out
    head, tail = PIPELINE.split("\n# Below: not stages.\n")
    assert (project / "solvent.yaml").read_text() == head + "\n" + textwrap.indent(
        textwrap.dedent("""\
            evaluate:
                cmd: python evaluate.py
                deps:
                  - model.pkl
                metrics:
                  - metrics.json:
                        cache: false
            """),
        "    ",
    ) + "\n# Below: not stages.\n" + tail  # fmt: skip


def test_force_replaces_the_stage_in_place(project: Path) -> None:
    args = ["stage", "add", "-n", "prepare", "-d", "data/raw.csv", "-o", "data/clean.csv",
            "--", "python", "prepare.py", "--fast"]  # fmt: skip
    before = files(project)
    assert_user_error(solvent(project, *args), "stage 'prepare' already exists in solvent.yaml:3")
    assert files(project) == before
    out = solvent_ok(project, "stage", "add", "--force", *args[2:])
    assert "Replaced stage 'prepare' in solvent.yaml:3" in out
    start, end = PIPELINE.index("    prepare:"), PIPELINE.index("\n    # The model")
    assert (project / "solvent.yaml").read_text() == (
        PIPELINE[:start]
        + "    prepare:\n"
        + "        cmd: python prepare.py --fast\n"
        + "        deps:\n          - data/raw.csv\n"
        + "        outs:\n          - data/clean.csv\n"
        + PIPELINE[end:]
    )


def test_a_repo_with_only_dvc_yaml_gets_the_stage_there(repo: Path) -> None:
    write(repo / "dvc.yaml", "stages:\n  a:\n    cmd: echo a\n")
    out = solvent_ok(repo, "stage", "add", "-n", "b", "-d", "x", "--", "echo", "b")
    assert "in dvc.yaml:4" in out
    assert list(load(repo / "dvc.yaml")["stages"]) == ["a", "b"]
    assert not (repo / "solvent.yaml").exists()


def test_from_a_subfolder_the_stage_runs_there(repo: Path) -> None:
    (repo / "src").mkdir()
    solvent_ok(repo / "src", "stage", "add", "-n", "t", "-d", "../data.csv", "-d", "t.py",
               "-o", "out.txt", "--", "python", "t.py")  # fmt: skip
    assert load(repo / "solvent.yaml")["stages"]["t"] == {
        "cmd": "python t.py",
        "wdir": "src",
        "deps": ["../data.csv", "t.py"],
        "outs": ["out.txt"],
    }


def test_the_added_stage_runs_with_repro(repo: Path) -> None:
    write(repo / "params.yaml", "greeting: hello\n")
    script = "import sys; open('out.txt', 'w').write(sys.argv[1])"
    solvent_ok(repo, "stage", "add", "-n", "hello", "-p", "greeting", "-o", "out.txt", "--",
               sys.executable, "-c", script, "${greeting}")  # fmt: skip
    solvent_ok(repo, "repro")
    assert (repo / "out.txt").read_text() == "hello"


BAD: dict[str, tuple[list[str], str]] = {
    "a name with a dot": (["-n", "a.b", "--", "x"], "invalid stage name 'a.b'"),
    "a name with '@'": (["-n", "a@1", "--", "x"], "contains '@'"),
    "no command": (["-n", "t", "-d", "a"], "no command given"),
    "a dep outside the repo": (["-n", "t", "-d", "../x", "--", "x"], "leaves the repo"),
    "an absolute out outside": (["-n", "t", "-o", "/tmp/x", "--", "x"], "outside the repo"),
    "an out in .solvent": (["-n", "t", "-o", ".solvent/x", "--", "x"], "own folder"),
    "a missing wdir": (["-n", "t", "-w", "nope", "--", "x"], "-w nope: no such folder"),
    "a path twice": (["-n", "t", "-d", "a", "-o", "a", "--", "x"], "already given as dep"),
    "an existing stage": (["-n", "train", "--", "x"], "stage 'train' already exists"),
    "an out another stage writes": (
        ["-n", "t", "-o", "model.pkl", "--", "x"],
        "stage 't' not added: stages 'train' and 't' both write model.pkl",
    ),
    "a cycle": (
        ["-n", "t", "-d", "model.pkl", "-o", "data/raw.csv", "--", "x"],
        "stage 't' not added: the stages form a cycle",
    ),
    "an unknown variable": (["-n", "t", "--", "echo", "${nope}"], "stage 't' not added"),
    "an empty -p": (["-n", "t", "-p", ",", "--", "x"], "names no parameter"),
}


@pytest.mark.parametrize("case", BAD)
def test_bad_input_leaves_every_file_as_it_was(project: Path, case: str) -> None:
    args, needle = BAD[case]
    before = files(project)
    assert_user_error(solvent(project, "stage", "add", *args), needle)
    assert files(project) == before


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("stages:\n  a: [\n", "solvent.yaml:"),
        ("stages:\n  a:\n    cmd: a\n    depz: [x]\n", "solvent.yaml:4: stage 'a': unknown key"),
    ],
)
def test_a_broken_file_is_reported_not_rewritten(repo: Path, text: str, needle: str) -> None:
    write(repo / "solvent.yaml", text)
    before = files(repo)
    assert_user_error(solvent(repo, "stage", "add", "-n", "t", "--", "x"), needle)
    assert files(repo) == before


# -- the same stage as DVC writes it ----------------------------------------------------------


def dvc_python() -> Path | None:
    configured = os.environ.get("SOLVENT_DVC_PYTHON")
    if configured:
        return Path(configured)
    candidate = REPO_ROOT / "bench" / ".venv-dvc" / "bin" / "python"
    return candidate if candidate.exists() else None


DVC_CASES: dict[str, tuple[list[str], list[str]]] = {  # options, command
    "every flag": (
        ["-n", "train", "-d", "train.py", "-d", "data/clean.csv", "-p", "train.lr,train.epochs",
         "-p", "other.yaml:x", "-p", "whole.yaml:", "-o", "model.pkl", "-O", "log.txt",
         "--outs-persist", "ckpt", "--outs-persist-no-cache", "tmp", "-m", "m.json",
         "-M", "m2.json", "--plots", "p.csv", "--plots-no-cache", "p2.csv", "--always-changed",
         "--desc", "Fit it"],
        ["python", "train.py", "--msg", "hello world", ""],
    ),
    "a wdir": (["-n", "sub", "-w", "sub", "-d", "../data/clean.csv", "-o", "out"],
               ["python", "a.py"]),
    "one string": (["-n", "one", "-o", "o.txt"], ["echo hi > o.txt"]),
}  # fmt: skip


@pytest.mark.skipif(dvc_python() is None, reason="no DVC: set SOLVENT_DVC_PYTHON")
@pytest.mark.parametrize("case", DVC_CASES)
def test_the_stage_is_the_one_dvc_stage_add_writes(tmp_path: Path, repo: Path, case: str) -> None:
    options, command = DVC_CASES[case]
    dvc = tmp_path / "dvc-project"
    for root in (dvc, repo):
        write(root / "dvc.yaml", "stages:\n  first:\n    cmd: echo first\n")
        (root / "sub").mkdir(parents=True)
    python = dvc_python()
    assert python is not None
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    # DVC keeps a '--' in the cmd, so it gets the command without one.
    for dvc_args in (["init", "--no-scm", "-q"], ["stage", "add", "-q", *options, *command]):
        subprocess.run([str(python), "-m", "dvc", *dvc_args], cwd=dvc, env=env, check=True)
    solvent_ok(repo, "stage", "add", *options, "--", *command)
    assert load(repo / "dvc.yaml") == load(dvc / "dvc.yaml")
