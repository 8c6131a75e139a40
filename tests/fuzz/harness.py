"""Running Solvent's real CLI in-process on a throwaway copy of a prepared repo, and checking
what must hold whatever the input: no internal error, no hang, nothing written outside the
repo, nothing lost or damaged in the cache.

In-process (``solvent.cli.main`` with ``sys.argv`` set) is ten times faster than a subprocess
per command, which is what lets a CI run try a few hundred inputs in about two minutes.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.helpers import bad_objects, disk_state, git, make_folder, solvent_ok, write

REMOTE_FOLDERS = {"blake3", "runs", "runcache"}  # what a push writes into a folder remote
TIME_BOUND = 20.0  # seconds one command may take on any input
INTERNAL = 70  # the exit code of "internal error"


def trials(ci: int) -> int:
    """Inputs per file kind: ``ci`` in CI; ``SOLVENT_FAULT_TRIALS`` asks for more (make faults)."""
    return int(os.environ.get("SOLVENT_FAULT_TRIALS", ci))


class Hang(BaseException):
    """A command ran past TIME_BOUND (a BaseException: the CLI's guard must not catch it)."""


@dataclass(frozen=True)
class Outcome:
    argv: tuple[str, ...]
    code: int
    stdout: str
    stderr: str
    seconds: float


def run_cli(cwd: Path, *argv: str, bound: float = TIME_BOUND) -> Outcome:
    """``solvent ARGV`` in this process, in ``cwd``; stdout and stderr captured. As
    ``solvent.cli.main`` runs it (the fast path first), without its garbage-collector tuning
    (``gc.freeze`` once per process), and with the commands it registers taken back after."""
    from solvent.cli.app import app, run
    from solvent.cli.fast import fast_command
    from solvent.cli.guard import guarded

    def main() -> None:
        command = fast_command(list(argv))
        sys.exit(run(list(argv)) if command is None else guarded(command, debug=False))

    def on_alarm(_signum: int, _frame: object) -> None:
        raise Hang(f"solvent {' '.join(argv)} ran past {bound} s")

    out, err = io.StringIO(), io.StringIO()
    old_argv, old_cwd = sys.argv, os.getcwd()
    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, bound)
    start = time.monotonic()
    code: int | str | None = 0
    commands, groups = list(app.registered_commands), list(app.registered_groups)
    try:
        os.chdir(cwd)
        sys.argv = ["solvent", *argv]
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as done:
                code = done.code
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
        sys.argv = old_argv
        os.chdir(old_cwd)
        app.registered_commands[:], app.registered_groups[:] = commands, groups
        from solvent.storage import memo

        memo._pending.clear()  # a refused command's parsed files are never written
    seconds = time.monotonic() - start
    return Outcome(argv, code if isinstance(code, int) else 1, out.getvalue(), err.getvalue(),
                   seconds)  # fmt: skip


# -- the prepared repo ---------------------------------------------------------------------------

PARAMS = "train:\n  lr: 0.1\n  epochs: 3\nprep:\n  split: 0.2\n"
SPEC = """\
vars:
  - params.yaml
stages:
  prep:
    cmd: python3 -c "import shutil; shutil.copy('data/a.csv', 'prepared.csv')" ${prep.split}
    deps: [data/a.csv]
    params: [prep.split]
    outs: [prepared.csv]
  train:
    cmd: >-
      python3 -c "open('model.txt', 'w').write('m'); open('metrics.json', 'w').write('{}')"
      ${train.lr}
    deps: [prepared.csv]
    params: [train.lr, train.epochs]
    outs: [model.txt]
    metrics:
      - metrics.json:
          cache: false
  report:
    foreach: [a, b]
    do:
      cmd: python3 -c "open('report-${item}.txt', 'w').write('${item}')"
      deps: [model.txt]
      outs: ['report-${item}.txt']
"""
DATA = {"data/a.csv": "x,y\n1,2\n", "data/sub/b.csv": "b\n", "data/sub/deep/c.bin": b"\0\1\2"}


def build_template(root: Path) -> Path:
    """A committed repo with tracked data, a pipeline that ran, params, a lock and a folder
    remote that holds everything (``../remote``, relative: copies stay self-contained)."""
    repo = root / "repo"
    repo.mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    solvent_ok(repo, "init")
    make_folder(repo, DATA)
    write(repo / "single.txt", "one file\n")
    solvent_ok(repo, "add", "data", "single.txt")
    write(repo / "params.yaml", PARAMS)
    write(repo / "solvent.yaml", SPEC)
    solvent_ok(repo, "repro")
    solvent_ok(repo, "remote", "add", "--default", "origin", "../remote")
    solvent_ok(repo, "push")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "template")
    return root


@dataclass
class Sandbox:
    """One trial's copy: ``root/repo``, ``root/remote``, and ``root/outside`` (a folder no
    command may touch), with what the cache held at the start."""

    root: Path
    objects: dict[str, bytes]

    @property
    def repo(self) -> Path:
        return self.root / "repo"

    def outside(self) -> dict[str, tuple[object, ...]]:
        """Everything in the sandbox but the repo and folder remotes (``remote``, or another
        folder a mutated config names as the remote: it may only hold what a push writes)."""
        state = disk_state(self.root)
        top = {k.split(os.sep)[0] for k in state}
        stores = {"repo", "remote"} | {t for t in top if _is_remote_folder(state, t)}
        return {k: v for k, v in state.items() if k.split(os.sep)[0] not in stores}


def _is_remote_folder(state: dict[str, tuple[object, ...]], top: str) -> bool:
    inside = [k.split(os.sep) for k in state if k.startswith(top + os.sep)]
    return state.get(top, ("",))[0] == "dir" and all(parts[1] in REMOTE_FOLDERS for parts in inside)


@contextlib.contextmanager
def sandbox(template: Path, where: Path) -> Iterator[Sandbox]:
    root = where / "sandbox"
    shutil.copytree(template, root, symlinks=True)
    make_folder(root / "outside", {"keep.txt": "must stay\n", "sub/also.txt": "also\n"})
    cache = root / "repo" / ".solvent" / "cache" / "blake3"
    objects = {f"{p.parent.name}{p.name}": p.read_bytes() for p in cache.glob("*/*") if p.is_file()}
    try:
        yield Sandbox(root, objects)
    finally:
        for folder, dirs, _files in os.walk(root):
            for d in dirs:
                with contextlib.suppress(OSError):
                    os.chmod(os.path.join(folder, d), 0o755)
        shutil.rmtree(root, ignore_errors=True)


def check(box: Sandbox, outcome: Outcome, outside_before: dict[str, tuple[object, ...]],
          about: str) -> None:  # fmt: skip
    """What must hold after any command on any input."""
    command = f"$ solvent {' '.join(outcome.argv)} -> {outcome.code}"
    said = f"{about}\n{command}\n{outcome.stderr[-2000:]}"
    assert outcome.code != INTERNAL, "internal error\n" + said
    assert "Traceback" not in outcome.stderr, said
    assert outcome.seconds < TIME_BOUND, said
    assert box.outside() == outside_before, "wrote outside the repo\n" + said
    cache = box.repo / ".solvent" / "cache" / "blake3"
    lost = [k for k in box.objects if not (cache / k[:2] / k[2:]).is_file()]
    assert not lost, f"objects lost from the cache: {lost[:5]}\n{said}"
    assert bad_objects(box.repo) == [], "a damaged object in the cache\n" + said
