#!/usr/bin/env python3
"""Benchmark ``solvent repro`` on Dask against the local executor.

Run from the repository root (``make bench-dask``)::

    .venv/bin/python bench/dask.py [--runs N] [--workers N]

Three pipelines: the demo (``demo/pipeline``, scikit-learn on the wine data), an 8-stage
fan-out (eight independent stages of ~0.3 s of Python each, on one shared input), and the same
fan-out doing no work (what a stage costs beyond its command). Each is run from scratch (a
fresh copy of the project, empty cache and remote) with

- ``local``: the local executor, ``--jobs N``;
- ``dask``: ``--executor dask --jobs N``, which starts a LocalCluster of N worker processes;
- ``dask-warm``: ``--executor dask --scheduler-address`` of a LocalCluster of N worker processes
  that this script started once, so cluster start-up is not counted.

Reported: the median wall time of the whole ``solvent repro`` command, and the overhead per
stage, ``(dask-warm - local) / stages`` in ms (what moving inputs and outs through the remote,
the scratch folder and the task round trip cost a stage, the cluster already up).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
# This file is named dask.py: keep its folder off the path, or `import dask` would find it.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != BENCH_DIR]
ROOT = BENCH_DIR.parent
WORK = BENCH_DIR / ".work" / "dask"
FANOUT = 8


def env() -> dict[str, str]:
    found = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    found["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{found.get('PATH', '')}"
    for role in ("AUTHOR", "COMMITTER"):
        found[f"GIT_{role}_NAME"], found[f"GIT_{role}_EMAIL"] = "bench", "bench@solvent.invalid"
    return found


def sh(cwd: Path, *args: str) -> None:
    subprocess.run(args, cwd=cwd, env=env(), check=True, capture_output=True)


def solvent(cwd: Path, *args: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "solvent", *args], cwd=cwd, env=env(),
                          capture_output=True, text=True, check=False)  # fmt: skip
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"solvent {' '.join(args)} failed in {cwd}:\n{proc.stdout}{proc.stderr}")
    return took


def project(name: str, fill: str) -> Path:
    """A git repo with Solvent, a folder remote and a pipeline; built once, copied per run."""
    root = WORK / f"{name}-template"
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    sh(root, "git", "init", "-q", "-b", "main")
    solvent(root, "init")
    solvent(root, "remote", "add", "--default", "store", "../remote")
    if fill == "demo":
        demo(root)
    else:
        fanout(root, 0.3 if fill == "fanout" else 0.0)
    sh(root, "git", "add", "-A")
    sh(root, "git", "commit", "-q", "-m", "pipeline")
    return root


def demo(root: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from demo.run_demo import load_wine_rows, write_csv

    for item in (ROOT / "demo" / "pipeline").iterdir():
        shutil.copy(item, root / item.name)
    write_csv(root / "data" / "raw" / "wine.csv", *load_wine_rows())


def fanout(root: Path, seconds: float = 0.3) -> None:
    (root / "input.txt").write_text("x" * 100_000)
    (root / "work.py").write_text(
        "import sys, time\n"
        "start = time.process_time()\n"
        f"while time.process_time() - start < {seconds}:\n"
        "    pass\n"
        "open(sys.argv[2], 'w').write(str(len(open(sys.argv[1]).read())))\n"
    )
    lines = ["stages:"]
    for i in range(FANOUT):
        lines += [
            f"  part{i}:",
            f"    cmd: python work.py input.txt out{i}.txt",
            "    deps: [work.py, input.txt]",
            f"    outs: [out{i}.txt]",
        ]
    (root / "solvent.yaml").write_text("\n".join(lines) + "\n")


def fresh(template: Path) -> Path:
    run = WORK / "run"
    for path in (run, WORK / "remote"):
        if path.exists():
            shutil.rmtree(path)
    shutil.copytree(template, run)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    options = parser.parse_args()
    import distributed

    n = str(options.workers)
    os.environ["PATH"] = env()["PATH"]  # the workers started below run `python` too
    WORK.mkdir(parents=True, exist_ok=True)
    with distributed.LocalCluster(
        n_workers=options.workers, threads_per_worker=1, processes=True, host="127.0.0.1",
        dashboard_address=None, local_directory=str(WORK / "workers"), silence_logs=40,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},  # health routes: any free port
    ) as cluster:  # fmt: skip
        address = str(cluster.scheduler_address)
        variants = {
            "local": ["repro", "--jobs", n],
            "dask": ["repro", "--jobs", n, "--executor", "dask"],
            "dask-warm": ["repro", "--jobs", n, "--executor", "dask", "--scheduler-address",
                          address],
        }  # fmt: skip
        print(f"{options.workers} workers, {os.cpu_count()} cores, median of {options.runs} runs")
        print("| pipeline | stages | local s | dask s | dask-warm s | overhead ms/stage |")
        print("|---|---|---|---|---|---|")
        pipelines = (("demo", 5, "demo"), (f"fan-out {FANOUT}", FANOUT, "fanout"),
                     (f"no-op fan-out {FANOUT}", FANOUT, "noop"))  # fmt: skip
        for name, stages, fill in pipelines:
            template = project(fill, fill)
            times: dict[str, list[float]] = {v: [] for v in variants}
            for _ in range(options.runs):
                for variant, args in variants.items():  # in alternation
                    times[variant].append(solvent(fresh(template), *args))
            med = {v: statistics.median(t) for v, t in times.items()}
            overhead = (med["dask-warm"] - med["local"]) / stages * 1000
            print(f"| {name} | {stages} | {med['local']:.2f} | {med['dask']:.2f} | "
                  f"{med['dask-warm']:.2f} | {overhead:.0f} |", flush=True)  # fmt: skip


if __name__ == "__main__":
    main()
