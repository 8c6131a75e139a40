"""Score a table of wines with a trained model: one probability column per cultivar, the
predicted cultivar, and the true one when the table has it. Measurements are standardised
with the training set's statistics, as features.py does."""

import argparse
import csv
import pickle

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--train", required=True)
parser.add_argument("--model", required=True)
parser.add_argument("--input", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()


def load(path: str) -> tuple[list[str], np.ndarray, list[str]]:
    with open(path, newline="") as f:
        header, *rows = list(csv.reader(f))
    labelled = header[-1] == "class"
    names = header[:-1] if labelled else header
    x = np.array([[float(v) for v in row[: len(names)]] for row in rows])
    return names, x, [row[-1] for row in rows] if labelled else []


names, x_train, _ = load(args.train)
_, x, labels = load(args.input)
mean, std = x_train.mean(axis=0), x_train.std(axis=0)
with open(args.model, "rb") as f:
    model = pickle.load(f)
probabilities = model.predict_proba((x - mean) / std)
predicted = model.classes_[probabilities.argmax(axis=1)]
header = [*names, *(f"p_{c}" for c in model.classes_), "prediction"] + (["class"] if labels else [])
with open(args.out, "w", newline="") as f:
    out = csv.writer(f)
    out.writerow(header)
    for i in range(len(x)):
        row = [format(v, "g") for v in x[i]] + [f"{p:.6f}" for p in probabilities[i]]
        out.writerow(row + [predicted[i]] + ([labels[i]] if labels else []))
print(f"{len(x)} rows scored")
