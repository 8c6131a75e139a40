"""Console output shared by the commands: errors, JSON, and a progress bar that shows itself
only for work that takes more than a second."""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import re
import sys
import threading
import time
from pathlib import PurePath
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    import typer
    from rich.console import Console
    from rich.progress import Progress


def command_group(help: str, **kwargs: Any) -> typer.Typer:
    """A Typer app with plain help: Typer's Rich help pulls in Markdown and Pygments, which
    would double the time of every ``--help``."""
    import typer  # not at the top: the hot commands run without Typer (see cli/fast.py)

    return typer.Typer(
        help=help,
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
        **kwargs,
    )


class _LazyConsole:
    """A Rich console made on first use: '--help' and '--version' never pay for Rich."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    def print(self, *objects: Any, **kwargs: Any) -> None:
        # Plain text into a pipe or file needs no Rich: no markup, no emoji codes, no colour.
        # Saves importing Rich (~15 ms) for one-line answers such as "up to date".
        if self._console is None and not kwargs and _plain_text(objects) and self._piped():
            print(*objects, file=self._stream)
            return
        self._rich.print(*objects, **kwargs)

    def styled(self, *parts: tuple[str, str]) -> None:
        """One line of ``(text, style)`` parts, taken literally (no markup, no emoji codes).
        Into a pipe Rich would add no styles, so the parts are printed as they are."""
        if self._console is None and self._piped():
            print("".join(text for text, _style in parts), file=self._stream)
            return
        from rich.text import Text

        self._rich.print(Text.assemble(*parts), soft_wrap=True)

    @property
    def _stream(self) -> Any:
        return sys.stderr if self._options.get("stderr") else sys.stdout

    @property
    def is_terminal(self) -> bool:
        """Rich's answer, asked only when the stream is a terminal or colour is forced."""
        return False if self._console is None and self._piped() else self._rich.is_terminal

    def _piped(self) -> bool:
        forced = "FORCE_COLOR" in os.environ or "TTY_COMPATIBLE" in os.environ
        return not forced and not self._stream.isatty()

    @property
    def _rich(self) -> Console:
        if self._console is None:
            from rich.console import Console

            options = dict(self._options)
            if "width" not in options and _no_terminal_width():
                options["width"] = NO_WRAP
            self._console = Console(**options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._rich, name)


# The width of output that no terminal shows (piped under make or CI, into a file): wide
# enough that nothing wraps. Rich would cut it at 80 columns.
NO_WRAP = 1 << 15


def _no_terminal_width() -> bool:
    """No terminal to measure (on stdin, stdout or stderr, as Rich looks) and no COLUMNS."""
    if os.environ.get("COLUMNS", "").strip().isdigit():
        return False
    for fd in (0, 1, 2):
        try:
            os.get_terminal_size(fd)
            return False
        except (OSError, ValueError):
            continue
    return True


_EMOJI_CODE = re.compile(r":\S*:")  # what Rich might turn into an emoji, e.g. ':smile:'


def _plain_text(objects: tuple[Any, ...]) -> bool:
    return all(type(o) is str and "[" not in o and _EMOJI_CODE.search(o) is None for o in objects)


_out = _LazyConsole(highlight=False)
console = cast("Console", _out)


def styled(*parts: tuple[str, str]) -> None:
    """Print one line of ``(text, style)`` parts to standard output (see ``_LazyConsole``)."""
    _out.styled(*parts)


err_console = cast("Console", _LazyConsole(stderr=True, highlight=False))


def escape(text: str) -> str:
    """Rich's markup escaping, imported when first needed (only '[' starts markup; a
    trailing backslash is doubled so it cannot escape what follows)."""
    if "[" not in text and not text.endswith("\\"):
        return text
    from rich.markup import escape as rich_escape

    return rich_escape(text)


SHOW_AFTER = 1.0


def _plain(value: Any) -> Any:
    # Before the dataclass case: ObjectId is a dataclass but is written as 'blake3:<hex>'.
    if isinstance(value, PurePath) or type(value).__name__ == "ObjectId":
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def print_json(value: Any) -> None:
    print(json.dumps(_plain(value), indent=2))


class DelayedProgress:
    """A Rich progress bar that appears only once work has run for ``SHOW_AFTER`` seconds."""

    def __init__(self, console: Console = err_console, bytes_: bool = False) -> None:
        self.console = console
        self.bytes = bytes_
        self._lock = threading.Lock()
        self._bar: Progress | None = None
        self._task: Any = None
        self._done = 0
        self._total = 0
        self._desc = ""
        self._t0 = 0.0
        self._terminal: bool | None = None  # asked once: each ask is an ioctl

    def start(self, description: str, total: int) -> None:
        with self._lock:
            self._desc, self._total, self._done = description, total, 0
            self._t0 = time.monotonic()

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self._done += n
            if self._bar is None:
                if self._terminal is None:
                    self._terminal = self.console.is_terminal
                if not self._terminal or time.monotonic() - self._t0 < SHOW_AFTER:
                    return
                from rich.progress import (
                    BarColumn,
                    DownloadColumn,
                    MofNCompleteColumn,
                    Progress,
                    TextColumn,
                    TimeRemainingColumn,
                    TransferSpeedColumn,
                )

                columns = (
                    [DownloadColumn(), TransferSpeedColumn()]
                    if self.bytes
                    else [MofNCompleteColumn()]
                )
                self._bar = Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    *columns,
                    TimeRemainingColumn(),
                    console=self.console,
                    transient=True,
                )
                self._task = self._bar.add_task(self._desc, total=self._total)
                self._bar.start()
            self._bar.update(self._task, completed=self._done)

    def stop(self) -> None:
        with self._lock:
            if self._bar is not None:
                self._bar.stop()
                self._bar = None
