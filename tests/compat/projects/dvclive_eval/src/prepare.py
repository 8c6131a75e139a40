"""Split the raw rows into train and test, reading its params from params.yaml itself."""

import csv
import random
import sys
from pathlib import Path

import yaml

params = yaml.safe_load(Path("params.yaml").read_text())["prepare"]
raw, out = Path(sys.argv[1]), Path(sys.argv[2])
with raw.open() as f:
    rows = list(csv.reader(f))
header, body = rows[0], rows[1:]
random.Random(params["seed"]).shuffle(body)
cut = int(len(body) * params["split"])
out.mkdir(parents=True, exist_ok=True)
for name, part in (("test.csv", body[:cut]), ("train.csv", body[cut:])):
    with (out / name).open("w", newline="") as f:
        csv.writer(f).writerows([header, *part])
