"""DVC itself, from ``bench/.venv-dvc`` (or ``SOLVENT_DVC_PYTHON``'s venv), for tests that
compare with it; ``needs_dvc`` skips them, with the reason, where it is not installed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def dvc_python() -> Path | None:
    configured = os.environ.get("SOLVENT_DVC_PYTHON")
    if configured:
        return Path(configured)
    candidate = REPO_ROOT / "bench" / ".venv-dvc" / "bin" / "python"
    return candidate if candidate.exists() else None


DVC_PYTHON = dvc_python()
needs_dvc = pytest.mark.skipif(
    DVC_PYTHON is None, reason="no DVC: set SOLVENT_DVC_PYTHON or create bench/.venv-dvc"
)


def dvc(cwd: Path, *args: str) -> str:
    """Run the real ``dvc`` in ``cwd`` and require success; returns stdout."""
    assert DVC_PYTHON is not None
    proc = subprocess.run(
        [str(DVC_PYTHON), "-m", "dvc", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DVC_NO_ANALYTICS": "1"},
        check=False,
    )
    assert proc.returncode == 0, f"dvc {' '.join(args)}: {proc.stdout}{proc.stderr}"
    return proc.stdout


def dvc_py(cwd: Path, code: str) -> str:
    """Run ``code`` in DVC's Python (its ``dvc_data`` importable); returns stdout."""
    assert DVC_PYTHON is not None
    proc = subprocess.run(
        [str(DVC_PYTHON), "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    return proc.stdout
