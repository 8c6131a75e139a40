"""Correction cascades, pipeline jungle and health coverage on small real pipelines."""

from __future__ import annotations

from pathlib import Path

from tests.doctor.tiny import committed, findings, write
from tests.helpers import solvent, solvent_ok

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
    cmd: python w.py ranker_model.pkl
    deps: [w.py, vectors.bin]
    outs: [ranker_model.pkl]
  cache:
    cmd: python w.py lookup.pkl
    deps: [w.py, ranker_model.pkl]
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
    cmd: python w.py a.onnx
    deps: [w.py]
    outs: [a.onnx]
  predict:
    cmd: python w.py preds.csv
    deps: [w.py, a.onnx]
    outs: [preds.csv]
  b:
    cmd: python w.py b.onnx
    deps: [w.py, preds.csv]
    outs: [b.onnx]
  c:
    cmd: python w.py c.onnx
    deps: [w.py, b.onnx]
    outs: [c.onnx]
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


def test_pickled_features_are_not_a_model_and_model_outs_are_not_dead(repo: Path) -> None:
    spec = """\
stages:
  prepare:
    cmd: python w.py features.pkl scaler.joblib
    deps: [w.py]
    outs: [features.pkl, scaler.joblib]
  train:
    cmd: python w.py lgbm.txt
    deps: [w.py, features.pkl, scaler.joblib]
    outs: [lgbm.txt]
    type: model
"""
    committed(repo, {"solvent.yaml": spec, "w.py": W, "requirements.txt": "a==1\n"})
    got = findings(repo)
    assert not [f for f in got if f["code"] == "correction-cascade"]
    assert not [f for f in got if f["code"] == "dead-out"]  # lgbm.txt: a type: model's out
    assert {f["stage"] for f in got if f["code"] == "no-feature-audit"} == {"train"}


def test_a_model_saved_as_json_or_text_is_no_dead_out(repo: Path) -> None:
    """XGBoost's save_model JSON and LightGBM's text dump, named as models: the pipeline's
    product, not a dead out (two of the DVC-shaped compat projects got this finding)."""
    spec = """\
stages:
  train:
    cmd: python w.py saved_models/model.json models/booster.txt
    deps: [w.py]
    outs: [saved_models/model.json, models/booster.txt, scores.json]
"""
    committed(repo, {"solvent.yaml": spec, "w.py": W, "requirements.txt": "a==1\n"})
    dead = {f["subject"] for f in findings(repo, "dead-out")}
    assert dead == {"scores.json"}


def test_a_stage_that_only_failed_has_never_run_to_the_end(repo: Path) -> None:
    spec = "stages:\n  s:\n    cmd: python -c 'raise SystemExit(4)'\n    metrics: [m.json]\n"
    committed(repo, {"solvent.yaml": spec, "requirements.txt": "a==1\n"})
    solvent(repo, "repro")
    (never,) = findings(repo, "never-run")
    assert "never run to the end" in never["message"] and "failed" in never["message"]


def test_untracked_data_in_one_folder_is_one_finding_and_dvc_pointers_count(repo: Path) -> None:
    big = "a,b\n" + "0.123456,7.654321\n" * 70_000
    committed(repo, {"requirements.txt": "a==1\n", "raw/x.csv.dvc": "outs: []\n"})
    write(repo, {"raw/x.csv": big, "dump/a.csv": big, "dump/b.csv": big, "mlruns/0/p.csv": big,
                 "one.parquet": big})  # fmt: skip
    got = sorted((f["subject"], f["message"].split(" is data")[0])
                 for f in findings(repo, "untracked-data"))  # fmt: skip
    assert got == [
        ("dump", "dump/ (2 data files, 2.4 MiB)"),
        ("one.parquet", "one.parquet (1.2 MiB)"),
    ]


def test_folders_named_by_top_level_metrics_and_plots_are_not_dead(repo: Path) -> None:
    """dvclive's shape: evaluate writes the dvclive folder and eval/, nothing reads them, the
    top-level metrics and plots name files inside them. Only the stray out is dead."""
    spec = """\
stages:
  evaluate:
    cmd: python w.py dvclive eval stray.csv
    deps: [w.py]
    outs: [dvclive, eval, plots/roc, stray.csv]
metrics:
  - dvclive/metrics.json
plots:
  - dvclive/plots/metrics:
      x: step
  - ROC:
      x: fpr
      y:
        eval/roc.json: tpr
  - plots
"""
    committed(repo, {"dvc.yaml": spec, "w.py": W, "requirements.txt": "a==1\n"})
    assert [f["subject"] for f in findings(repo, "dead-out")] == ["stray.csv"]
