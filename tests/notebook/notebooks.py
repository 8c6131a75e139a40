"""Three small notebooks, as people write them: a data prep (a CSV in, a cleaner CSV out), a
training with a papermill parameters cell (a model and a metrics file out), and one with
magics and shell lines. Built with nbformat; run top to bottom with nbclient."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

RAW_CSV = "x,y\n1,2.1\n2,3.9\n,5.0\n3,6.2\n4,8.1\n5,9.8\n"

PREP = [
    ("code", "import csv"),
    ("markdown", "# Clean the raw table\nRows without an `x` are dropped."),
    ("code", 'with open("data/raw.csv", newline="") as raw:\n'
             '    rows = list(csv.DictReader(raw))\n'
             'kept = [r for r in rows if r["x"]]\n'
             'len(kept)'),
    ("code", 'with open("data/clean.csv", "w", newline="") as clean:\n'
             '    writer = csv.DictWriter(clean, fieldnames=["x", "y"], lineterminator="\\n")\n'
             "    writer.writeheader()\n"
             "    writer.writerows(kept)"),
]  # fmt: skip

TRAIN = [
    ("parameters", "slope_scale = 1.5  # multiplies the fitted slope\n"
                   "digits = 4\n"
                   'model_name = "line"\n'
                   "verbose = False"),
    ("code", "import csv\nimport json\nimport pickle\nimport statistics"),
    ("markdown", "## Fit a line\nLeast squares, by `statistics.linear_regression`."),
    ("code", "def fit(xs: list[float], ys: list[float]) -> tuple[float, float]:\n"
             "    slope, intercept = statistics.linear_regression(xs, ys)\n"
             "    return slope * slope_scale, intercept\n"),
    ("code", 'with open("data/clean.csv", newline="") as table:\n'
             "    rows = list(csv.DictReader(table))\n"
             'xs = [float(r["x"]) for r in rows]\n'
             'ys = [float(r["y"]) for r in rows]\n'
             "slope, intercept = fit(xs, ys)\n"
             "if verbose:\n"
             '    print(slope, intercept)'),
    ("code", 'NOTE = """fitted on\n  data/clean.csv"""\n'
             'with open("model.pkl", "wb") as model_file:\n'
             '    pickle.dump({"name": model_name, "slope": slope, "intercept": intercept,\n'
             '                 "note": NOTE}, model_file)\n'
             "mse = statistics.fmean((y - (slope * x + intercept)) ** 2 for x, y in zip(xs, ys))\n"
             'with open("metrics.json", "w") as metrics:\n'
             '    json.dump({"mse": round(mse, digits)}, metrics)'),
]  # fmt: skip

MAGIC = [
    ("code", "%matplotlib inline\nimport csv"),
    ("code", "!ls data\nfiles = !ls\nrows = 3"),
    ("code", "%%time\ntotal = sum(range(10))"),
    ("code", "%%bash\necho hi"),
]  # fmt: skip


def write_notebook(path: Path, cells: list[tuple[str, str]]) -> Path:
    nb = new_notebook()
    for kind, source in cells:
        if kind == "markdown":
            nb.cells.append(new_markdown_cell(source))
        elif kind == "parameters":
            nb.cells.append(new_code_cell(source, metadata={"tags": ["parameters"]}))
        else:
            nb.cells.append(new_code_cell(source))
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def execute(path: Path) -> None:
    """Run the notebook top to bottom in its folder, as Jupyter's 'Run All' would."""
    from nbclient import NotebookClient

    nb = nbformat.read(str(path), as_version=4)
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()  # fmt: skip
