"""A project DVC ran becomes a Solvent project without rerunning: stages whose deps, outs and
params match ``dvc.lock`` are up to date, and the first ``repro`` records them unrun."""

from __future__ import annotations

import json
from pathlib import Path

from tests.dvc.dvcrun import dvc, dvc_py, needs_dvc
from tests.helpers import commit_all, git, solvent_ok

pytestmark = needs_dvc

PIPELINE = """\
stages:
  prepare:
    cmd: mkdir -p out && cp data/raw.csv out/prep.csv && echo run >> prepare.log
    deps: [data/raw.csv]
    params: [seed]
    outs: [out]
  train:
    cmd: cat out/prep.csv > model.txt && echo 1 > metrics.json && echo run >> train.log
    deps: [out]
    params: [train]
    outs: [model.txt]
    metrics:
    - metrics.json:
        cache: false
"""


def dvc_project(root: Path) -> Path:
    """A two-stage DVC project, run by ``dvc repro`` and committed; each run of a stage
    appends a line to its ``.log``."""
    dvc(root, "init", "-q")
    (root / "data").mkdir()
    (root / "data" / "raw.csv").write_bytes(b"a,b\r\n1,2\r\n")
    (root / "params.yaml").write_text("train:\n  lr: 1e-05\n  epochs: 3\nseed: 7\n")
    (root / "dvc.yaml").write_text(PIPELINE)
    dvc(root, "add", "-q", "data/raw.csv")
    dvc(root, "repro", "-q")
    commit_all(root, "DVC project")
    return root


def runs(root: Path, stage: str) -> int:
    return len((root / f"{stage}.log").read_text().splitlines())


def test_up_to_date_dvc_stages_are_adopted_without_running(git_repo: Path) -> None:
    root = dvc_project(git_repo)
    solvent_ok(root, "init")
    status = solvent_ok(root, "status")
    assert "never run" not in status
    assert "up to date" in status
    out = solvent_ok(root, "repro")
    assert "adopted from dvc.lock" in out
    assert (runs(root, "prepare"), runs(root, "train")) == (1, 1)  # DVC's run only
    lock = (root / "solvent.lock").read_text()
    assert "prepare:" in lock and "train:" in lock
    assert "adopted" not in solvent_ok(root, "repro")  # recorded: solvent.lock answers now
    assert (runs(root, "prepare"), runs(root, "train")) == (1, 1)
    # The adopted outs are in Solvent's cache: a deleted out comes back without a run.
    (root / "model.txt").unlink()
    solvent_ok(root, "checkout", "train")
    assert (root / "model.txt").read_bytes() == b"a,b\r\n1,2\r\n"


def test_a_changed_param_or_dep_is_not_adopted(git_repo: Path) -> None:
    root = dvc_project(git_repo)
    solvent_ok(root, "init")
    (root / "params.yaml").write_text("train:\n  lr: 1e-05\n  epochs: 4\nseed: 7\n")
    status = solvent_ok(root, "status")
    assert "train: stale" in status
    assert "dvc.lock not adopted, param params.yaml:train.epochs is 4, dvc.lock has 3" in status
    assert "prepare" not in status
    out = solvent_ok(root, "repro")
    assert "train: running (never run: dvc.lock not adopted, param params.yaml:train.epochs" in out
    assert (runs(root, "prepare"), runs(root, "train")) == (1, 2)
    (root / "data" / "raw.csv").write_bytes(b"a,b\n3,4\n")  # before solvent.lock has prepare?
    solvent_ok(root, "repro")
    assert (runs(root, "prepare"), runs(root, "train")) == (2, 3)


def test_a_changed_out_is_not_adopted(git_repo: Path) -> None:
    root = dvc_project(git_repo)
    solvent_ok(root, "init")
    (root / "model.txt").write_text("edited by hand\n")
    solvent_ok(root, "repro")
    assert (runs(root, "prepare"), runs(root, "train")) == (1, 2)


