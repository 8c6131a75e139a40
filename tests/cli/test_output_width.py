"""Text output is cut at the terminal's width when there is a terminal, and not at all when
there is none (piped under make or CI, into a file); Rich alone would cut it at 80 columns."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

from tests.helpers import write

KEY = "a_metric_whose_name_is_long_" * 5  # 140 characters


def metrics_project(repo: Path) -> None:
    write(repo / "metrics.json", f'{{"{KEY}": 0.5}}')


def test_piped_output_without_a_terminal_is_not_wrapped(repo: Path) -> None:
    metrics_project(repo)
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    proc = subprocess.run(
        [sys.executable, "-m", "solvent", "metrics", "show", "metrics.json"],
        cwd=repo, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
        check=True, start_new_session=True,  # no controlling terminal either
    )  # fmt: skip
    (row,) = [line for line in proc.stdout.splitlines() if KEY in line]
    assert row.split() == ["metrics.json", KEY, "0.5"]


def test_a_terminal_width_is_used_when_there_is_one(repo: Path) -> None:
    metrics_project(repo)
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "solvent", "metrics", "show", "metrics.json"],
            cwd=repo, env=env, stdin=follower, stdout=follower, stderr=follower,
            check=True, timeout=60,
        )  # fmt: skip
        assert proc.returncode == 0
        os.close(follower)
        follower = -1
        out = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", out.decode(errors="replace"))  # colours
    lines = [line for line in text.splitlines() if line.strip()]
    assert KEY not in "".join(lines)  # folded over several lines
    assert max(len(line.rstrip()) for line in lines) <= 60
