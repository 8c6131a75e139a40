"""A deliberately debt-ridden ML project, built for real in a git repo: every debt the doctor
must find is planted here once, and the expected findings name where."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import git, solvent_ok

SPEC = """\
stages:
  prepare:
    cmd: python src/prepare.py --rows ${prepare.rows}
    deps: [src/prepare.py, data/raw.csv]
    params: [prepare.rows]
    outs:
      - data/train.csv
      - data/debug_sample.csv
  train_a:
    cmd: python src/train_a.py
    deps: [src/train_a.py, data/train.csv]
    outs: [models/a.pkl]
  predict_a:
    cmd: python src/predict_a.py
    deps: [src/predict_a.py, models/a.pkl, data/train.csv]
    outs: [data/preds_a.csv]
  train_b:
    cmd: python src/train_b.py
    deps:
      - src/train_b.py
      - data/preds_a.csv
    outs: [models/b.pkl]
  evaluate:
    cmd: python src/evaluate.py
    deps: [src/evaluate.py, models/b.pkl, data/preds_a.csv]
    metrics:
      - metrics.json:
          cache: false
"""

PARAMS = """\
prepare:
  rows: 300
train:
  unused_alpha: 0.25
"""

PREPARE = """\
import argparse
import csv
import os

parser = argparse.ArgumentParser()
parser.add_argument("--rows", type=int, required=True)
args = parser.parse_args()
with open("data/raw.csv") as f:
    rows = list(csv.DictReader(f))[: args.rows]
with open("data/train.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["x", "y"])
    w.writeheader()
    w.writerows(rows)
with open("data/debug_sample.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=["x", "y"])
    w.writeheader()
    w.writerows(rows[:5])
"""

TRAIN_A = """\
import csv
import os
import pickle

with open("data/train.csv") as f:
    rows = list(csv.DictReader(f))
with open("data/lookup.csv") as f:
    lookup = list(csv.DictReader(f))
mean_x = sum(float(r["x"]) for r in rows) / len(rows)
os.makedirs("models", exist_ok=True)
with open("models/a.pkl", "wb") as f:
    pickle.dump({"mean_x": mean_x, "lookup": len(lookup)}, f)
"""

PREDICT_A = """\
import csv
import pickle

with open("models/a.pkl", "rb") as f:
    model = pickle.load(f)
with open("data/train.csv") as f:
    rows = list(csv.DictReader(f))
with open("data/preds_a.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["x", "y", "proba"])
    for r in rows:
        w.writerow([r["x"], r["y"], min(1.0, float(r["x"]) / (2 * model["mean_x"]))])
"""

TRAIN_B = """\
import csv
import os
import pickle

with open("data/preds_a.csv") as f:
    rows = list(csv.DictReader(f))
weight = sum(float(r["proba"]) for r in rows) / len(rows)
os.makedirs("models", exist_ok=True)
with open("models/b.pkl", "wb") as f:
    pickle.dump({"weight": weight}, f)
"""

EVALUATE = """\
import csv
import json
import pickle

with open("models/b.pkl", "rb") as f:
    model = pickle.load(f)
with open("data/preds_a.csv") as f:
    rows = list(csv.DictReader(f))
hits = 0
for r in rows:
    proba = float(r["proba"]) * model["weight"]
    predicted = proba > 0.5
    hits += predicted == (r["y"] == "1")
with open("metrics.json", "w") as f:
    json.dump({"accuracy": hits / len(rows)}, f)
"""

# (code, file, line, stage): every finding the doctor must report on this project, no more.
EXPECTED = {
    ("undeclared-read", "src/train_a.py", 7, "train_a"),
    ("fixed-threshold", "src/evaluate.py", 12, "evaluate"),
    ("unused-param", "params.yaml", 4, None),
    ("dead-out", "solvent.yaml", 8, "prepare"),
    ("correction-cascade", "solvent.yaml", 21, "train_b"),
    ("untracked-data", "data/dump.csv", None, None),
    ("no-feature-audit", "solvent.yaml", 9, "train_a"),
    ("no-feature-audit", "solvent.yaml", 17, "train_b"),
    ("no-drift-check", "solvent.yaml", 9, "train_a"),
    ("no-drift-check", "solvent.yaml", 17, "train_b"),
    ("threshold-without-artifact", "solvent.yaml", 9, "train_a"),
    ("threshold-without-artifact", "solvent.yaml", 17, "train_b"),
}


def write_debt_project(root: Path) -> Path:
    """The project's files in a new git repo (nothing committed, Solvent not initialised)."""
    import random

    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q")
    (root / "src").mkdir()
    (root / "data").mkdir()
    (root / "solvent.yaml").write_text(SPEC)
    (root / "params.yaml").write_text(PARAMS)
    (root / "requirements.txt").write_text("numpy==2.1.0\n")
    for name, text in (("prepare", PREPARE), ("train_a", TRAIN_A), ("predict_a", PREDICT_A),
                       ("train_b", TRAIN_B), ("evaluate", EVALUATE)):  # fmt: skip
        (root / "src" / f"{name}.py").write_text(text)
    rng = random.Random(0)
    raw = "x,y\n" + "".join(f"{rng.random():.4f},{rng.randint(0, 1)}\n" for _ in range(400))
    (root / "data" / "raw.csv").write_text(raw)
    (root / "data" / "lookup.csv").write_text("k,v\na,1\nb,2\n")
    # An untracked data file of 1.2 MB that nothing versions.
    (root / "data" / "dump.csv").write_text("a,b\n" + "0.123456,7.654321\n" * 70_000)
    return root


def make_debt_project(root: Path) -> Path:
    """The project initialised, its raw data added, committed, reproduced, the lock committed;
    data/dump.csv left out of git on purpose."""
    write_debt_project(root)
    solvent_ok(root, "init")
    solvent_ok(root, "add", "data/raw.csv")
    git(root, "add", ".solvent", "solvent.yaml", "params.yaml", "requirements.txt", "src",
        "data/raw.csv.solvent", "data/lookup.csv", "data/.gitignore")  # fmt: skip
    git(root, "commit", "-q", "-m", "a project in debt")
    solvent_ok(root, "repro")
    git(root, "add", "solvent.lock", "metrics.json")
    git(root, "commit", "-q", "-m", "reproduced")
    return root
