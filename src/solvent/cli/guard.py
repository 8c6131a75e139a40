"""How every command ends: an error of ours is one or two lines and an exit code, never a
traceback (unless ``--debug``); parsed files are remembered only when the command succeeds."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from solvent.cli.render import err_console, escape
from solvent.errors import SolventError


def guarded(command: Callable[[], int], debug: bool) -> int:
    """Run ``command``; its exit code, or the error's. A ``SystemExit`` (click's way to end
    a run) passes through."""
    try:
        try:
            code = command()
        except SystemExit as done:
            if done.code in (0, None):
                _remember()
            raise
        if code == 0:
            _remember()
        return code
    except SolventError as e:
        if debug:
            import traceback

            traceback.print_exc()
        err_console.print(f"[bold red]error:[/] {escape(e.message)}", soft_wrap=True)
        if e.hint:
            err_console.print(f"  [dim]hint:[/] {escape(e.hint)}", soft_wrap=True)
        return e.exit_code
    except KeyboardInterrupt:
        err_console.print("interrupted")
        return 130
    except BrokenPipeError:  # 'solvent status | head': the reader left, as click handles it
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # so the flush at exit cannot fail again
        return 1
    except Exception as e:
        if debug:
            raise
        err_console.print(f"[bold red]internal error:[/] {type(e).__name__}: {escape(str(e))}")
        err_console.print("  [dim]hint:[/] rerun with --debug for the traceback and report it")
        return 70


def _remember() -> None:
    from solvent.storage import memo

    memo.flush()
