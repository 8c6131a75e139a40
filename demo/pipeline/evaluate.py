"""Score every model on the held-out test set and write the metrics as JSON."""

import argparse
import json
import pickle

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

parser = argparse.ArgumentParser()
parser.add_argument("--features", required=True)
parser.add_argument("--models", nargs="+", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

data = np.load(args.features)
metrics = {}
for path in args.models:
    with open(path, "rb") as f:
        model = pickle.load(f)
    predicted = model.predict(data["x_test"])
    name = path.rsplit("/", 1)[-1].removesuffix(".pkl")
    metrics[name] = {
        "accuracy": round(float(accuracy_score(data["y_test"], predicted)), 4),
        "f1_macro": round(float(f1_score(data["y_test"], predicted, average="macro")), 4),
    }
with open(args.out, "w") as f:
    json.dump(metrics, f, indent=2)
print(json.dumps(metrics))
