"""One exception hierarchy for every mistake a user can make.

Each error says what went wrong and where, and carries a hint saying what to do. The CLI prints
both in one or two lines, without a traceback, and exits with ``exit_code``.
"""

from __future__ import annotations


class SolventError(Exception):
    """Base of every error meant for the user."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message}\n  hint: {self.hint}"


class NotARepoError(SolventError):
    """The current folder is not inside a Solvent repo."""


class UsageError(SolventError):
    """A command was asked something it cannot do (bad path, bad option)."""

    exit_code = 2


class PathOutsideRepoError(UsageError):
    """A path given by the user or read from a file leaves the repo."""


class MalformedFileError(SolventError):
    """A file Solvent reads (pointer, config, tree object) does not parse or validate."""


class LockTimeoutError(SolventError):
    """Another process holds the repo lock."""


class CacheMissingError(SolventError):
    """An object the command needs is not in the cache."""


class UnsavedChangesError(SolventError):
    """A command would overwrite data that exists nowhere else."""


class RemoteError(SolventError):
    """A remote cannot be reached, or refuses us (no credentials, not a folder)."""


class GitError(SolventError):
    """A git command failed."""


class DataError(UsageError):
    """A data file cannot be read as a table: unreadable, unknown format, empty, or two tables
    with nothing in common."""


class MissingExtraError(SolventError):
    """A command needs an optional dependency group that is not installed."""

    exit_code = 2


# Not an error: what 'solvent drift' and 'solvent leakage' exit with when they find something,
# so cron and CI can tell "the data moved" (3) from "the command failed" (1, 2).
FINDING_EXIT_CODE = 3
