"""``solvent dag`` on a real repo: a six-stage pipeline run with real commands."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import assert_user_error, solvent, solvent_ok

PIPELINE = """\
stages:
  prepare:
    cmd: mkdir -p data/prepared && head -n 3 data/raw.csv > data/prepared/train.csv
      && tail -n 1 data/raw.csv > data/prepared/test.csv
    deps: [data/raw.csv]
    outs: [data/prepared]
  featurize:
    cmd: cp data/prepared/train.csv data/features.csv
    deps: [data/prepared]
    outs: [data/features.csv]
  train:
    foreach: [0.1, 0.01]
    do:
      cmd: mkdir -p models && echo lr=${item} > models/lr-${item}.txt
      deps: [data/features.csv]
      outs: ['models/lr-${item}.txt']
  evaluate:
    cmd: cat models/lr-0.1.txt models/lr-0.01.txt data/prepared/test.csv > metrics.json
    deps: [models/lr-0.1.txt, models/lr-0.01.txt, data/prepared/test.csv]
    metrics: [metrics.json]
  export:
    cmd: cp data/raw.csv legacy.csv
    deps: [data/raw.csv]
    outs: [legacy.csv]
    frozen: true
"""
STAGES = ["prepare", "featurize", "train@0.1", "train@0.01", "evaluate", "export"]


def dag(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return solvent(cwd, "dag", *args)


def dag_ok(cwd: Path, *args: str) -> str:
    proc = dag(cwd, *args)
    assert proc.returncode == 0, f"solvent dag {' '.join(args)}: {proc.stdout}{proc.stderr}"
    return proc.stdout


@pytest.fixture
def project(repo: Path) -> Path:
    (repo / "data").mkdir()
    (repo / "data" / "raw.csv").write_text("a\nb\nc\nd\n")
    (repo / "solvent.yaml").write_text(PIPELINE)
    return repo


def states(text: str) -> dict[str, str]:
    """stage → the state word in the text drawing."""
    found = {}
    for line in text.splitlines():
        for name in STAGES:
            if f" {name} " in line:
                found[name] = line.split(f" {name} ", 1)[1].strip().split(":")[0][2:]
    return found


def test_text_before_anything_ran(project: Path) -> None:
    out = dag_ok(project)
    assert states(out) == {
        "prepare": "stale",
        "featurize": "stale",
        "train@0.1": "stale",
        "train@0.01": "stale",
        "evaluate": "stale",
        "export": "frozen",
    }
    assert out == (
        "●      prepare     ! stale: never run\n"
        "│\n"
        "├─●    featurize   ! stale: never run (+1 more)\n"
        "│ │\n"
        "│ ├─●  train@0.1   ! stale: never run (+1 more)\n"
        "│ │ │\n"
        "│ ● │  train@0.01  ! stale: never run (+1 more)\n"
        "│ │ │\n"
        "●─┴─╯  evaluate    ! stale: never run (+3 more)\n"
        "\n"
        "●      export      ❄ frozen\n"
    )


def test_text_after_repro_and_a_failure(project: Path) -> None:
    solvent_ok(project, "repro")
    assert set(states(dag_ok(project)).values()) == {"up to date", "frozen"}
    spec = (project / "solvent.yaml").read_text()
    (project / "solvent.yaml").write_text(spec.replace("mkdir -p models &&", "false &&"))
    (project / "data" / "raw.csv").write_text("a\nb\nc\nd\ne\n")
    assert solvent_ok(project, "status")  # stale now
    proc = subprocess.run(
        [sys.executable, "-m", "solvent", "repro", "--keep-going"],
        cwd=project, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    found = states(dag_ok(project))
    assert found["prepare"] == "up to date"
    assert found["train@0.1"] == found["train@0.01"] == "failed"
    assert found["evaluate"] == "stale"
    assert found["export"] == "frozen"


def test_targets_draw_their_upstream_only(project: Path) -> None:
    out = dag_ok(project, "train@0.1")
    assert set(states(out)) == {"prepare", "featurize", "train@0.1"}
    assert set(states(dag_ok(project, "train@*"))) == {"prepare", "featurize", "train@0.1",
                                                       "train@0.01"}  # fmt: skip


def test_mermaid_and_dot(project: Path) -> None:
    mermaid = dag_ok(project, "--mermaid")
    assert mermaid.startswith("flowchart TD\n")
    assert 's_train_0_1["train@0.1"]' in mermaid and "s_featurize --> s_train_0_1" in mermaid
    assert "class s_export frozen" in mermaid
    dot = dag_ok(project, "--dot")
    assert dot.startswith("digraph pipeline {")
    assert '"featurize" -> "train@0.01";' in dot


def test_outs_draws_files(project: Path) -> None:
    out = dag_ok(project, "--outs")
    assert out.splitlines()[0].startswith("○")
    for path in ("data/raw.csv", "data/prepared", "models/lr-0.1.txt", "metrics.json"):
        assert path in out
    assert "prepare " not in out
    dot = dag_ok(project, "--outs", "--dot")
    assert '"data/prepared" -> "metrics.json" [label="evaluate"];' in dot


def test_html_file_is_written_and_its_path_printed(project: Path) -> None:
    (project / "site").mkdir()
    assert dag_ok(project, "--html", "site/dag.html") == "site/dag.html\n"
    page = (project / "site" / "dag.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert page.count('class="node state-') == len(STAGES)
    assert sorted(p.name for p in (project / "site").iterdir()) == ["dag.html"]  # no temp file


def test_html_dash_prints_the_page(project: Path) -> None:
    out = dag_ok(project, "--html", "-", "--outs")
    assert out.startswith("<!DOCTYPE html>") and "Pipeline files" in out
    assert not list(project.glob("*.html"))


def test_json(project: Path) -> None:
    import json

    doc = json.loads(dag_ok(project, "--json"))
    assert [n["id"] for n in doc["nodes"]] == STAGES
    assert {"source": "prepare", "target": "featurize", "label": None} in doc["links"]


def test_no_pipeline_is_a_clear_error(repo: Path) -> None:
    assert_user_error(dag(repo), "no solvent.yaml or dvc.yaml")


def test_one_format_at_a_time(project: Path) -> None:
    assert_user_error(dag(project, "--mermaid", "--dot"), "--mermaid and --dot")


def test_unknown_target(project: Path) -> None:
    assert_user_error(dag(project, "trian@0.1"), "no stage or out named 'trian@0.1'")


def test_html_into_a_missing_folder(project: Path) -> None:
    assert_user_error(dag(project, "--html", "nowhere/dag.html"), "no folder nowhere")
