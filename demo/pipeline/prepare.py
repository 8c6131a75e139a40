"""Split the raw wine table into train and test sets (stratified, reproducible)."""

import argparse
import csv
from pathlib import Path

from sklearn.model_selection import train_test_split

parser = argparse.ArgumentParser()
parser.add_argument("--input", required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--test-size", type=float, required=True)
parser.add_argument("--seed", type=int, required=True)
args = parser.parse_args()

with open(args.input, newline="") as f:
    header, *rows = list(csv.reader(f))
labels = [row[-1] for row in rows]
train, test = train_test_split(
    rows, test_size=args.test_size, random_state=args.seed, stratify=labels
)
out = Path(args.out)
out.mkdir(parents=True, exist_ok=True)
for name, part in (("train.csv", train), ("test.csv", test)):
    with open(out / name, "w", newline="") as f:
        csv.writer(f).writerows([header, *part])
print(f"train: {len(train)} rows, test: {len(test)} rows")
