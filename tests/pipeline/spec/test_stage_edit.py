"""``solvent freeze`` / ``unfreeze`` / ``remove STAGE``: one stage changed in the yaml, every
other byte kept; checked against DVC itself where it is installed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.dvc_cli import dvc_ok, dvc_repo, needs_dvc
from tests.helpers import assert_user_error, disk_state, git, solvent, solvent_ok, write

PY = sys.executable
PREPARE = f"{PY} -c \"open('clean.txt','w').write(open('raw.txt').read().upper())\""
TRAIN = f"{PY} -c \"open('model.txt','w').write('model of ' + open('clean.txt').read())\""
SPEC = f"""\
# The pipeline. Comments, blank lines and flow lists must survive every edit.
stages:
  # turn raw into clean
  prepare:
    cmd: {PREPARE}   # inline comment
    deps:
    - raw.txt
    outs: [clean.txt]

  # the model
  train:
    cmd: {TRAIN}
    deps: [clean.txt]
    outs:
      - model.txt   # the out

# trailing comment
"""


@pytest.fixture
def project(repo: Path) -> Path:
    write(repo / "solvent.yaml", SPEC)
    write(repo / "raw.txt", "raw")
    solvent_ok(repo, "repro")
    return repo


def test_freeze_adds_one_line_and_unfreeze_restores_every_byte(project: Path) -> None:
    assert solvent_ok(project, "freeze", "train") == "Stage 'train' is frozen (solvent.yaml).\n"
    text = (project / "solvent.yaml").read_text()
    assert text == SPEC.replace("      - model.txt   # the out\n",
                                "      - model.txt   # the out\n    frozen: true\n")  # fmt: skip
    assert "already frozen" in solvent_ok(project, "freeze", "train")
    solvent_ok(project, "unfreeze", "train")
    assert (project / "solvent.yaml").read_text() == SPEC
    assert "already not frozen" in solvent_ok(project, "unfreeze", "train")


def test_an_existing_frozen_false_is_flipped_in_place(repo: Path) -> None:
    text = SPEC.replace(
        "    outs: [clean.txt]\n", "    frozen: false  # for now\n    outs: [clean.txt]\n"
    )
    write(repo / "solvent.yaml", text)
    solvent_ok(repo, "freeze", "prepare")
    assert (repo / "solvent.yaml").read_text() == text.replace(
        "false  # for now", "true  # for now"
    )
    solvent_ok(repo, "unfreeze", "prepare")  # DVC writes no 'frozen: false': the key goes
    assert (repo / "solvent.yaml").read_text() == SPEC


def test_a_frozen_stage_is_not_run_until_unfrozen(project: Path) -> None:
    solvent_ok(project, "freeze", "train")
    write(project / "raw.txt", "raw, edited")
    out = solvent_ok(project, "repro")
    assert "prepare: done" in out.replace("✓ ", "") and "train: frozen" in out
    assert (project / "model.txt").read_text() == "model of RAW"
    solvent_ok(project, "unfreeze", "train")
    solvent_ok(project, "repro")
    assert (project / "model.txt").read_text() == "model of RAW, EDITED"


def test_a_flow_style_stage_is_frozen_through_the_round_trip(repo: Path) -> None:
    write(repo / "solvent.yaml", "stages:\n  hello: {cmd: echo hi}  # greet\n")
    solvent_ok(repo, "freeze", "hello")
    from solvent.pipeline.spec.load import load_pipeline

    pipeline = load_pipeline(repo)
    assert pipeline is not None and pipeline.stage("hello").frozen


def test_unknown_stage_and_foreach_item_are_refused_with_nothing_changed(repo: Path) -> None:
    write(
        repo / "solvent.yaml",
        SPEC + "  sweep:\n    foreach: [1, 2]\n    do:\n      cmd: echo ${item}\n",
    )
    solvent_ok(repo, "status")  # the repo lock file exists from here on
    before = disk_state(repo)
    assert_user_error(solvent(repo, "freeze", "trian"), "no stage 'trian'")
    assert_user_error(solvent(repo, "freeze", "sweep@1"), "one item of 'sweep'")
    assert_user_error(solvent(repo, "freeze", "sweep"), "foreach group")
    assert solvent(repo, "freeze", "trian").returncode == 2
    assert disk_state(repo) == before


def test_remove_takes_the_stage_out_of_yaml_lock_and_gitignore(project: Path) -> None:
    out = solvent_ok(project, "remove", "train")
    assert out == "Removed stage 'train' from solvent.yaml\n"
    assert (project / "solvent.yaml").read_text() == SPEC.split("  # the model\n")[0].rstrip(
        "\n"
    ) + "\n\n# trailing comment\n"
    assert "train" not in (project / "solvent.lock").read_text()
    assert (project / ".gitignore").read_text() == "/clean.txt\n"
    assert (project / "model.txt").exists()  # outs stay without --outs
    assert solvent_ok(project, "status") == "Data and pipelines are up to date.\n"
    solvent_ok(project, "remove", "prepare", "--outs")
    assert not (project / "solvent.yaml").exists()  # nothing left: the file goes, as in DVC
    assert not (project / "solvent.lock").exists()
    assert not (project / "clean.txt").exists() and not (project / ".gitignore").exists()


@needs_dvc
def test_freeze_and_remove_agree_with_dvc(tmp_path: Path) -> None:
    """Same project: the same stages frozen in the yaml, the same stages skipped by repro,
    the same files left after remove."""
    ours, theirs = tmp_path / "ours", dvc_repo(tmp_path / "theirs")
    ours.mkdir()
    git(ours, "init", "-q", "-b", "main")
    solvent_ok(ours, "init")
    for root, name in ((ours, "solvent.yaml"), (theirs, "dvc.yaml")):
        write(root / name, SPEC)
        write(root / "raw.txt", "raw")
    solvent_ok(ours, "repro")
    dvc_ok(theirs, "repro", "-q")
    solvent_ok(ours, "freeze", "train")
    dvc_ok(theirs, "freeze", "train")
    from solvent.pipeline.spec.load import load_pipeline

    for root in (ours, theirs):
        pipeline = load_pipeline(root)
        assert pipeline is not None
        assert {s.name: s.frozen for s in pipeline.stages} == {"prepare": False, "train": True}
        write(root / "raw.txt", "raw, edited")
    solvent_ok(ours, "repro")
    dvc_ok(theirs, "repro", "-q")
    for root in (ours, theirs):
        assert (root / "clean.txt").read_text() == "RAW, EDITED"
        assert (root / "model.txt").read_text() == "model of RAW"
    solvent_ok(ours, "unfreeze", "train")
    dvc_ok(theirs, "unfreeze", "train")
    assert "frozen" not in (theirs / "dvc.yaml").read_text()
    assert "frozen" not in (ours / "solvent.yaml").read_text()
    solvent_ok(ours, "remove", "train", "--outs")
    dvc_ok(theirs, "remove", "train", "--outs")
    for root in (ours, theirs):
        assert not (root / "model.txt").exists() and (root / "clean.txt").exists()
        assert (root / ".gitignore").read_text() == "/clean.txt\n"
