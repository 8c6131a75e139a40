"""The ``solvent`` command. Parsing and rendering only; the work is done by ``solvent.api``."""

from __future__ import annotations

import sys


def main() -> None:
    argv = sys.argv[1:]
    if argv == ["--version"]:  # answered before any heavy import
        from solvent import __version__

        print(f"solvent {__version__}")
        return
    from solvent.cli.fast import fast_command

    command = fast_command(argv)
    if command is None:
        from solvent.cli.app import run

        sys.exit(run(argv))
    from solvent.cli.guard import guarded

    sys.exit(guarded(command, debug=False))
