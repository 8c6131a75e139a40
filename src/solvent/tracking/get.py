"""``solvent get``: download a tracked path from another Solvent repo, without tracking it.

The other repo is cloned with git into a temporary folder; its pointer file names the data and
its default remote holds the bytes, which are fetched (re-hashed on arrival) and checked out
there, then moved to the destination.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from solvent.errors import GitError, UsageError
from solvent.remotes import get_remote
from solvent.repo import RepoLayout
from solvent.storage.remote import RemoteStore
from solvent.tracking.checkout import checkout_pointers
from solvent.tracking.select import select_pointers
from solvent.tracking.sync import fetch


@contextlib.contextmanager
def fetched(url: str, path: str, rev: str | None, jobs: int = 8) -> Iterator[tuple[Path, str]]:
    """The data at ``path`` in the repo at ``url`` (``rev``: a commit, branch or tag; None its
    default branch), fetched from that repo's default remote (re-hashed on arrival) into a
    temporary clone, and the commit it came from; the clone is removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="solvent-get-") as tmp:
        clone = Path(tmp) / "repo"
        _git("clone", "--quiet", url, str(clone))
        if rev is not None:
            _git("-C", str(clone), "checkout", "--quiet", rev)
        if not (clone / ".solvent").is_dir():
            raise UsageError(f"{url} is not a Solvent repo (no .solvent/ committed)")
        commit = subprocess.run(
            ["git", "-C", str(clone), "rev-parse", "HEAD"],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        source = RepoLayout(clone.resolve())
        (pointer,) = select_pointers(source, [str(source.root / path)])
        found = get_remote(source.dot, None)
        remote_root = Path(url) if "://" not in found.url and Path(url).exists() else clone
        remote = RemoteStore(found.url, found.options, remote_root.resolve())
        with source.writing():
            report = fetch(source, remote, [pointer], jobs)
            if report.failed:
                why = next(iter(report.failed.values()))
                raise UsageError(f"{len(report.failed)} object(s) could not be fetched: {why}")
            checkout_pointers(source, [pointer], force=True, relink=False, jobs=1)
        yield source.abs(pointer.path), commit


def get(url: str, path: str, dest: Path, rev: str | None = None, jobs: int = 8) -> Path:
    if dest.exists() or dest.is_symlink():
        raise UsageError(f"{dest} already exists", "choose another destination with -o PATH")
    with fetched(url, path, rev, jobs) as (data, _commit):
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(data), str(dest))
    return dest


def _git(*args: str) -> None:
    proc = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["?"])[-1]
        raise GitError(f"git {args[0]} failed: {last}", "check the URL and the revision")
