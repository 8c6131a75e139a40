"""Notebook and untyped-script debt: findings with the notebook, its cell and line, and fixes
that name ``solvent script``."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.doctor.tiny import committed, findings, write
from tests.helpers import commit_all, solvent, solvent_ok
from tests.notebook.notebooks import MAGIC, PREP, RAW_CSV, TRAIN, write_notebook

FIT = "import sys\nopen(sys.argv[1], 'w').write('m')\n"


def _with_notebooks(repo: Path, spec: str, files: dict[str, str] | None = None) -> None:
    write(repo, {"data/raw.csv": RAW_CSV, "solvent.yaml": spec, "requirements.txt": "a==1\n",
                 **(files or {})})  # fmt: skip
    write_notebook(repo / "prep.ipynb", PREP)
    write_notebook(repo / "train.ipynb", TRAIN)
    commit_all(repo, "notebooks")


def test_a_stage_running_a_notebook(repo: Path) -> None:
    spec = """\
stages:
  prep:
    cmd: papermill prep.ipynb out/prep.ipynb -p x 1
    deps: [prep.ipynb, data/raw.csv]
    outs: [data/clean.csv]
  again:
    cmd: jupyter nbconvert --to notebook --execute train.ipynb
    deps: [train.ipynb, data/clean.csv]
    outs: [model.pkl]
"""
    _with_notebooks(repo, spec)
    got = findings(repo, "notebook-stage")
    assert [(f["stage"], f["file"], f["line"], f["subject"]) for f in got] == [
        ("again", "solvent.yaml", 7, "train.ipynb"),
        ("prep", "solvent.yaml", 3, "prep.ipynb"),
    ]
    assert "solvent script prep.ipynb -o src/prep.py --stage prep" in got[1]["fix"]
    # a notebook a stage runs is in the pipeline: not also notebook-only-code
    assert findings(repo, "notebook-only-code") == []


def test_a_notebook_writing_what_a_stage_reads_and_training_outside_the_pipeline(
    repo: Path,
) -> None:
    spec = """\
stages:
  use:
    cmd: python fit.py model.bin
    deps: [fit.py, data/clean.csv]
    outs: [model.bin]
"""
    _with_notebooks(repo, spec, {"fit.py": FIT})
    got = findings(repo, "notebook-only-code")
    where = [(f["file"], f["cell"], f["line"], f["subject"]) for f in got]
    # prep's cell 4 writes data/clean.csv (line 1); train fits in cell 5, line 5 on tracked data
    assert where == [("prep.ipynb", 4, 1, "data/clean.csv"), ("train.ipynb", 5, 5, "training")]
    assert "stage 'use' reads" in got[0]["message"]
    assert "solvent script prep.ipynb" in got[0]["fix"]
    assert "data/clean.csv" in got[1]["message"]
    text = solvent(repo, "doctor").stdout
    assert "prep.ipynb cell 4:1" in text


def test_an_untracked_notebook_is_not_reported(repo: Path) -> None:
    spec = "stages:\n  use:\n    cmd: python fit.py m.bin\n    deps: [fit.py, data/clean.csv]\n"
    committed(repo, {"solvent.yaml": spec + "    outs: [m.bin]\n", "fit.py": FIT,
                     "requirements.txt": "a==1\n"})  # fmt: skip
    write_notebook(repo / "scratch.ipynb", PREP)  # not in git: someone's scratch work
    assert findings(repo, "notebook-only-code") == []


PARAMS = "train:\n  n_estimators: 250\n  lr: 0.035\n"
IN_CODE = """\
import pickle

n_estimators = 250
model = {"trees": n_estimators, "lr": 0.035}
with open("model.pkl", "wb") as f:
    pickle.dump(model, f)
"""
READS_YAML = """\
import yaml

with open("params.yaml") as f:
    settings = yaml.safe_load(f)["train"]
