"""Prints the kill trials' table at the end of the session (``make faults`` quotes it)."""

from __future__ import annotations

import pytest

from tests.faults.harness import RESULTS, SEED, table


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if RESULTS:
        terminalreporter.section(f"kill -9 trials (seed {SEED})")
        terminalreporter.write_line(table(RESULTS))
