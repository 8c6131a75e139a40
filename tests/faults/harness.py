"""The kill -9 harness: run a writing command, kill its whole process group at a random moment,
then judge what is left the way a user would meet it.

Each trial is judged on four counts, which make the table ``make faults`` prints:

- **corrupt**: an object in the cache (or on a folder remote) whose bytes do not hash to its name;
- **needs force**: the rerun of the same command, without ``--force``, did not succeed;
- **temp left**: a temp file of Solvent's is still in the workspace or the cache after the rerun;
- **lost**: after the rerun the data is not byte for byte what the command was to produce.

A trial counts as **interrupted** only when the kill landed before the command exited; a
scenario whose kills all came too late would prove nothing, so the tests demand some.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from blake3 import blake3

from tests.helpers import bad_objects, solvent

SCENARIOS = 8  # test_kills.py's: add (2), repro, push, pull, checkout (2), gc
# Kills in all, shared by the scenarios: 16 in CI, `make faults` asks for 200.
KILLS = int(os.environ.get("SOLVENT_FAULT_KILLS", str(2 * SCENARIOS)))
TRIALS = max(1, -(-KILLS // SCENARIOS))
SEED = int(os.environ.get("SOLVENT_FAULT_SEED", "0")) or int.from_bytes(os.urandom(4))


@dataclass
class Outcome:
    """The tally of one scenario's trials."""

    scenario: str
    trials: int = 0
    interrupted: int = 0
    corrupt: int = 0
    needs_force: int = 0
    temp_left: int = 0
    lost: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.corrupt or self.needs_force or self.temp_left or self.lost)


RESULTS: list[Outcome] = []


@dataclass
class Scenario:
    """A command to kill, and what a trial needs around it.

    ``reset`` puts back the work for the next run (it is called before every run, the timed
    first one included); ``verify`` raises AssertionError when the data the command was to
    produce is not there byte for byte; ``stores`` are the object stores to check for corrupt
    objects (the repo's cache, a folder remote).
    """

    name: str
    cwd: Path
    args: tuple[str, ...]
    reset: Callable[[random.Random], None]
    verify: Callable[[], None]
    stores: tuple[Path, ...]
    temp_roots: tuple[Path, ...]


def corrupt_objects(store: Path) -> list[str]:
    """Objects under ``store/blake3`` whose bytes do not hash to their name."""
    if (store / ".solvent").is_dir():  # a repo: its cache, if the killed command made one
        return bad_objects(store) if (store / ".solvent/cache/blake3").is_dir() else []
    bad = []
    objects = store / "blake3"
    if not objects.is_dir():
        return bad
    for prefix in sorted(os.listdir(objects)):
        for rest in sorted(os.listdir(objects / prefix)):
            path = objects / prefix / rest
            if rest.endswith(".tmp"):
                continue  # a temp file is not an object; counted apart
            if blake3(path.read_bytes()).hexdigest() != prefix + rest:
                bad.append(f"{prefix}/{rest}")
    return bad


def temp_files(root: Path) -> list[str]:
    """Solvent's temp files under ``root`` (git's own folder aside): anything named ``*.tmp``,
    and whatever is in the cache's temp folder."""
    found = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        in_tmp = Path(folder).name == "tmp" and Path(folder).parent.name == "cache"
        for name in files:
            if in_tmp or name.endswith(".tmp"):
                found.append(os.path.relpath(os.path.join(folder, name), root))
    return found


def run_killed(scenario: Scenario, delay: float) -> tuple[bool, float]:
    """Start the command and kill its process group after ``delay`` s; (killed, seconds)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "solvent", *scenario.args],
        cwd=scenario.cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # stages it starts die with it, as on a power cut
    )
    try:
        proc.wait(timeout=delay)
        return False, time.monotonic() - started
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        return True, time.monotonic() - started


def timed_run(scenario: Scenario) -> float:
    """One uninterrupted run (after a reset): how long the command takes today (its check
    afterwards not counted)."""
    started = time.monotonic()
    proc = solvent(scenario.cwd, *scenario.args)
    took = time.monotonic() - started
    assert proc.returncode == 0, f"{scenario.name}: {proc.stdout}{proc.stderr}"
    scenario.verify()
    return took


def run_trials(scenario: Scenario, trials: int = TRIALS, seed: int = SEED) -> Outcome:
    """Kills at random moments of ``scenario``'s command until ``trials`` of them landed
    while it ran (at most three times as many tries), each judged after a rerun."""
    rng = random.Random(f"{seed}-{scenario.name}")
    outcome = Outcome(scenario.name)
    scenario.reset(rng)
    full = timed_run(scenario)
    for trial in range(3 * trials):
        if outcome.interrupted >= trials:
            break
        scenario.reset(rng)
        # Most of the first tenth is the interpreter starting: aim the kills past it.
        delay = rng.uniform(0.1 * full, 0.95 * full)
        killed, took = run_killed(scenario, delay)
        outcome.trials += 1
        where = f"seed {seed}, trial {trial}, kill after {delay:.3f} s"
        if killed:
            outcome.interrupted += 1
        else:
            full = took  # it finished first: today's amount of work took this long
        bad = [b for store in scenario.stores for b in corrupt_objects(store)]
        if bad:
            outcome.corrupt += 1
            outcome.notes.append(f"{where}: corrupt {bad[:3]}")
        rerun = solvent(scenario.cwd, *scenario.args)
        if rerun.returncode != 0:
            outcome.needs_force += 1
            outcome.notes.append(f"{where}: rerun exited {rerun.returncode}: {rerun.stderr[-300:]}")
            continue
        left = [t for root in scenario.temp_roots for t in temp_files(root)]
        if left:
            outcome.temp_left += 1
            outcome.notes.append(f"{where}: temp files left {left[:3]}")
        try:
            scenario.verify()
        except AssertionError as exc:
            outcome.lost += 1
            outcome.notes.append(f"{where}: {str(exc)[:300]}")
    RESULTS.append(outcome)
    return outcome


def table(results: list[Outcome]) -> str:
    """The outcomes as a Markdown table, with a total row."""
    head = "| scenario | trials | interrupted | corrupt | needs force | temp left | lost |"
    rows = [head, "|---|---|---|---|---|---|---|"]
    cols = ("trials", "interrupted", "corrupt", "needs_force", "temp_left", "lost")
    for r in results:
        rows.append(f"| {r.scenario} | " + " | ".join(str(getattr(r, c)) for c in cols) + " |")
    total = [sum(getattr(r, c) for r in results) for c in cols]
    rows.append("| **all** | " + " | ".join(str(t) for t in total) + " |")
    return "\n".join(rows)
