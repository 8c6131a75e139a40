"""Watching what a local stage's processes open: the environment and command wrapper a traced
job runs with, and the raw events read back afterwards (``access`` judges them).

Two tracers:

- the audit hook (``boot/sitecustomize.py``), loaded by every Python process through
  ``PYTHONPATH`` (and hiding itself there: the program sees the import path and
  ``PYTHONPATH`` it would see without Solvent): it knows the user's script line behind each
  open and costs about nothing (``bench/audit_hook.py``: about 2% of a pandas + scikit-learn
  stage's CPU time);
- ``strace -ff`` around the whole command, when ``strace`` is installed and allowed to trace
  (not in every container): it sees non-Python programs too (``cat``, ``awk``, a compiled
  tool, the shell's own redirections), without line numbers. Filtered with seccomp-bpf, only
  the open and rename calls stop the process, but a Python stage opens a file per imported
  module: strace cost that stage about 9% more CPU, and more wall time on a busy machine.

So the default, ``auto``, loads the hook always and adds strace only to stages whose commands
run something besides Python. ``full`` straces every stage (it also sees files C libraries
open inside Python, as pyarrow's parquet reader does), ``audit`` never, ``off`` traces nothing.
The mode comes from ``--trace``, else ``SOLVENT_TRACE``, else ``[repro] trace`` in
``.solvent/config.toml``.
"""

from __future__ import annotations

import codecs
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from solvent.errors import UsageError
from solvent.repo import RepoLayout

TraceMode = Literal["auto", "full", "audit", "off"]
TRACE_MODES: tuple[TraceMode, ...] = ("auto", "full", "audit", "off")
EventKind = Literal["r", "w", "url", "host"]
BOOT_DIR = Path(__file__).parent / "boot"
_SYSCALLS = "open,openat,openat2,creat,rename,renameat,renameat2"


@dataclass(frozen=True, slots=True)
class Event:
    """One thing a stage's process did: read or wrote ``path`` (absolute, as the tracer saw
    it; never trusted), or contacted a URL or host."""

    kind: EventKind
    path: str
    file: str | None = None  # the user's script behind it (audit hook only)
    line: int | None = None
    source: Literal["audit", "strace"] = "audit"


@dataclass(frozen=True, slots=True)
class Trace:
    """Where one job's tracers write, and the strace to wrap it with (None: audit only)."""

    dir: Path
    strace: str | None

    @property
    def label(self) -> str:
        return "audit+strace" if self.strace else "audit"


def trace_mode(layout: RepoLayout, asked: str | None = None) -> TraceMode:
    """``asked``, else ``SOLVENT_TRACE``, else the config's ``[repro] trace``, else auto."""
    chosen = asked or os.environ.get("SOLVENT_TRACE")
    if not chosen:
        from solvent.config import read_toml

        for name in ("config.local.toml", "config.toml"):
            table = read_toml(layout.dot / name).get("repro", {})
            if isinstance(table, dict) and table.get("trace"):
                chosen = str(table["trace"])
                break
    chosen = chosen or "auto"
    for mode in TRACE_MODES:
        if chosen == mode:
            return mode
    raise UsageError(
        f"unknown trace mode '{chosen}' (SOLVENT_TRACE or [repro] trace in .solvent/config.toml)",
        f"choose from {', '.join(TRACE_MODES)}",
    )


