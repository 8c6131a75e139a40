"""Ridge regression on standardised features by the normal equations (plain Python)."""

import json
from pathlib import Path

from src.utils import params, read_rows


def solve(a: list[list[float]], b: list[float]) -> list[float]:
    n = len(b)
    m = [[*row, v] for row, v in zip(a, b, strict=True)]
    for i in range(n):
        pivot = max(range(i, n), key=lambda r: abs(m[r][i]))
        m[i], m[pivot] = m[pivot], m[i]
        for r in range(n):
            if r != i:
                f = m[r][i] / m[i][i]
                m[r] = [x - f * y for x, y in zip(m[r], m[i], strict=True)]
    return [m[i][n] / m[i][i] for i in range(n)]


def main() -> None:
    ridge = params("model")["ridge"]
    train = read_rows("data/processed/train.csv")
    test = read_rows("data/processed/test.csv")
    names = ["age", "km", "diesel"]
    cols = [[float(r[k]) for r in train] for k in names]
    means = [sum(c) / len(c) for c in cols]
    sds = [(sum((v - m) ** 2 for v in c) / len(c)) ** 0.5 for c, m in zip(cols, means, strict=True)]

    def x(r: dict[str, str]) -> list[float]:
        return [(float(r[k]) - m) / s for k, m, s in zip(names, means, sds, strict=True)]

    xs, ys = [x(r) for r in train], [float(r["price"]) / 1e5 for r in train]
    mean_y = sum(ys) / len(ys)
    a = [
        [sum(v[i] * v[j] for v in xs) + (ridge if i == j else 0) for j in range(3)]
        for i in range(3)
    ]
    b = [sum(v[i] * (y - mean_y) for v, y in zip(xs, ys, strict=True)) for i in range(3)]
    w = solve(a, b)
    err = [
        mean_y + sum(c * v for c, v in zip(w, x(r), strict=True)) - float(r["price"]) / 1e5
        for r in test
    ]
    Path("models").mkdir(exist_ok=True)
    Path("models/model.json").write_text(json.dumps({"coef": [round(c, 9) for c in w]}) + "\n")
    mae = sum(abs(e) for e in err) / len(err)
    Path("metrics.json").write_text(json.dumps({"mae_lakh": round(mae, 6)}) + "\n")


if __name__ == "__main__":
    main()
