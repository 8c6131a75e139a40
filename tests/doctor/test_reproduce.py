"""``doctor --reproduce``: stages rerun on their locked inputs in a scratch workspace; an out
that comes out different is a finding, the verdicts outlive the run, and the user's workspace
and lock are never touched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import assert_user_error, commit_all, disk_state, git, solvent, solvent_ok, write

SPEC = """\
stages:
  prepare:
    cmd: python prepare.py
    deps: [prepare.py]
    outs: [data.txt]
  noisy:
    cmd: python noisy.py
    deps: [noisy.py, data.txt]
    outs: [noisy.txt, fixed.txt]
  steady:
    cmd: python steady.py
    deps: [steady.py, data.txt]
    outs: [steady.txt]
    metrics:
      - score.json:
          cache: false
"""

PREPARE = "open('data.txt', 'w').write('\\n'.join(str(i) for i in range(100)))\n"
NOISY = """\
import random
open('noisy.txt', 'w').write(str(random.random()))
open('fixed.txt', 'w').write('the same every time')
"""
STEADY = """\
import json
rows = open('data.txt').read().split()
open('steady.txt', 'w').write(str(sum(map(int, rows))))
json.dump({'total': len(rows)}, open('score.json', 'w'))
"""


@pytest.fixture
def project(repo: Path) -> Path:
    write(repo / "solvent.yaml", SPEC)
    for name, text in (("prepare", PREPARE), ("noisy", NOISY), ("steady", STEADY)):
        write(repo / f"{name}.py", text)
    commit_all(repo, "three stages")
    solvent_ok(repo, "repro")
    commit_all(repo, "reproduced")
    return repo


def _doctor(root: Path, *args: str) -> dict[str, object]:
    proc = solvent(root, "doctor", "--json", *args)
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, object] = json.loads(proc.stdout)
    return doc


def _nondeterministic(doc: dict[str, object]) -> list[dict[str, object]]:
    findings = doc["findings"]
    assert isinstance(findings, list)
    return [f for f in findings if f["code"] == "nondeterministic-out"]


def _workspace(root: Path) -> dict[str, tuple[object, ...]]:
    return {k: v for k, v in disk_state(root).items() if not k.startswith(".solvent")}


def test_a_random_out_is_a_finding_and_a_deterministic_one_is_not(project: Path) -> None:
    before = _workspace(project)

    doc = _doctor(project, "--reproduce", "-s", "noisy", "-s", "steady")
    (found,) = _nondeterministic(doc)
    verdicts = doc["reproduce"]
    assert isinstance(verdicts, list)
    assert [(v["stage"], v["verdict"]) for v in verdicts] == [
        ("noisy", "differs"), ("steady", "reproducible")]  # fmt: skip

    assert found["stage"] == "noisy"
    assert (found["severity"], found["category"]) == ("error", "reproducibility")
    assert (found["file"], found["line"]) == ("solvent.yaml", 6)
    ids = found["ids"]
    assert isinstance(ids, dict) and list(ids) == ["noisy.txt"]
    old, arrow, new = ids["noisy.txt"].partition(" → ")
    assert arrow and old.startswith("blake3:") and new.startswith("blake3:") and old != new
    assert old in (project / "solvent.lock").read_text()
    assert "seed" in str(found["fix"])
    # The user's files and lock are as they were; the scratch workspace is gone.
    assert _workspace(project) == before
    doctor_dir = project / ".solvent" / "doctor"
    assert sorted(p.name for p in doctor_dir.iterdir()) == ["reproduce.json", "reproduce.log"]
    assert "/doctor/" in (project / ".solvent" / ".gitignore").read_text().splitlines()
    assert "nothing to commit" in git(project, "status")


def test_verdicts_are_kept_for_a_later_plain_doctor(project: Path) -> None:
    solvent_ok(project, "doctor", "--reproduce", "-s", "noisy", "-s", "steady")
    record = json.loads((project / ".solvent" / "doctor" / "reproduce.json").read_text())
    verdicts = {name: v["verdict"] for name, v in record["stages"].items()}
    assert verdicts == {"noisy": "differs", "steady": "reproducible"}
    assert (
        record["stages"]["steady"]["outs"]["score.json"]["rerun"]
        == (record["stages"]["steady"]["outs"]["score.json"]["locked"])
    )
    # A plain doctor still reports it, until the stage runs again and the lock moves on.
    assert [f["stage"] for f in _nondeterministic(_doctor(project))] == ["noisy"]
    solvent_ok(project, "repro", "--force", "noisy")
    assert _nondeterministic(_doctor(project)) == []


def test_each_stage_reruns_on_the_locked_inputs_not_on_a_rerun_upstream(project: Path) -> None:
    """prepare is deterministic, so steady still compares after prepare reran; and the
    text report names each stage's verdict."""
    out = solvent_ok(project, "doctor", "--reproduce", "-s", "prepare", "-s", "steady")
    assert "prepare reproducible" in out and "steady reproducible" in out
    record = json.loads((project / ".solvent" / "doctor" / "reproduce.json").read_text())
    assert {v["verdict"] for v in record["stages"].values()} == {"reproducible"}


def test_edited_code_is_not_compared(project: Path) -> None:
    write(project / "steady.py", STEADY + "print('edited')\n")
    out = solvent_ok(project, "doctor", "--reproduce", "-s", "steady")
    assert "steady not compared: its inputs differ from the lock (dep steady.py)" in out
    assert _nondeterministic(_doctor(project)) == []


def test_the_default_is_the_model_stages(project: Path) -> None:
    write(project / "solvent.yaml", SPEC.replace("  noisy:\n", "  noisy:\n    type: model\n"))
    commit_all(project, "noisy is a model")
    out = solvent_ok(project, "doctor", "--reproduce")
    assert "noisy differs" in out and "steady" not in out.split("Rerun on locked inputs")[1][:80]


def test_mistakes_name_the_fix(project: Path) -> None:
    assert_user_error(solvent(project, "doctor", "--reproduce"), "no locked model stage")
    assert_user_error(solvent(project, "doctor", "--reproduce", "-s", "nope"), "no stage 'nope'")
    assert_user_error(solvent(project, "doctor", "-s", "noisy"), "--stage")
    assert not (project / ".solvent" / "doctor").exists()


def test_a_reproduced_model_counts_for_the_ml_test_score(project: Path) -> None:
    write(project / "solvent.yaml", SPEC.replace("  steady:\n", "  steady:\n    type: model\n"))
    commit_all(project, "steady is a model")
    infra = _tests(_doctor(project))["infra 1"]
    assert infra["status"] == "missing" and "doctor --reproduce" in infra["evidence"]
    infra = _tests(_doctor(project, "--reproduce"))["infra 1"]
    assert infra["status"] == "in place" and "steady reran identically" in infra["evidence"]


def _tests(doc: dict[str, object]) -> dict[str, dict[str, object]]:
    score = doc["score"]
    assert isinstance(score, dict)
    return {f"{s['key']} {t['number']}": t for s in score["sections"] for t in s["tests"]}
