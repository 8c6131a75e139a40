"""The ML Test Score (Breck et al. 2017) from what a project shows: the debt project scores
low, and each test put in place raises its section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from solvent.doctor.mltestscore import RUBRIC, SECTIONS, meaning
from tests.doctor.debt_project import make_debt_project
from tests.helpers import commit_all, solvent, solvent_ok

CI = """\
name: pipeline
on: [push]
jobs:
  repro:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: pip install solvent && solvent pull && solvent repro
"""


def reproduced_debt_project(root: Path) -> Path:
    """The debt project, initialised, reproduced and committed."""
    return make_debt_project(root)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return reproduced_debt_project(tmp_path_factory.mktemp("score") / "project")


def _score(root: Path) -> dict[str, Any]:
    proc = solvent(root, "doctor", "--json")
    assert proc.returncode == 0, proc.stderr
    score: dict[str, Any] = json.loads(proc.stdout)["score"]
    return score


def _tests(score: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{s['key']} {t['number']}": t for s in score["sections"] for t in s["tests"]}


def _points(score: dict[str, Any]) -> dict[str, float]:
    return {s["key"]: s["points"] for s in score["sections"]}


def test_the_rubric_is_the_papers_four_sections_of_seven() -> None:
    for key, _, _ in SECTIONS:
        assert [n for s, n, _, _ in RUBRIC if s == key] == list(range(1, 8))
    assert meaning(0).startswith("more of a research project")
    assert meaning(2.5).startswith("reasonably tested") and meaning(6).startswith("exceptional")


def test_the_debt_project_scores_low_and_a_schema_and_ci_raise_it(project: Path) -> None:
    before = _score(project)
    tests = _tests(before)
    assert before["final"] == 0 and before["meaning"].startswith("more of a research project")
    assert _points(before) == {"data": 0, "model": 1, "infra": 1, "monitor": 0}
    assert tests["model 1"]["status"] == "in place"  # code committed, outs made from it
    assert tests["infra 7"]["status"] == "in place"  # models cached, ids in the committed lock
    assert "models/a.pkl" in tests["infra 7"]["evidence"]
    for missing in ("data 1", "data 2", "model 3", "infra 1", "infra 2", "infra 3", "monitor 1"):
        assert tests[missing]["status"] == "missing", missing
    assert "train_a, train_b" in tests["data 1"]["evidence"]
    assert "doctor --reproduce" in tests["infra 1"]["evidence"]
    for invisible in ("data 5", "infra 6", "monitor 4"):
        assert tests[invisible]["status"] == "not visible" and tests[invisible]["points"] == 0

    spec = (project / "solvent.yaml").read_text()
    (project / "solvent.yaml").write_text(spec.replace(
        "    params: [prepare.rows]\n",
        "    params: [prepare.rows]\n    checks:\n      schema: [data/raw.csv]\n",
    ))  # fmt: skip
    (project / ".github" / "workflows").mkdir(parents=True)
    (project / ".github" / "workflows" / "pipeline.yml").write_text(CI)
    (project / "tests").mkdir()
    (project / "tests" / "test_models.py").write_text("import train_a\nfrom src import train_b\n")
    commit_all(project, "a schema check, CI and a test of the models")

    after = _score(project)
    tests = _tests(after)
    assert _points(after) == {"data": 1, "model": 1, "infra": 3, "monitor": 1}
    assert "schema check on data/raw.csv (stage prepare)" in tests["data 1"]["evidence"]
    assert tests["monitor 2"]["status"] == "in place"
    assert tests["infra 3"]["evidence"] == ".github/workflows/pipeline.yml runs 'solvent repro'"
    assert "tests/test_models.py" in tests["infra 2"]["evidence"]
    assert after["final"] == 1


def test_the_text_report_ends_with_the_score_table(project: Path) -> None:
    out = solvent_ok(project, "doctor")
    table = out[out.index("ML Test Score") :]
    for section in ("Data", "Model", "Infrastructure", "Monitoring"):
        assert section in table
    assert table.strip().splitlines()[-1].startswith("Final score ")
    assert "(the lowest section)" in table.strip().splitlines()[-1]


KEPT_SPEC = """\
stages:
  train:
    type: model
    cmd: python src/train.py --lr ${train.lr}
    deps: [src/train.py, data.csv]
    params: [train.lr]
    outs: [model.pkl]
    checks:
      schema: [data.csv]
      drift: {data.csv: 0.5}
  evaluate:
    cmd: python src/evaluate.py
    deps: [src/evaluate.py, model.pkl]
    metrics:
      - metrics.json:
          cache: false
  gate:
    cmd: python src/gate.py
    deps: [src/gate.py, metrics.json]
  watch:  # runs where the prediction logs are, not here
    frozen: true
    cmd: solvent monitor --reference data.csv --current data.csv --label y --prediction y
    deps: [data.csv]
"""


def test_a_kept_project_shows_its_tests_with_their_evidence(repo: Path) -> None:
    files = {
        "solvent.yaml": KEPT_SPEC,
        "params.yaml": "train:\n  lr: 0.1\n",
        "data.csv": "x,y\n1,0\n2,1\n",
        "src/train.py": "import pickle, sys\npickle.dump(sys.argv[-1], open('model.pkl', 'wb'))\n",
        "src/evaluate.py": "open('metrics.json', 'w').write('{\"accuracy\": 0.9}')\n",
        "src/gate.py": "import json\nassert json.load(open('metrics.json'))['accuracy'] > 0.5\n",
        "tests/test_train.py": "from src import train\n",
    }
    for rel, text in files.items():
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_text(text)
    commit_all(repo, "a kept project")
    solvent_ok(repo, "repro", "train", "evaluate", "gate")
    commit_all(repo, "reproduced")
    solvent_ok(repo, "exp", "run", "-S", "train.lr=0.01,0.001")

    tests = _tests(_score(repo))
    status = {k: t["status"] for k, t in tests.items()}
    for k in ("data 1", "model 1", "model 3", "infra 2", "infra 4", "infra 7", "monitor 2",
              "monitor 3", "monitor 7"):  # fmt: skip
        assert status[k] == "in place", (k, tests[k]["evidence"])
    assert tests["model 3"]["evidence"] == "2 experiment(s) varied train.lr"
    assert tests["infra 2"]["evidence"] == "train code tested by tests/test_train.py"
    assert tests["infra 4"]["evidence"] == "train: metrics.json gated by stage gate"
    assert tests["monitor 7"]["evidence"] == "stage watch checks prediction quality"
