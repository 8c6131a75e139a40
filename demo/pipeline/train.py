"""Train one model on the features; every hyper-parameter comes from the command line."""

import argparse
import pickle

import numpy as np
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression

parser = argparse.ArgumentParser()
parser.add_argument("--features", required=True)
parser.add_argument("--model", choices=["logreg", "forest"], required=True)
parser.add_argument("--out", required=True)
parser.add_argument("--C", type=float, default=1.0)
parser.add_argument("--n-estimators", type=int, default=100)
parser.add_argument("--max-depth", type=int, default=None)
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

data = np.load(args.features)
if args.model == "logreg":
    model = LogisticRegression(C=args.C, max_iter=1000)
else:
    model = RandomForestClassifier(
        n_estimators=args.n_estimators, max_depth=args.max_depth, random_state=args.seed
    )
model.fit(data["x_train"], data["y_train"])
with open(args.out, "wb") as f:
    pickle.dump(model, f)
print(f"{args.model}: trained on {len(data['y_train'])} rows")
