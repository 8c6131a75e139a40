"""Elastic-net linear regression by coordinate descent, in plain Python."""

import argparse
import csv
import json
import math
import os

from get_data import read_params


def read(path: str, target: str) -> tuple[list[list[float]], list[float]]:
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    features = [k for k in rows[0] if k != target]
    return [[float(r[k]) for k in features] for r in rows], [float(r[target]) for r in rows]


def soft(z: float, g: float) -> float:
    return math.copysign(max(abs(z) - g, 0.0), z)


def fit(xs: list[list[float]], ys: list[float], alpha: float, l1_ratio: float) -> list[float]:
    n, d = len(xs), len(xs[0])
    mean_y = sum(ys) / n
    w = [0.0] * d
    for _ in range(50):
        for j in range(d):
            resid = [
                y - mean_y - sum(w[k] * x[k] for k in range(d) if k != j)
                for x, y in zip(xs, ys, strict=True)
            ]
            rho = sum(x[j] * r for x, r in zip(xs, resid, strict=True)) / n
            norm = sum(x[j] ** 2 for x in xs) / n
            w[j] = soft(rho, alpha * l1_ratio) / (norm + alpha * (1 - l1_ratio))
    return [mean_y, *w]


def train_and_evaluate(config_path: str) -> None:
    config = read_params(config_path)
    target = config["base"]["target_col"]
    params = config["estimators"]["ElasticNet"]["params"]
    xs, ys = read(config["split_data"]["train_path"], target)
    tx, ty = read(config["split_data"]["test_path"], target)
    w = fit(xs, ys, params["alpha"], params["l1_ratio"])
    pred = [w[0] + sum(a * b for a, b in zip(w[1:], x, strict=True)) for x in tx]
    rmse = math.sqrt(sum((p - y) ** 2 for p, y in zip(pred, ty, strict=True)) / len(ty))
    mae = sum(abs(p - y) for p, y in zip(pred, ty, strict=True)) / len(ty)
    reports = config["reports"]
    os.makedirs(os.path.dirname(reports["scores"]), exist_ok=True)
    with open(reports["scores"], "w") as f:
        json.dump({"rmse": round(rmse, 9), "mae": round(mae, 9)}, f, indent=4)
    with open(reports["params"], "w") as f:
        json.dump({"alpha": params["alpha"], "l1_ratio": params["l1_ratio"]}, f, indent=4)
    os.makedirs(config["model_dir"], exist_ok=True)
    with open(os.path.join(config["model_dir"], "model.json"), "w") as f:
        json.dump({"intercept_and_coef": [round(v, 9) for v in w]}, f, indent=2)


if __name__ == "__main__":
    args = argparse.ArgumentParser()
    args.add_argument("--config", default="params.yaml")
    train_and_evaluate(config_path=args.parse_args().config)
