"""What train and evaluate share: reading a split and the model's score."""

import csv
import math
from pathlib import Path


def read_split(path: Path) -> list[tuple[list[float], int]]:
    with path.open() as f:
        rows = list(csv.reader(f))[1:]
    return [([float(a), float(b)], int(y)) for a, b, y in rows]


def score(weights: list[float], x: list[float]) -> float:
    z = weights[0] + sum(w * v for w, v in zip(weights[1:], x, strict=True))
    return 1 / (1 + math.exp(-z))
