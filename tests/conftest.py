"""Fixtures: a real git repo in ``tmp_path`` with Solvent initialised, and a hermetic
environment so the user's git config and terminal never change what the tests see."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers import git, solvent_ok

HERMETIC_ENV = {
    "GIT_AUTHOR_NAME": "Solvent Tests",
    "GIT_AUTHOR_EMAIL": "tests@example.com",
    "GIT_COMMITTER_NAME": "Solvent Tests",
    "GIT_COMMITTER_EMAIL": "tests@example.com",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
    # Rich wraps at the terminal width; keep long paths on one line.
    "COLUMNS": "250",
}


@pytest.fixture(autouse=True, scope="session")
def _hermetic_env() -> Iterator[None]:
    # Session-scoped so hypothesis tests (which refuse function-scoped fixtures) get it too.
    with pytest.MonkeyPatch.context() as mp:
        for key, value in HERMETIC_ENV.items():
            mp.setenv(key, value)
        for key in ("SOLVENT_LOCK_TIMEOUT", "FORCE_COLOR", "GIT_DIR", "GIT_WORK_TREE"):
            mp.delenv(key, raising=False)
        yield


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    """An empty git repo (no commits yet)."""
    root = (tmp_path / "project").resolve()
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    return root


@pytest.fixture
def repo(git_repo: Path) -> Path:
    """A git repo where ``solvent init`` ran and its result is committed."""
    solvent_ok(git_repo, "init")
    git(git_repo, "add", ".solvent")
    git(git_repo, "commit", "-q", "-m", "Initialize Solvent")
    return git_repo


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """A real S3 API served on 127.0.0.1 for the whole session (moto's server mode)."""
    from tests.s3server import CREDENTIALS, moto_server

    with moto_server() as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("AWS_ENDPOINT_URL", url)
        for key, value in CREDENTIALS.items():
            mp.setenv(key, value)
        yield url


@pytest.fixture
def s3_bucket(s3_endpoint: str) -> str:
    """A new, empty bucket; returns its s3:// URL."""
    import uuid

    import boto3

    name = f"solvent-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=name)
    return f"s3://{name}"
