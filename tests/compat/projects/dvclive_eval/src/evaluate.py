"""Evaluation logged with dvclive, as in DVC's get-started project (``dvcyaml=False``: the
top-level metrics and plots of dvc.yaml name what it writes)."""

import json
import os
import sys
from pathlib import Path

from common import read_split, score
from dvclive import Live

model, data = Path(sys.argv[1]), Path(sys.argv[2])
weights = json.loads(model.read_text())["weights"]
test = read_split(data / "test.csv")
probs = [(score(weights, x), y) for x, y in test]

with Live("eval", dvcyaml=False) as live:
    live.log_params({"threshold_steps": 5, "rows": len(test)})
    for step, threshold in enumerate([0.3, 0.4, 0.5, 0.6, 0.7]):
        hits = sum((p > threshold) == bool(y) for p, y in probs)
        live.log_metric("accuracy", round(hits / len(probs), 6))
        if step < 4:
            live.next_step()
    bins: dict[int, list[int]] = {}
    for p, y in probs:
        bins.setdefault(min(int(p * 5), 4), []).append(y)
    points = [
        {"predicted": (b + 0.5) / 5, "observed": round(sum(ys) / len(ys), 6)}
        for b, ys in sorted(bins.items())
    ]
    live.log_plot("calibration", points, x="predicted", y="observed", template="linear")

# What the stage was told about the pipeline it runs in (DVC sets these for every stage).
root = os.environ.get("DVC_ROOT")
probe = {
    "DVC_STAGE": os.environ.get("DVC_STAGE"),
    "DVC_ROOT is the repo": root is not None and os.path.samefile(root, "."),
}
Path("eval/pipeline_env.json").write_text(json.dumps(probe, indent=2) + "\n")
