#!/usr/bin/env python3
"""A/B: one Solvent command timed for the working tree's code and for a git revision's.

    .venv/bin/python bench/ab.py REV [--case add-20k|add-1g|status-noop] [--pairs N]

``REV``'s ``src/solvent`` is exported to a temp folder and put first on ``PYTHONPATH``; the
working tree's code runs through the venv's editable install. The two take turns (old, new,
old, new...), each in a fresh repo with its data copied in and synced beforehand (untimed), so
both see the same machine state. Prints each side's wall and CPU (user + system) medians.
Uses `bench/run.py`'s data (built on first use). As there, repos holding the 20k files
are kept until the end and then deleted, and the deletion is stamped (see its `settle`).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import BENCH_DIR, GIT, ROOT, Data, base_env, build_data, remove_runs, rmtree, settle

SOLVENT = ROOT / ".venv" / "bin" / "solvent"


def prepare(case: str, repo: Path, data: Data) -> None:
    """An initialized repo holding the case's data, as the timed command expects it."""
    repo.mkdir(parents=True)
    quiet = {"check": True, "capture_output": True}
    subprocess.run([*GIT, "init", "-q"], cwd=repo, **quiet)
    subprocess.run([str(SOLVENT), "init"], cwd=repo, **quiet)
    if case == "add-1g":
        subprocess.run(["cp", str(data.big), "big.bin"], cwd=repo, **quiet)
    else:
        subprocess.run(["cp", "-r", str(data.folder), "files"], cwd=repo, **quiet)
    if case == "status-noop":
        subprocess.run([str(SOLVENT), "add", "files"], cwd=repo, **quiet)


def command(case: str) -> list[str]:
    return {
        "add-20k": [str(SOLVENT), "add", "files"],
        "add-1g": [str(SOLVENT), "add", "big.bin"],
        "status-noop": [str(SOLVENT), "status"],
    }[case]


def timed(argv: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("rev", help="the git revision to compare the working tree with")
    p.add_argument("--case", choices=["add-20k", "add-1g", "status-noop"], default="add-20k")
    p.add_argument("--pairs", type=int, default=9)
    p.add_argument("--workdir", type=Path, default=BENCH_DIR / ".work")
    args = p.parse_args()
    workdir = args.workdir.resolve()
    data = build_data(workdir, 1024, 20000)  # bench/run.py's full-mode data, reused if built
    runs = workdir / "ab-runs"
    remove_runs(runs)
    settle(workdir)

    env = base_env()  # as bench/run.py runs tools: compiled, with a git identity
    results: dict[str, tuple[list[float], list[float]]] = {"old": ([], []), "new": ([], [])}
    with tempfile.TemporaryDirectory(prefix="solvent-ab-") as tmp:
        archive = subprocess.run(
            ["git", "archive", args.rev, "src/solvent"], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        sides = {"old": {**env, "PYTHONPATH": f"{tmp}/src"}, "new": env}
        try:
            for i in range(args.pairs):
                for name, side_env in sides.items():
                    repo = runs / f"{name}-{i}"
                    prepare(args.case, repo, data)
                    os.sync()
                    wall, cpu = timed(command(args.case), repo, side_env)
                    results[name][0].append(wall)
                    results[name][1].append(cpu)
                    if args.case == "add-1g":  # as bench/run.py: 2 GiB of page cache freed for
                        rmtree(repo)  # the next run, not fresh memory (slow on first touch)
                        os.sync()
                    print(f"  pair {i + 1}/{args.pairs}  {name}  {wall:.3f} s", flush=True)
        finally:
            remove_runs(runs)
    print(f"\n{args.case}: {args.rev} (old) against the working tree (new), medians")
    for name, (walls, cpus) in results.items():
        print(
            f"  {name}  wall {statistics.median(walls):.3f} s  cpu {statistics.median(cpus):.3f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