open("model.pkl", "w").write(str(settings))
"""
WITH_ARGS = "import sys\n\nn_estimators = 250\nopen(sys.argv[1], 'w').write('x')\n"


@pytest.mark.parametrize(
    ("script", "params", "expected"),
    [
        (IN_CODE, "", [("train.py", 3, "train.n_estimators")]),
        (READS_YAML, "", [("train.py", 3, "<section>.<key>")]),
        (READS_YAML, "    params: [train]\n", []),  # declared: the stage reruns on a change
        (WITH_ARGS, "", []),  # it reads its command line: duplicated-param's case, not this
    ],
)
def test_params_in_code(
    repo: Path, script: str, params: str, expected: list[tuple[str, int, str]]
) -> None:
    spec = f"stages:\n  train:\n    cmd: python train.py model.pkl\n    deps: [train.py]\n{params}"
    committed(repo, {"solvent.yaml": spec + "    outs: [model.pkl]\n", "train.py": script,
                     "params.yaml": PARAMS, "requirements.txt": "a==1\n"})  # fmt: skip
    got = findings(repo, "params-in-code")
    assert [(f["file"], f["line"], f["subject"]) for f in got] == expected
    if expected and expected[0][2] == "train.n_estimators":
        assert "n_estimators=250 (line 3) is param train.n_estimators" in got[0]["message"]
        assert "--n-estimators ${train.n_estimators}" in got[0]["fix"]


TYPED = "def load(path: str) -> str:\n    return open(path).read()\n"
UNTYPED = """\
import sys


def load(path):
    return open(path).read()


def clean(text: str) -> str:
    return text.strip()


class Model:
    def fit(self, rows: list[str]) -> None:
        self.n = len(rows)

    def score(self, rows):
        return len(rows)


def main(argv: list[str]) -> None:
    open(argv[1], "w").write(clean(load(argv[0])))


main(sys.argv[1:])
"""


def test_untyped_stage_code_gives_the_share_and_the_functions(repo: Path) -> None:
    spec = "stages:\n  s:\n    cmd: python s.py in.txt out.txt\n    deps: [s.py, in.txt]\n"
    committed(repo, {"solvent.yaml": spec + "    outs: [out.txt]\n", "s.py": UNTYPED,
                     "in.txt": "x\n", "requirements.txt": "a==1\n"})  # fmt: skip
    got = findings(repo, "untyped-stage-code")
    assert [(f["file"], f["line"], f["severity"]) for f in got] == [("s.py", 4, "info")]
    assert "3 of 5 functions in s.py (60%)" in got[0]["message"]
    assert "load (line 4), score (line 16)" in got[0]["message"]
    committed(repo, {"s.py": TYPED + "import sys\nopen(sys.argv[2], 'w').write(load('x'))\n"})
    assert findings(repo, "untyped-stage-code") == []


def test_check_types_reports_mypy_errors_on_the_stage_code(repo: Path) -> None:
    pytest.importorskip("mypy")
    bad = 'def half(n: int) -> int:\n    return n / 2\n\n\nopen("o.txt", "w").write(str(half(3)))\n'
    spec = "stages:\n  s:\n    cmd: python s.py\n    deps: [s.py]\n    outs: [o.txt]\n"
    committed(repo, {"solvent.yaml": spec, "s.py": bad, "requirements.txt": "a==1\n"})
    assert findings(repo, "untyped-stage-code") == []  # off by default: no mypy run
    proc = solvent(repo, "doctor", "--json", "--check-types", timeout=300)
    assert proc.returncode == 0, proc.stderr
    got = [f for f in json.loads(proc.stdout)["findings"] if f["code"] == "untyped-stage-code"]
    assert [(f["file"], f["line"], f["subject"]) for f in got] == [("s.py", 2, "mypy")]
    assert "Incompatible return value" in got[0]["message"]


HALF_READ = """\
import pickle

import yaml

with open("params.yaml") as f:
    trees = yaml.safe_load(f)["train"]["n_estimators"]
