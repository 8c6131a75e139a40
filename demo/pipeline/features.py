"""Standardise the measurements with statistics learned on the training set only."""

import argparse
import csv
from pathlib import Path

import numpy as np

parser = argparse.ArgumentParser()
parser.add_argument("--prepared", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()


def load(path):
    with open(path, newline="") as f:
        _header, *rows = list(csv.reader(f))
    x = np.array([[float(v) for v in row[:-1]] for row in rows])
    y = np.array([row[-1] for row in rows])  # the cultivar's name, e.g. class_0
    return x, y


x_train, y_train = load(Path(args.prepared) / "train.csv")
x_test, y_test = load(Path(args.prepared) / "test.csv")
mean, std = x_train.mean(axis=0), x_train.std(axis=0)
np.savez(
    args.out,
    x_train=(x_train - mean) / std,
    y_train=y_train,
    x_test=(x_test - mean) / std,
    y_test=y_test,
)
print(f"{x_train.shape[1]} features standardised")
