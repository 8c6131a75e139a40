"""``solvent.Repo``: the one Python entry point. The CLI is a thin layer over it."""

from __future__ import annotations

import os
from pathlib import Path

from solvent.progress import Progress
from solvent.repo import RepoLayout
from solvent.storage.verify import VerifyResult, verify_store
from solvent.tracking.add import AddResult, add
from solvent.tracking.checkout import CheckoutResult, checkout
from solvent.tracking.diff import DiffResult, diff
from solvent.tracking.status import DataStatus, status


def default_jobs() -> int:
    return max(2, os.cpu_count() or 1)


class Repo:
    """A Solvent repo. ``Repo()`` finds the one holding the current folder."""

    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.layout = RepoLayout.find(Path(path) if path is not None else None)

    @classmethod
    def init(cls, path: str | os.PathLike[str] = ".", no_git: bool = False) -> Repo:
        layout, _created = RepoLayout.init(Path(path), no_git=no_git)
        return cls(layout.root)

    @property
    def root(self) -> Path:
        return self.layout.root

    def add(
        self, paths: list[str], jobs: int | None = None, progress: Progress | None = None
    ) -> list[AddResult]:
        return add(self.layout, paths, jobs or default_jobs(), progress)

    def status(
        self, targets: list[str] | None = None, jobs: int | None = None,
        progress: Progress | None = None,
    ) -> list[DataStatus]:  # fmt: skip
        return status(self.layout, targets or [], jobs or default_jobs(), progress)

    def diff(self, rev_a: str | None = None, rev_b: str | None = None) -> DiffResult:
        return diff(self.layout, rev_a, rev_b, default_jobs())

    def checkout(
        self,
        targets: list[str] | None = None,
        force: bool = False,
        relink: bool = False,
        jobs: int | None = None,
        progress: Progress | None = None,
    ) -> list[CheckoutResult]:
        return checkout(self.layout, targets or [], force, relink, jobs or default_jobs(), progress)

    def verify_cache(
        self, jobs: int | None = None, progress: Progress | None = None
    ) -> VerifyResult:
        return verify_store(self.layout.store, jobs or default_jobs(), progress)