lr = 0.035
with open("model.pkl", "wb") as out:
    pickle.dump({"trees": trees, "lr": lr}, out)
"""


def test_params_in_code_means_the_model_is_not_all_tuned(repo: Path) -> None:
    """Model 3 of the ML Test Score: an experiment swept n_estimators, but lr is typed in
    the script, where no sweep reaches it."""
    spec = """\
stages:
  train:
    cmd: python train.py
    deps: [train.py]
    params: [train]
    outs: [model.pkl]
    type: model
"""
    committed(repo, {"solvent.yaml": spec, "train.py": HALF_READ, "params.yaml": PARAMS,
                     "requirements.txt": "a==1\n"})  # fmt: skip
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    solvent_ok(repo, "repro", env=env)
    commit_all(repo, "ran")
    solvent_ok(repo, "exp", "run", "-S", "train.n_estimators=3", env=env)
    proc = solvent(repo, "doctor", "--json")
    doc = json.loads(proc.stdout)
    assert [f["line"] for f in doc["findings"] if f["code"] == "params-in-code"] == [7]
    model3 = next(t for s in doc["score"]["sections"] for t in s["tests"]
                  if s["key"] == "model" and t["number"] == 3)  # fmt: skip
    assert model3["status"] == "missing", model3
    assert "params-in-code" in model3["evidence"]


def test_a_model_trained_by_a_notebook_stage_is_not_reviewed_nor_unit_tested(repo: Path) -> None:
    """Model 1 (checked in, reviewable) and Infra 2 (unit tested): the stage's Python helper
    is committed and tested, but the model itself is fitted in a notebook."""
    spec = """\
stages:
  train:
    cmd: python check.py && ipython train.ipynb
    deps: [check.py, train.ipynb, data/clean.csv]
    outs: [model.pkl]
    metrics: [{metrics.json: {cache: false}}]
    type: model
"""
    clean = "x,y\n1,2.1\n2,3.9\n3,6.2\n"
    check = "import os\n\n\ndef ok() -> bool:\n    return os.path.exists('data/clean.csv')\n"
    _with_notebooks(repo, spec, {"check.py": check, "data/clean.csv": clean,
                                 "tests/test_check.py": "import check\n"})  # fmt: skip
    env = {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    solvent_ok(repo, "repro", env=env)
    commit_all(repo, "ran")
    doc = json.loads(solvent(repo, "doctor", "--json").stdout)
    assert [f["stage"] for f in doc["findings"] if f["code"] == "notebook-stage"] == ["train"]
    tests = {(s["key"], t["number"]): t for s in doc["score"]["sections"] for t in s["tests"]}
    assert tests[("model", 1)]["status"] == "missing", tests[("model", 1)]
    assert "notebook" in tests[("model", 1)]["evidence"]
    assert tests[("infra", 2)]["status"] == "missing", tests[("infra", 2)]


def test_magics_do_not_hide_a_notebooks_writes(repo: Path) -> None:
    """The magic lines are masked, not fatal: the rest of the cells is still read."""
    spec = """\
stages:
  use:
    cmd: python fit.py model.bin
    deps: [fit.py, data/clean.csv]
    outs: [model.bin]
  convert:
    cmd: jupytext --to py prep.ipynb
    deps: [prep.ipynb]
    outs: [prep.py]
"""
    cells = [*MAGIC, ("code", "%%time\nwith open('data/clean.csv', 'w') as out:\n"
                              "    out.write('x,y\\n')")]  # fmt: skip
    _with_notebooks(repo, spec, {"fit.py": FIT})
    write_notebook(repo / "magic.ipynb", cells)
    commit_all(repo, "magic")
    got = [(f["file"], f["cell"], f["line"]) for f in findings(repo, "notebook-only-code")]
    assert ("magic.ipynb", 5, 2) in got
    assert findings(repo, "notebook-stage") == []  # jupytext without --execute only converts
