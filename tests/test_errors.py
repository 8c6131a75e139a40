from __future__ import annotations

from solvent.errors import (
    LockTimeoutError,
    MalformedFileError,
    PathOutsideRepoError,
    SolventError,
    UsageError,
)


def test_message_and_hint() -> None:
    assert str(SolventError("it broke")) == "it broke"
    assert str(SolventError("it broke", "fix it")) == "it broke\n  hint: fix it"


def test_one_hierarchy_with_exit_codes() -> None:
    for cls in (UsageError, PathOutsideRepoError, MalformedFileError, LockTimeoutError):
        assert issubclass(cls, SolventError)
    assert issubclass(PathOutsideRepoError, UsageError)
    assert UsageError.exit_code == 2
    assert SolventError.exit_code == MalformedFileError.exit_code == 1
