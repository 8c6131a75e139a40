#!/usr/bin/env python3
"""What tracing adds to a stage's run time (``make bench-audit``).

Run from the repository root::

    .venv/bin/python bench/audit_hook.py [--runs N] [--rows N]

The stage is a realistic small training script, run as ``repro`` runs it (``/bin/sh -c``):
it imports pandas and scikit-learn, reads a CSV of ``--rows`` rows (default 100,000; made once
in ``bench/.work/audit/``), fits a logistic regression and pickles the model. It runs ``--runs``
times (default 15) in each of these ways, taking turns (plain, audit, strace, plain, ...) so a
busy neighbour slows all of them alike:

- ``plain``: no tracing;
- ``audit``: the audit hook loaded at start-up (``PYTHONPATH``): what the default trace mode,
  ``auto``, does for a Python stage (and ``audit`` for any stage);
- ``audit+strace``: the hook and ``strace -ff`` with seccomp-bpf: what ``full`` does (and
  ``auto`` for a stage that runs something besides Python).

Printed: the median wall and CPU time of each, the overhead of each against ``plain`` (target:
audit under 5%), the median of the per-turn overheads (each turn runs every way back to back,
so this pairs runs that saw the same load), the spread, the load average, and what reading and
judging one trace costs the scheduler afterwards.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work" / "audit"
sys.path.insert(0, str(ROOT / "src"))

from solvent.pipeline.spec.model import Out, Stage  # noqa: E402
from solvent.pipeline.tracing import access  # noqa: E402
from solvent.pipeline.tracing import watch as tracing  # noqa: E402

STAGE = """\
import pickle

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

df = pd.read_csv("data/train.csv")
X = df.drop(columns="label").to_numpy()
y = df["label"].to_numpy()
model = LogisticRegression(max_iter=200).fit(X, y)
with open("model.pkl", "wb") as f:
    pickle.dump(model, f)
with open("metrics.txt", "w") as f:
    f.write(f"accuracy {model.score(X, y):.4f}\\n")
"""


def make_project(rows: int) -> Path:
    project = WORK / f"project-{rows}"
    data = project / "data" / "train.csv"
    if not data.exists():
        import numpy as np

        data.parent.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(rows, 12))
        label = (x[:, 0] + 0.5 * x[:, 1] + rng.normal(scale=0.5, size=rows) > 0).astype(int)
        header = ",".join(f"f{i}" for i in range(12)) + ",label\n"
        tmp = data.with_suffix(".tmp")
        with tmp.open("w") as f:
            f.write(header)
            np.savetxt(f, np.column_stack([x, label]), delimiter=",", fmt="%.6f")
        tmp.replace(data)
    (project / "train.py").write_text(STAGE)
    return project


def run_once(project: Path, how: str, strace: str | None) -> tuple[float, float, Path | None]:
    """Wall seconds, CPU seconds (user + system of the command and its children, strace
    included) and the trace folder of one run."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SOLVENT_TRACE_DIR")}
    cmd = f"{sys.executable} train.py"
    argv: list[str] = ["/bin/sh", "-c", cmd]
    folder: Path | None = None
    if how != "plain":
        folder = Path(tempfile.mkdtemp(prefix="solvent-bench-trace-"))
        trace = tracing.Trace(folder, strace if how == "audit+strace" else None)
        env = tracing.trace_env(env, trace)
        argv = tracing.wrapped(cmd, trace) or argv
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=project, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, folder


def judge_cost(project: Path, folder: Path, strace: str | None) -> tuple[float, int]:
    """Seconds the scheduler spends reading and judging one trace; events it read."""
    stage = Stage("train", ("python train.py",), Path("."),  # type: ignore[arg-type]
                  deps=(Path("data/train.csv"),), outs=(Out(Path("model.pkl")),))  # type: ignore[arg-type]  # fmt: skip
    start = time.perf_counter()
    events = tracing.read_events(tracing.Trace(folder, strace), project)
    roots = access.repo_roots(str(project))

    def kind_of(rel: object) -> str:
        path = project / str(rel)
        return "dir" if path.is_dir() else "file" if path.exists() else ""

    access.judge(access.observe(events, roots, kind_of), stage, "bench")  # type: ignore[arg-type]
    return time.perf_counter() - start, len(events)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    strace = tracing.usable_strace()
    ways = ["plain", "audit"] + (["audit+strace"] if strace else [])
    project = make_project(args.rows)
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, strace: {strace or 'none'}")
    load_before = os.getloadavg()
    for how in ways:  # warm-up: page cache, bytecode
        _, _, folder = run_once(project, how, strace)
        if folder:
            shutil.rmtree(folder)
    times: dict[str, list[float]] = {how: [] for how in ways}
    cpus: dict[str, list[float]] = {how: [] for how in ways}
    judged: dict[str, tuple[float, int]] = {}
    for i in range(args.runs):
        for how in ways if i % 2 == 0 else reversed(ways):
            took, cpu, folder = run_once(project, how, strace)
            times[how].append(took)
            cpus[how].append(cpu)
            if folder:
                judged[how] = judge_cost(project, folder, strace if how != "audit" else None)
                shutil.rmtree(folder)
    load_after = os.getloadavg()
    base = statistics.median(times["plain"])
    base_cpu = statistics.median(cpus["plain"])
    print(f"{args.runs} runs each, {args.rows:,} rows, taking turns; load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after")  # fmt: skip
    print(f"{'way':<14}{'wall s':>8}{'min-max s':>14}{'overhead':>10}"
          f"{'cpu s':>8}{'overhead':>10}{'judge ms':>10}{'events':>8}")  # fmt: skip
    for how in ways:
        med, cpu = statistics.median(times[how]), statistics.median(cpus[how])
        spread = f"{min(times[how]):.2f}-{max(times[how]):.2f}"
        over = "" if how == "plain" else f"{100 * (med - base) / base:+.1f}%"
        over_cpu = "" if how == "plain" else f"{100 * (cpu - base_cpu) / base_cpu:+.1f}%"
        cost = f"{1000 * judged[how][0]:.1f}" if how in judged else ""
        seen = str(judged[how][1]) if how in judged else ""
        print(f"{how:<14}{med:>8.3f}{spread:>14}{over:>10}{cpu:>8.3f}{over_cpu:>10}"
              f"{cost:>10}{seen:>8}")  # fmt: skip
    for how in ways[1:]:
        paired = [100 * (t - p) / p for t, p in zip(times[how], times["plain"], strict=True)]
        print(f"{how}: median of per-turn wall overheads {statistics.median(paired):+.1f}%")
    audit = 100 * (statistics.median(times["audit"]) - base) / base
    audit_cpu = 100 * (statistics.median(cpus["audit"]) - base_cpu) / base_cpu
    verdict = "PASS" if audit < 5 else "MISS"
    print(
        f"audit hook overhead: wall {audit:+.1f}%, cpu {audit_cpu:+.1f}% "
        f"(target < 5% of wall time): {verdict}"
    )
    if load_before[0] > 1 or load_after[0] > 1:
        print("note: the machine was busy; wall times are noisy, cpu times less so")


if __name__ == "__main__":
    main()
