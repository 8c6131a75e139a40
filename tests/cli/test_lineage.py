"""``solvent lineage``: three versions of the raw data, asked about both ways, at each commit."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.helpers import (
    assert_user_error,
    commit_all,
    disk_state,
    git,
    solvent,
    solvent_ok,
    write,
)

PY = sys.executable
SPEC = f"""\
stages:
  prepare:
    cmd: {PY} -c "open('prepared.txt','w').write(open('raw.txt').read().upper())"
    deps: [raw.txt]
    outs: [prepared.txt]
  train:
    cmd: {PY} -c "open('model.txt','w').write(open('prepared.txt').read()[::-1])"
    deps: [prepared.txt]
    params: [lr]
    outs: [model.txt]
  other:
    cmd: echo other > other.txt
    params: [lr]
    outs: [other.txt]
"""


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[dict[str, str]]]:
    """A repo whose raw data went through three versions, one commit each (built once)."""
    root = tmp_path_factory.mktemp("lineage") / "project"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    solvent_ok(root, "init")
    write(root / "solvent.yaml", SPEC)
    write(root / "params.yaml", "lr: 1\n")
    versions = []
    for v in (1, 2, 3):
        write(root / "raw.txt", f"raw data v{v}\n")
        solvent_ok(root, "add", "raw.txt")
        solvent_ok(root, "repro")
        commit_all(root, f"data v{v}")
        lock = yaml.safe_load((root / "solvent.lock").read_text())["stages"]
        pointer = yaml.safe_load((root / "raw.txt.solvent").read_text())
        versions.append({
            "commit": git(root, "rev-parse", "HEAD").strip(),
            "raw": pointer.get("id") or pointer["outs"][0]["id"],
            "model": lock["train"]["outs"][0]["id"],
            "prepared": lock["prepare"]["outs"][0]["id"],
        })  # fmt: skip
    return root, versions


def ask(root: Path, *args: str) -> dict[str, Any]:
    found = json.loads(solvent_ok(root, "lineage", "--json", *args))
    assert isinstance(found, dict)
    return found


def ids(found: dict[str, Any], path: str) -> set[str]:
    return {d["id"] for d in found["data"].values() if d["path"] == path}


def stages(found: dict[str, Any]) -> set[str]:
    return {r["stage"] for r in found["runs"].values()}


@pytest.mark.parametrize("v", [0, 1, 2])
def test_backward_finds_the_raw_data_and_commit_of_each_version(
    history: tuple[Path, list[dict[str, str]]], v: int
) -> None:
    root, versions = history
    want = versions[v]
    found = ask(root, f"model.txt@{want['commit']}")
    assert found["direction"] == "backward" and found["target"]["id"] == want["model"]
    assert stages(found) == {"prepare", "train"}
    assert ids(found, "prepared.txt") == {want["prepared"]}
    (raw,) = [d for d in found["data"].values() if d["path"] == "raw.txt"]
    assert raw == {**raw, "id": want["raw"], "role": "raw", "tracked_in": want["commit"]}
    (train,) = [r for r in found["runs"].values() if r["stage"] == "train"]
    assert train["params"] == {"params.yaml": {"lr": 1}}


@pytest.mark.parametrize("v", [0, 1, 2])
def test_forward_finds_exactly_what_each_version_went_into(
    history: tuple[Path, list[dict[str, str]]], v: int
) -> None:
    root, versions = history
    want = versions[v]
    found = ask(root, "--used-by", f"raw.txt@{want['commit']}")
    assert found["direction"] == "forward" and found["target"]["id"] == want["raw"]
    assert stages(found) == {"prepare", "train"}  # not 'other', which never read it
    assert ids(found, "model.txt") == {want["model"]}
    assert ids(found, "prepared.txt") == {want["prepared"]}


def test_without_a_revision_it_is_the_workspace_version(
    history: tuple[Path, list[dict[str, str]]],
) -> None:
    root, versions = history
    assert ask(root, "model.txt")["target"]["id"] == versions[2]["model"]
    assert ids(ask(root, "--used-by", "raw.txt"), "model.txt") == {versions[2]["model"]}
    text = solvent_ok(root, "lineage", "model.txt")
    assert "train  run" in text and "raw data, commit" in text
    assert versions[2]["commit"][:8] in text
    mermaid = solvent_ok(root, "lineage", "--mermaid", "model.txt")
    assert mermaid.startswith("flowchart LR\n") and "raw.txt<br/>" in mermaid


def test_a_version_nothing_used_is_an_empty_answer(
    history: tuple[Path, list[dict[str, str]]],
) -> None:
    root, _ = history
    assert "No recorded run used this version." in solvent_ok(root, "lineage", "--used-by",
                                                             "model.txt")  # fmt: skip


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["nope.txt"], "nope.txt does not exist in the workspace"),
        (["raw.txt"], "was not produced by any recorded run"),
        (["model.txt@no-such-rev"], "unknown git revision 'no-such-rev'"),
        (["model.txt@HEAD~2", "--used-by"], ""),  # a fine question: answered
        (["nope.txt@HEAD"], "nope.txt is not tracked at HEAD"),
        (["../outside.txt"], "outside"),
    ],
)
def test_bad_questions_are_user_errors_that_change_nothing(
    history: tuple[Path, list[dict[str, str]]], args: list[str], needle: str
) -> None:
    root, _ = history
    before = disk_state(root, with_state=False)
    proc = solvent(root, "lineage", *args)
    if needle:
        assert_user_error(proc, needle)
    else:
        assert proc.returncode == 0, proc.stderr
    assert disk_state(root, with_state=False) == before


def tracked_folder_and_stage(repo: Path, folder: str, stage: str) -> None:
    """``folder``/a.csv and b.csv tracked as one folder (data/), then a one-stage pipeline."""
    write(repo / folder / "a.csv", "x\n1\n")
    write(repo / folder / "b.csv", "x\n2\n")
    write(repo / "solvent.yaml", f"stages:\n  {stage}\n")
    solvent_ok(repo, "add", "data")
    solvent_ok(repo, "repro")


def test_a_file_inside_a_tracked_folder_is_raw_data_with_its_commit(repo: Path) -> None:
    stage = "count: {cmd: wc -l data/raw/a.csv > n.txt, deps: [data/raw/a.csv], outs: [n.txt]}"
    tracked_folder_and_stage(repo, "data/raw", stage)
    commit_all(repo, "v1")
    first = git(repo, "rev-parse", "HEAD").strip()
    write(repo / "data/raw/b.csv", "x\n3\n")  # the folder changes, a.csv does not
    solvent_ok(repo, "add", "data")
    commit_all(repo, "v2")
    found = ask(repo, "n.txt")
    (raw,) = [d for d in found["data"].values() if d["path"] == "data/raw/a.csv"]
    assert raw["role"] == "raw" and raw["tracked_in"] == first
    used = ask(repo, "--used-by", f"data/raw/a.csv@{first}")
    assert stages(used) == {"count"}


def test_files_inside_folders_that_stages_read_and_write(repo: Path) -> None:
    """A stage that reads data/ read data/a.csv; a file inside a produced folder was made by
    the stage that wrote the folder."""
    tracked_folder_and_stage(repo, "data", "split: {cmd: mkdir -p parts && cp data/* parts/, "
                                           "deps: [data], outs: [parts]}")  # fmt: skip
    used = ask(repo, "--used-by", "data/a.csv")
    assert stages(used) == {"split"} and ids(used, "parts")
    made = ask(repo, "parts/b.csv")
    assert stages(made) == {"split"} and ids(made, "data")
    write(repo / "data/a.csv", "changed\n")  # another version of a.csv: no run read it
    assert "No recorded run used this version." in solvent_ok(repo, "lineage", "--used-by",
                                                             "data/a.csv")  # fmt: skip
