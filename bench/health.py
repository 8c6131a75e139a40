#!/usr/bin/env python3
"""Benchmark ``solvent drift`` against Evidently's DataDriftPreset on the same Parquet files.

Run from the repository root (``make bench-health``)::

    .venv/bin/python bench/health.py [--rows N] [--runs N] [--workdir DIR]

Builds a 1,000,000-row x 20-column Parquet file (12 float, 3 int, 3 text, 2 boolean columns)
and a copy with 8 columns shifted, once, under ``bench/.work/health/``. Installs Evidently
into its own venv (``bench/.venv-evidently``) on first use. Then runs, taking turns, the two
whole processes a user would run: ``solvent drift REF CUR --json`` and a Python script that
reads both files with pandas and runs Evidently's ``Report([DataDriftPreset()])``, writing its
result as JSON. Prints the median wall time and peak memory (max RSS, from ``/usr/bin/time``)
of each, the ratio, and how far apart the two tools' per-column statistics are; then times
``solvent profile`` of the reference alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
EVIDENTLY_VENV = BENCH_DIR / ".venv-evidently"
# Evidently 0.7 still imports pandas internals that pandas 3 removed.
EVIDENTLY_PACKAGES = ["evidently", "pandas<3", "pyarrow"]

EVIDENTLY_SCRIPT = """
import json, sys, time
t0 = time.perf_counter()
import pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
ref, cur = pd.read_parquet(sys.argv[1]), pd.read_parquet(sys.argv[2])
snapshot = Report([DataDriftPreset()]).run(current_data=cur, reference_data=ref)
with open(sys.argv[3], "w") as f:
    json.dump(snapshot.dict(), f, default=str)
