"""``solvent threshold / monitor`` end to end: real files, the real CLI, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from tests.helpers import assert_user_error, commit_all, disk_state, git, solvent, solvent_ok

FINDING = 3


@pytest.fixture(scope="module")
def scored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Held-out scores of a breast-cancer model: ``val.csv`` to fit on, ``new.parquet`` from
    the same population, ``shifted.csv`` holding only positive cases (no labels)."""
    root = tmp_path_factory.mktemp("scored")
    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, test_size=0.6, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.05, max_iter=500))
    scores = model.fit(x_train, y_train).predict_proba(x_rest)[:, 1]
    frame = pd.DataFrame({"score": scores, "label": y_rest})
    half = len(frame) // 2
    frame[:half].to_csv(root / "val.csv", index=False)
    frame[half:].to_parquet(root / "new.parquet")
    frame[half:][frame.label[half:] == 1][["score"]].to_csv(root / "shifted.csv", index=False)
    frame[half:][["score"]].to_csv(root / "unlabelled.csv", index=False)
    (root / "bad.csv").write_text("score,label\n0.2,0\n1.7,1\n")
    (root / "three.csv").write_text("score,label\n0.2,0\n0.7,1\n0.4,2\n")
    (root / "empty.csv").write_text("score,label\n")
    return root


def test_fit_writes_the_threshold_with_its_interval_and_data_id(scored: Path) -> None:
    out = solvent_ok(scored, "threshold", "fit", "val.csv", "--scores", "score",
                     "--labels", "label", "-o", "t.json", "--html", "t.html")  # fmt: skip
    assert "balanced-accuracy" in out and "95% CI" in out
    doc = json.loads((scored / "t.json").read_text())
    (c,) = doc["classes"]
    assert c["label"] == "1" and 0 < c["threshold"] < 1
    assert c["metric"]["low"] <= c["metric"]["value"] <= c["metric"]["high"]
    assert doc["data"]["id"].startswith("blake3:") and doc["data"]["label"] == "val.csv"
    assert "<svg" in (scored / "t.html").read_text()


def test_check_is_quiet_on_the_same_population_and_alerts_on_shifted_scores(
    scored: Path,
) -> None:
    solvent_ok(scored, "threshold", "fit", "val.csv", "--scores", "score", "--labels", "label",
               "--objective", "f-beta:1", "-o", "f1.json")  # fmt: skip
    report = json.loads(solvent_ok(scored, "threshold", "check", "f1.json", "new.parquet",
                                   "--json"))  # fmt: skip
    (c,) = report["classes"]
    assert c["metric"] is not None and not report["alert"]
    quiet = solvent(scored, "threshold", "check", "f1.json", "unlabelled.csv")
    assert quiet.returncode == 0, quiet.stdout + quiet.stderr
    loud = solvent(scored, "threshold", "check", "f1.json", "shifted.csv")
    assert loud.returncode == FINDING, loud.stdout + loud.stderr
    assert "alert" in loud.stdout
    text = solvent_ok(scored, "threshold", "check", "f1.json", "new.parquet")
    assert "no re-fit needed" in text and "false alarms at most 1.0% a check" in text
    inflated = pd.read_parquet(scored / "new.parquet").assign(score=lambda f: f.score**0.1)
    inflated.to_csv(scored / "inflated.csv", index=False)
    refit = solvent(scored, "threshold", "check", "f1.json", "inflated.csv")
    assert refit.returncode == FINDING and "re-fit advised" in refit.stdout, refit.stdout
    wrong = solvent(scored, "threshold", "check", "f1.json", "new.parquet", "--false-alarms", "2")
    assert_user_error(wrong, "--false-alarms 2 is not a share in (0, 1)")


def test_multi_class_fit_and_check_with_labels(tmp_path: Path) -> None:
    from sklearn.datasets import load_wine

    x, y = load_wine(return_X_y=True)
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, test_size=0.6, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=0.01, max_iter=500))
    scores = model.fit(x_train, y_train).predict_proba(x_rest)
    names = ["barolo", "grignolino", "barbera"]
    frame = pd.DataFrame(scores, columns=[f"p{k}" for k in range(3)])
    frame["cultivar"] = [names[k] for k in y_rest]
    frame[:53].to_csv(tmp_path / "val.csv", index=False)
    frame[53:].to_json(tmp_path / "new.jsonl", orient="records", lines=True)
    scores_arg = ",".join(f"p{k}={n}" for k, n in enumerate(names))
    out = solvent_ok(tmp_path, "threshold", "fit", "val.csv", "--scores", scores_arg,
                     "--labels", "cultivar", "--objective", "precision>=0.9")  # fmt: skip
    assert "neutral (no class clears its threshold)" in out
    doc = json.loads((tmp_path / "threshold.json").read_text())
    assert [c["label"] for c in doc["classes"]] == names
    report = json.loads(solvent(tmp_path, "threshold", "check", "threshold.json", "new.jsonl",
                                "--json").stdout)  # fmt: skip
    assert report["labelled"] and len(report["classes"]) == 3
    assert all(c["refit_gain"] is not None for c in report["classes"])


