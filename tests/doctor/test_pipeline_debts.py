"""Correction cascades, pipeline jungle and health coverage on small real pipelines."""

from __future__ import annotations

from pathlib import Path

from tests.doctor.tiny import committed, findings
from tests.helpers import solvent_ok

W = "import sys\nfor p in sys.argv[1:]:\n    open(p, 'w').write('x')\n"


def test_type_says_what_is_a_model(repo: Path) -> None:
    spec = """\
stages:
  embed:
    cmd: python w.py vectors.bin
    deps: [w.py]
    outs: [vectors.bin]
    type: model
  rank:
    cmd: python w.py ranker.pkl
    deps: [w.py, vectors.bin]
    outs: [ranker.pkl]
  cache:
    cmd: python w.py lookup.pkl
    deps: [w.py, ranker.pkl]
    outs: [lookup.pkl]
    type: data
"""
    committed(repo, {"solvent.yaml": spec, "w.py": W, "requirements.txt": "a==1\n"})
    cascade = findings(repo, "correction-cascade")
    assert [(f["stage"], f["line"]) for f in cascade] == [("rank", 9)]  # not 'cache': data
    assert "'embed'" in cascade[0]["message"]


def test_cascade_through_a_prediction_stage_names_the_nearest_model(repo: Path) -> None:
    spec = """\
stages:
  a:
    cmd: python w.py a.pkl
    deps: [w.py]
    outs: [a.pkl]
  predict:
    cmd: python w.py preds.csv
    deps: [w.py, a.pkl]
    outs: [preds.csv]
  b:
    cmd: python w.py b.pkl
    deps: [w.py, preds.csv]
    outs: [b.pkl]
  c:
    cmd: python w.py c.pkl
    deps: [w.py, b.pkl]
    outs: [c.pkl]
"""
    committed(repo, {"solvent.yaml": spec, "w.py": W, "requirements.txt": "a==1\n"})
    got = {
        (f["stage"], f["message"].rsplit("'", 2)[1]) for f in findings(repo, "correction-cascade")
    }
    assert got == {("b", "a"), ("c", "b")}


def test_never_run_until_it_runs(repo: Path) -> None:
    spec = "stages:\n  s:\n    cmd: python w.py out.txt\n    deps: [w.py]\n    metrics: [out.txt]\n"
    committed(repo, {"solvent.yaml": spec, "w.py": W, "requirements.txt": "a==1\n"})
    assert [(f["stage"], f["line"]) for f in findings(repo, "never-run")] == [("s", 2)]
    solvent_ok(repo, "repro")
    assert findings(repo, "never-run") == []


def test_coverage_is_met_by_checks_and_health_stages(repo: Path) -> None:
    spec = """\
stages:
  train:
    cmd: python w.py model.pkl
    deps: [w.py, data.csv]
    outs: [model.pkl]
  score:
    cmd: python score.py
    deps: [score.py, model.pkl]
    metrics: [m.json]
"""
    score = "proba = 0.9\nok = proba > 0.6\nopen('m.json', 'w').write('{}')\n"
    files = {"solvent.yaml": spec, "w.py": W, "score.py": score, "data.csv": "a,y\n1,0\n",
             "requirements.txt": "a==1\n"}  # fmt: skip
    committed(repo, files)
    codes = sorted(f["code"] for f in findings(repo, "no-feature-audit", "no-drift-check",
                                                "threshold-without-artifact"))  # fmt: skip
    assert codes == ["no-drift-check", "no-feature-audit", "threshold-without-artifact"]
    healthy = (
        spec.replace(
            "    outs: [model.pkl]\n",
            "    outs: [model.pkl]\n    checks: {drift: {data.csv: 0.3}}\n",
        )
        + """\
  audit:
    cmd: solvent audit features --data data.csv --target y --model model.pkl -o audit.json
    deps: [data.csv, model.pkl]
    outs: [audit.json]
  threshold:
    cmd: solvent threshold fit preds.csv --scores p --labels y -o threshold.json
    deps: [model.pkl]
    outs: [threshold.json]
"""
    )
    committed(repo, {"solvent.yaml": healthy})
    solvent_ok(repo, "dag")  # the spec is valid
    assert findings(repo, "no-drift-check", "threshold-without-artifact") == []
    audit = findings(repo, "no-feature-audit", "stale-feature-audit")
    assert [f["code"] for f in audit] == ["no-feature-audit"]  # the audit stage never ran