print(f"{time.perf_counter() - t0:.3f}")
"""


def make_data(rows: int, folder: Path) -> tuple[Path, Path]:
    ref, cur = folder / f"ref-{rows}.parquet", folder / f"cur-{rows}.parquet"
    if ref.exists() and cur.exists():
        return ref, cur
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir(parents=True, exist_ok=True)
    cities = np.array([f"city_{i}" for i in range(12)])

    def table(seed: int, shift: float) -> pa.Table:
        rng = np.random.default_rng(seed)
        cols: dict[str, object] = {}
        for i in range(12):  # the first 5 move by `shift` standard deviations
            cols[f"f{i}"] = rng.normal(i, 1 + i / 10, rows) + (shift * (1 + i / 10) if i < 5 else 0)
        for i in range(3):
            cols[f"n{i}"] = rng.integers(0, 1000 + (200 * shift if i == 0 else 0), rows)
        weights = np.linspace(1, 3, 12)
        for i in range(3):
            w = weights[::-1] if (i == 0 and shift) else weights
            cols[f"c{i}"] = cities[rng.choice(12, rows, p=w / w.sum())]
        for i in range(2):
            cols[f"b{i}"] = rng.random(rows) < (0.3 + (0.2 * shift if i == 0 else 0))
        return pa.table(cols)

    pq.write_table(table(1, 0.0), ref, row_group_size=128 * 1024)
    pq.write_table(table(2, 1.0), cur, row_group_size=128 * 1024)
    return ref, cur


def ensure_evidently() -> Path:
    python = EVIDENTLY_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(EVIDENTLY_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *EVIDENTLY_PACKAGES], check=True
        )
    return python


def timed(cmd: list[str], out: Path | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MiB (``/usr/bin/time -f %M``), and stdout."""
    rss_file = out.with_suffix(".rss") if out else Path("/tmp/solvent-bench.rss")
    start = time.perf_counter()
    proc = subprocess.run(
        ["/usr/bin/time", "-f", "%M", "-o", str(rss_file), *cmd],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - start
    if proc.returncode not in (0, 3):  # 3: solvent found drift
        sys.exit(f"{cmd[0]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    if out is not None and proc.stdout.strip() and not out.exists():
        out.write_text(proc.stdout)
    return wall, int(rss_file.read_text().split()[-1]) / 1024, proc.stdout


STAT_TOLERANCE = 1e-6  # the same test on the same data: only float rounding may differ
SPEED_TARGET = 5.0


def compare(solvent_json: Path, evidently_json: Path) -> tuple[int, float]:
    """Columns both tools tested with the same method, and their largest difference."""
    ours = {c["name"]: c for c in json.loads(solvent_json.read_text())["columns"]}
    methods = {
        "Wasserstein distance (normed)": "wasserstein",
        "Jensen-Shannon distance": "jensenshannon",
    }
    worst, n = 0.0, 0
    for metric in json.loads(evidently_json.read_text())["metrics"]:
        name = metric["metric_name"]
        if not name.startswith("ValueDrift("):
            continue
        column = metric["config"]["column"]
        if methods.get(metric["config"]["method"]) == ours[column]["test"]:
            worst = max(worst, abs(float(metric["value"]) - ours[column]["statistic"]))
            n += 1
    return n, worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=BENCH_DIR / ".work" / "health")
    parser.add_argument("--solvent", default=str(ROOT / ".venv" / "bin" / "solvent"))
    args = parser.parse_args()
    work = args.workdir.resolve()
    ref, cur = make_data(args.rows, work)
    python = ensure_evidently()
    script = work / "evidently_drift.py"
    script.write_text(EVIDENTLY_SCRIPT)
    version = subprocess.run(
        [str(python), "-c", "import evidently; print(evidently.__version__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    print(f"{args.rows:,} rows x 20 columns, {args.runs} runs each, Evidently {version}")
    runs: dict[str, list[tuple[float, float]]] = {"solvent": [], "evidently": []}
    inside: list[float] = []
    ours_json, theirs_json = work / "solvent.json", work / "evidently.json"
    for path in (ours_json, theirs_json):
        path.unlink(missing_ok=True)
    for i in range(args.runs):
        wall, rss, _ = timed([args.solvent, "drift", str(ref), str(cur), "--json"], ours_json)
        runs["solvent"].append((wall, rss))
        print(f"  run {i + 1}: solvent   {wall:7.2f} s  {rss:7.0f} MiB", flush=True)
        cmd = [str(python), str(script), str(ref), str(cur), str(theirs_json)]
        wall, rss, stdout = timed(cmd)
        runs["evidently"].append((wall, rss))
        inside.append(float(stdout.strip().splitlines()[-1]))
        print(f"  run {i + 1}: evidently {wall:7.2f} s  {rss:7.0f} MiB", flush=True)
    for i in range(args.runs):  # the profile alone (Solvent only): memory bounded by a row group
        wall, rss, _ = timed([args.solvent, "profile", str(ref), "--json"])
        runs.setdefault("profile", []).append((wall, rss))
        print(f"  run {i + 1}: solvent profile {wall:5.2f} s  {rss:7.0f} MiB", flush=True)
    med = {k: statistics.median(w for w, _ in v) for k, v in runs.items()}
    peak = {k: max(r for _, r in v) for k, v in runs.items()}
    n, worst = compare(ours_json, theirs_json)
    print(
        f"median wall: solvent {med['solvent']:.2f} s, evidently {med['evidently']:.2f} s "
        f"(its own timer: {statistics.median(inside):.2f} s)"
    )
    print(f"peak memory: solvent {peak['solvent']:.0f} MiB, evidently {peak['evidently']:.0f} MiB")
    print(f"solvent profile of the reference: {med['profile']:.2f} s, {peak['profile']:.0f} MiB")
    print(
        f"evidently / solvent: {med['evidently'] / med['solvent']:.1f}x "
        f"(target ≥ {SPEED_TARGET:g}x)"
    )
    print(f"same statistics: {n} columns tested alike, largest difference {worst:.2e}")
    failures = []
    if n == 0:
        failures.append("no column was tested alike by both tools: nothing was compared")
    elif worst > STAT_TOLERANCE:
        failures.append(f"statistics differ by {worst:.2e} (tolerance {STAT_TOLERANCE:g})")
    if med["evidently"] / med["solvent"] < SPEED_TARGET:
        failures.append(f"evidently / solvent below the {SPEED_TARGET:g}x target")
    (work / "results.json").write_text(
        json.dumps(
            {
                "rows": args.rows,
                "median_s": med,
                "peak_mib": peak,
                "evidently": version,
                "columns_compared": n,
                "max_difference": worst,
            },
            indent=2,
        )
    )
    if failures:
        sys.exit("FAILED: " + "; ".join(failures))


if __name__ == "__main__":
    main()