def test_check_refuses_a_version_1_threshold_file_saying_to_re_fit(scored: Path) -> None:
    """Version 1 kept per-chunk rate spreads, not the counts the calibrated limits need."""
    solvent_ok(scored, "threshold", "fit", "val.csv", "--scores", "score", "--labels", "label",
               "-o", "v2.json")  # fmt: skip
    doc = json.loads((scored / "v2.json").read_text())
    doc["version"] = 1
    (scored / "v1.json").write_text(json.dumps(doc))
    before = disk_state(scored)
    proc = solvent(scored, "threshold", "check", "v1.json", "new.parquet")
    assert_user_error(proc, "v1.json: threshold file version 1")
    assert "re-fit it" in proc.stderr and proc.returncode != FINDING
    assert disk_state(scored) == before


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["val.csv", "--scores", "nope", "--labels", "label"], "has no column 'nope'"),
        (["three.csv", "--scores", "score", "--labels", "label"], "two label values"),
        (["bad.csv", "--scores", "score", "--labels", "label"], "probabilities in [0, 1]"),
        (
            ["val.csv", "--scores", "score", "--labels", "label", "--objective", "auc"],
            "unknown objective",
        ),
        (["empty.csv", "--scores", "score", "--labels", "label"], "has no rows"),
        (
            ["val.csv", "--scores", "score", "--labels", "label", "-o", "no/dir/t.json"],
            "no such folder",
        ),
    ],
)
def test_bad_input_is_one_clear_error_and_changes_nothing(
    scored: Path, args: list[str], needle: str
) -> None:
    before = disk_state(scored)
    proc = solvent(scored, "threshold", "fit", "-o", "bad.json", *args)
    assert_user_error(proc, needle)
    assert proc.returncode != FINDING
    assert disk_state(scored) == before


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from tests.health.test_monitor import batch, reference

    root = tmp_path_factory.mktemp("logs")
    reference().to_csv(root / "train.csv", index=False)
    batch().to_json(root / "week.jsonl", orient="records", lines=True, date_format="iso")
    batch(seed=1, bias=0.2).to_parquet(root / "biased.parquet")
    return root


def test_monitor_is_quiet_on_an_unshifted_log_and_exits_3_on_a_biased_one(logs: Path) -> None:
    args = ("--reference", "train.csv", "--time-column", "time", "--slice", "region")
    out = solvent_ok(logs, "monitor", *args, "--current", "week.jsonl")
    assert "no alert" in out and "0 of 21 windows biased" in out
    assert "Bonferroni over 42 window, slice and label tests" in out
    # piped, a row is one line however wide, and a daily window is a date
    rows = [line.split() for line in out.splitlines() if line.startswith("2026-")]
    assert len(rows) == 21 and all(r[0] == "2026-01-05" for r in rows[:3]), out
    assert all(r[1] in ("(all)", "north", "south") and r[-1] == "ok" for r in rows), out
    loud = solvent(logs, "monitor", *args, "--current", "biased.parquet", "--html", "m.html")
    assert loud.returncode == FINDING, loud.stdout + loud.stderr
    assert "<svg" in (logs / "m.html").read_text()
    doc = json.loads(solvent(logs, "monitor", *args, "--current", "biased.parquet",
                             "--json").stdout)  # fmt: skip
    assert doc["alert"] and any("1" in w["alerts"] for w in doc["windows"])


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--current", "week.jsonl", "--label", "y"], "train.csv has no column 'y'"),
        (["--current", "week.jsonl", "--time-column", "when"], "has no column 'when'"),
        (["--current", "nope.csv"], "nope.csv"),
        (["--current", "week.jsonl", "--html", "no/dir/m.html"], "no such folder"),
    ],
)
def test_monitor_bad_input_is_one_clear_error(logs: Path, args: list[str], needle: str) -> None:
    before = disk_state(logs)
    proc = solvent(logs, "monitor", "--reference", "train.csv", *args)
    assert_user_error(proc, needle)
    assert proc.returncode != FINDING
    assert disk_state(logs) == before