_DVC2_HASHES = """
import json, yaml
from dvc_data.hashfile.hash import file_md5
from dvc_data.hashfile.hash_info import HashInfo
from dvc_data.hashfile.meta import Meta
from dvc_data.hashfile.tree import Tree
tree = Tree()
tree.add(("prep.csv",), Meta(size=10), HashInfo("md5-dos2unix", file_md5("out/prep.csv",
         name="md5-dos2unix")))
tree.digest()
print(json.dumps({file_md5("data/raw.csv"): file_md5("data/raw.csv", name="md5-dos2unix"),
                  yaml.safe_load(open("dvc.lock"))["stages"]["prepare"]["outs"][0]["md5"]:
                  tree.hash_info.value}))
"""


def test_dvc2_lock_entries_are_matched_with_dos2unix_md5(git_repo: Path) -> None:
    """A lock written by DVC 2 (no ``hash: md5``): its md5s are md5-dos2unix, as DVC's own
    code computes them for the file and the folder (CRLF counted as LF in text)."""
    root = dvc_project(git_repo)
    lock = (root / "dvc.lock").read_text().replace("      hash: md5\n", "")
    for plain, legacy in json.loads(dvc_py(root, _DVC2_HASHES)).items():
        assert plain != legacy
        lock = lock.replace(plain, legacy)
    (root / "dvc.lock").write_text(lock)
    solvent_ok(root, "init")
    out = solvent_ok(root, "repro", "prepare")
    assert "adopted from dvc.lock" in out, out
    assert runs(root, "prepare") == 1


def test_lineage_reaches_data_tracked_by_a_dvc_file(git_repo: Path) -> None:
    """An adopted run's raw dep is DVC data: lineage names the commit of its .dvc file."""
    root = dvc_project(git_repo)
    head = git(root, "rev-parse", "HEAD").strip()
    solvent_ok(root, "init")
    solvent_ok(root, "repro")
    out = solvent_ok(root, "lineage", "model.txt")
    assert "train" in out and "prepare" in out
    assert "data/raw.csv" in out and f"raw data, commit {head[:8]}" in out


def test_a_fresh_clone_checks_out_dvc_lock_outs_then_adopts_them(git_repo: Path) -> None:
    """As after 'git clone': no data, no DVC cache; checkout brings the .dvc data and the
    outs dvc.lock records from the DVC remote, and nothing reruns."""
    root = dvc_project(git_repo)
    store = root.parent / "dvcstore"
    dvc(root, "remote", "add", "-d", "store", str(store))
    dvc(root, "push", "-q")
    commit_all(root, "remote")
    clone = root.parent / "clone"
    git(root.parent, "clone", "-q", str(root), str(clone))
    assert not (clone / "model.txt").exists() and not (clone / "data" / "raw.csv").exists()
    solvent_ok(clone, "init")
    solvent_ok(clone, "checkout", "model.txt")  # an out by name: that out only
    assert (clone / "model.txt").exists() and not (clone / "out").exists()
    solvent_ok(clone, "checkout", "prepare")  # a stage by name: its outs
    assert (clone / "out" / "prep.csv").exists() and not (clone / "data" / "raw.csv").exists()
    solvent_ok(clone, "checkout")
    assert (clone / "model.txt").read_bytes() == b"a,b\r\n1,2\r\n"
    assert (clone / "out" / "prep.csv").read_bytes() == b"a,b\r\n1,2\r\n"
    assert (clone / "data" / "raw.csv").read_bytes() == b"a,b\r\n1,2\r\n"
    assert (clone / "metrics.json").read_text() == "1\n"  # cache: false: git keeps it
    assert "never run" not in solvent_ok(clone, "status")
    assert "adopted from dvc.lock" in solvent_ok(clone, "repro")
    assert (runs(clone, "prepare"), runs(clone, "train")) == (1, 1)


def test_a_dvc1_lock_adopts_nothing_and_says_why(git_repo: Path) -> None:
    """DVC 1's lock (no schema) cannot be compared: stages run, status and repro work."""
    root = dvc_project(git_repo)
    (root / "dvc.lock").write_text("prepare:\n  cmd: old\n")
    solvent_ok(root, "init")
    status = solvent_ok(root, "status")
    assert "never run: dvc.lock not adopted, dvc.lock: not a DVC 2/3 lock file" in status
    solvent_ok(root, "repro")
    assert (runs(root, "prepare"), runs(root, "train")) == (2, 2)