@cache
def usable_strace() -> str | None:
    """The strace on PATH if it can trace here (ptrace may be forbidden), else None."""
    found = shutil.which("strace")
    if found is None:
        return None
    try:
        probe = subprocess.run(
            [found, "-f", "-qq", "--seccomp-bpf", "-e", "trace=openat", "-o", os.devnull,
             "--", "true"],
            capture_output=True, timeout=10, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return found if probe.returncode == 0 else None


_PYTHON = re.compile(r"(?:.*/)?python(?:\d+(?:\.\d+)*)?")
_SEPARATORS = {"&&", "||", ";", "|", "&"}
_PUNCTUATION = frozenset("();<>|&")


def python_only(cmd: str) -> bool:
    """True when every program the shell command ``cmd`` runs is Python and the shell itself
    opens nothing for it (no redirection): the audit hook then sees every open."""
    if "python" not in cmd or "`" in cmd or "$(" in cmd:
        return False
    import shlex

    try:
        lexer = shlex.shlex(cmd, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        tokens = list(lexer)
    except ValueError:
        return False
    program = True  # the next token names a program
    for token in tokens:
        if set(token) <= _PUNCTUATION and set(token) & set("<>()"):
            return False  # a redirection or a subshell (shlex splits them off)
        if token in _SEPARATORS:
            program = True
        elif program:
            name, eq, _ = token.partition("=")
            if eq and name.isidentifier():
                continue  # VAR=value before the program
            if not _PYTHON.fullmatch(token):
                return False
            program = False
    return True


def strace_for(mode: str, cmds: tuple[str, ...]) -> str | None:
    """The strace to wrap a stage's commands with in trace ``mode``, if any."""
    if mode == "full" or (mode == "auto" and not all(python_only(c) for c in cmds)):
        return usable_strace()
    return None


def trace_env(env: dict[str, str], trace: Trace) -> dict[str, str]:
    """``env`` with the audit hook first on ``PYTHONPATH``, and the user's own value kept
    beside it: the hook gives each Python program the import path that value would have
    made (see ``boot/sitecustomize.py``)."""
    path = env.get("PYTHONPATH")
    boot = os.path.abspath(BOOT_DIR)
    return {
        **env,
        "PYTHONPATH": f"{boot}{os.pathsep}{path}" if path else boot,
        "SOLVENT_TRACE_PYTHONPATH": "unset" if path is None else f"={path}",
        "SOLVENT_TRACE_DIR": str(trace.dir),
    }


def wrapped(cmd: str, trace: Trace) -> list[str] | None:
    """The argv that runs the shell command ``cmd`` under strace; None without strace."""
    if trace.strace is None:
        return None
    return [
        trace.strace, "-ff", "-qq", "--decode-fds=path", "-s", "4096",
        "--seccomp-bpf", "-e", f"trace={_SYSCALLS}", "-e", "signal=none",
        "-o", str(trace.dir / "strace"), "--", "/bin/sh", "-c", cmd,
    ]  # fmt: skip


def read_events(trace: Trace, cwd: Path) -> list[Event]:
    """Every event the tracers of one job left in its folder; unreadable lines are skipped."""
    events: list[Event] = []
    for file in sorted(trace.dir.iterdir()):
        if file.suffix == ".jsonl":
            events.extend(_audit_events(file))
        elif file.name.startswith("strace."):
            events.extend(_strace_events(file, str(cwd)))
    return events


def _audit_events(file: Path) -> Iterator[Event]:
    for raw in file.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            doc = json.loads(raw)
            kind, path = doc["kind"], doc["path"]
            where, line = doc.get("file"), doc.get("line")
        except (ValueError, KeyError, TypeError):
            continue  # a line cut short by a killed process
        if kind in ("r", "w", "url", "host") and isinstance(path, str):
            yield Event(
                kind,
                path,
                where if isinstance(where, str) else None,
                line if isinstance(line, int) else None,
            )


# openat(AT_FDCWD</cwd>, "rel", O_RDONLY|O_CLOEXEC) = 3</abs/path>
_CALL = re.compile(r"^(?:\d+ +)?(\w+)\((.*)\) = (-?\d+)(?:<(.*)>)?")
_STRING = re.compile(r'(?:(?:AT_FDCWD|\d+)<([^>]*)>, )?"((?:[^"\\]|\\.)*)"')
_WRITE_FLAGS = re.compile(r"\bO_(?:WRONLY|RDWR|CREAT|TRUNC|APPEND)\b")


def _unescape(text: str) -> str:
    raw: bytes = codecs.escape_decode(text.encode("latin-1", "backslashreplace"))[0]
    return os.fsdecode(raw)


def parse_strace_line(line: str, cwd: str) -> Event | None:
    """One successful open or rename from strace's output (``-y``), else None."""
    match = _CALL.match(line)
    if match is None or match.group(3).startswith("-"):
        return None  # a failed call, a signal, an exit note
    call, args, _result, fd_path = match.groups()
    if call in ("open", "openat", "openat2", "creat"):
        if fd_path is None or "O_DIRECTORY" in args:
            return None
        write = call == "creat" or bool(_WRITE_FLAGS.search(args))
        return Event("w" if write else "r", _unescape(fd_path), source="strace")
    if call.startswith("rename"):
        strings = _STRING.findall(args)
        if len(strings) < 2:
            return None
        folder, target = strings[1]
        target = _unescape(target)
        base = _unescape(folder) if folder else cwd  # rename(2): the job's folder, a guess
        return Event("w", os.path.join(base, target), source="strace")
    return None


def _strace_events(file: Path, cwd: str) -> Iterator[Event]:
    with file.open(encoding="utf-8", errors="surrogateescape") as lines:
        for line in lines:
            event = parse_strace_line(line, cwd)
            if event is not None:
                yield event