@pytest.fixture(scope="module")
def features(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import joblib
    from sklearn.datasets import load_diabetes
    from sklearn.linear_model import Ridge

    root = tmp_path_factory.mktemp("features")
    data = load_diabetes(as_frame=True)
    rng = np.random.default_rng(0)
    frame = data.data[["bmi", "bp", "s5", "sex"]].assign(
        noise=rng.normal(size=len(data.target)), copy=data.data["bmi"] * 3, y=data.target
    )
    frame.to_parquet(root / "train.parquet")
    frame.assign(city=rng.choice(["rome", "oslo"], len(frame))).to_parquet(root / "text.parquet")
    joblib.dump(make_pipeline(StandardScaler(), Ridge()), root / "model.joblib")
    return root


def test_audit_flags_the_injected_features_and_exits_3(features: Path) -> None:
    proc = solvent(features, "audit", "features", "--data", "train.parquet", "--target", "y",
                   "--model", "model.joblib", "--jobs", "2", "--html", "a.html")  # fmt: skip
    assert proc.returncode == FINDING, proc.stdout + proc.stderr
    doc = json.loads((features / "audit.json").read_text())
    found = {f["feature"]: f["verdict"] for f in doc["features"]}
    assert found["noise"] == "epsilon" and found["copy"] == "correlated"
    assert found["bmi"] == found["s5"] == "keep" and found["bp"] == "undecided"
    assert doc["data"]["id"].startswith("blake3:") and doc["folds"] == 30
    flagged = sum(v in ("epsilon", "correlated") for v in found.values())
    assert f"{flagged} of 6 features flagged for removal, 1 undecided" in proc.stdout
    assert "Joint check: dropping" in proc.stdout
    assert "together costs less than the band" in proc.stdout
    assert "<svg" in (features / "a.html").read_text()
    again = solvent(features, "audit", "features", "--data", "train.parquet", "--target", "y",
                    "--model", "sklearn.linear_model:Ridge", "--folds", "3", "--repeats", "1",
                    "--fail-on", "never", "-o", "quick.json", "--json")  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["folds"] == 3


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--target", "nope", "--model", "model.joblib"], "has no column 'nope'"),
        (["--target", "y", "--model", "no.such:Model"], "neither a saved model"),
        (
            ["--target", "noise", "--model", "sklearn.linear_model:LogisticRegression"],
            "a classifier needs class labels",
        ),
        (
            ["--target", "y", "--model", "model.joblib", "--data", "text.parquet"],
            "cannot be fitted",
        ),
        (["--target", "y", "--model", "model.joblib", "--folds", "1"], "--folds"),
        (["--target", "y", "--model", "model.joblib", "--previous", "none.json"], "none.json"),
    ],
)
def test_audit_bad_input_is_one_clear_error(features: Path, args: list[str], needle: str) -> None:
    before = disk_state(features)
    proc = solvent(features, "audit", "features", "--data", "train.parquet", *args)
    assert_user_error(proc, needle)
    assert proc.returncode != FINDING
    assert disk_state(features) == before


def test_audit_finds_legacy_features_against_an_earlier_audit_at_a_revision(
    features: Path, tmp_path: Path
) -> None:
    """noise was 'keep' in the audit committed at HEAD; epsilon now: legacy."""
    for name in ("train.parquet", "model.joblib"):
        shutil.copy(features / name, tmp_path / name)
    git(tmp_path, "init", "-q", "-b", "main")
    solvent_ok(tmp_path, "init")
    earlier = {"features": [{"feature": "noise", "verdict": "keep"}]}
    (tmp_path / "earlier.json").write_text(json.dumps(earlier))
    solvent_ok(tmp_path, "add", "earlier.json")
    commit_all(tmp_path, "an earlier audit")
    (tmp_path / "earlier.json").unlink()  # only the committed version can say it
    proc = solvent(tmp_path, "audit", "features", "--data", "train.parquet", "--target", "y",
                   "--model", "model.joblib", "--previous", "earlier.json@HEAD", "--jobs", "2",
                   "--json")  # fmt: skip
    assert proc.returncode == FINDING, proc.stderr
    noise = next(f for f in json.loads(proc.stdout)["features"] if f["feature"] == "noise")
    assert noise["verdict"] == "legacy" and "'keep' in the earlier audit" in noise["evidence"]


def test_audit_sums_up_fit_warnings_in_one_line(tmp_path: Path) -> None:
    from sklearn.datasets import load_breast_cancer

    data = load_breast_cancer(as_frame=True)
    frame = data.data.iloc[:, :6].assign(y=data.target)  # unscaled: lbfgs does not converge
    frame.to_parquet(tmp_path / "cancer.parquet")
    proc = solvent(tmp_path, "audit", "features", "--data", "cancer.parquet", "--target", "y",
                   "--model", "sklearn.linear_model:LogisticRegression", "--folds", "3",
                   "--repeats", "1", "--jobs", "2", "--fail-on", "never")  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout + proc.stderr
    assert out.count("ConvergenceWarning") == 1, out[-3000:]
    assert "fits: scale the features or raise max_iter" in proc.stdout


def test_check_writes_its_html_page_also_on_an_alert(scored: Path) -> None:
    solvent_ok(scored, "threshold", "fit", "val.csv", "--scores", "score", "--labels", "label",
               "-o", "h.json")  # fmt: skip
    loud = solvent(scored, "threshold", "check", "h.json", "shifted.csv", "--html", "check.html")
    assert loud.returncode == FINDING, loud.stdout + loud.stderr
    page = (scored / "check.html").read_text()
    assert "Solvent threshold check" in page and "Alert" in page and "<svg" in page
    solvent_ok(scored, "threshold", "check", "h.json", "new.parquet", "--html", "labelled.html")
    assert "a re-fit on this data" in (scored / "labelled.html").read_text()
    before = disk_state(scored)
    bad = solvent(scored, "threshold", "check", "h.json", "new.parquet", "--html", "no/x.html")
    assert_user_error(bad, "--html no/x.html: no such folder")
    assert disk_state(scored) == before
