"""Logistic regression by gradient descent: deterministic, no third-party code."""

import json
import sys
from pathlib import Path

import yaml
from common import read_split, score

params = yaml.safe_load(Path("params.yaml").read_text())["train"]
data, model = Path(sys.argv[1]), Path(sys.argv[2])
rows = read_split(data / "train.csv")
weights = [0.0, 0.0, 0.0]
for _ in range(params["epochs"]):
    for x, y in rows:
        err = score(weights, x) - y
        weights = [w - params["lr"] * err * v for w, v in zip(weights, [1.0, *x], strict=True)]
model.write_text(json.dumps({"weights": [round(w, 9) for w in weights]}, indent=2) + "\n")
