"""DVC itself, the oracle for the verbs Solvent shares with it: ``bench/.venv-dvc/bin/dvc``
(or ``SOLVENT_DVC``). Tests that need it are skipped, with the reason, where it is absent."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
DVC = Path(os.environ.get("SOLVENT_DVC", REPO_ROOT / "bench" / ".venv-dvc" / "bin" / "dvc"))
needs_dvc = pytest.mark.skipif(
    not DVC.exists(), reason=f"no DVC at {DVC}: create bench/.venv-dvc or set SOLVENT_DVC"
)


def dvc(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real ``dvc`` in ``cwd``, stdin closed (no prompt is answered); never raises."""
    return subprocess.run(
        [str(DVC), *args],
        cwd=cwd,
        env={**os.environ, "DVC_NO_ANALYTICS": "1"},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def dvc_ok(cwd: Path, *args: str) -> str:
    proc = dvc(cwd, *args)
    assert proc.returncode == 0, f"dvc {' '.join(args)}: {proc.stdout}{proc.stderr}"
    return proc.stdout


def dvc_repo(root: Path) -> Path:
    """A git repo at ``root`` where ``dvc init`` ran and was committed."""
    from tests.helpers import commit_all, git

    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "-q", "-b", "main")
    dvc_ok(root, "init", "-q")
    commit_all(root, "dvc init")
    return root
