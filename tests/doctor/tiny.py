"""Small real projects for one scanner at a time."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.helpers import commit_all, solvent


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def findings(root: Path, *codes: str) -> list[dict[str, Any]]:
    """``solvent doctor --json``'s findings, only those of ``codes`` when given."""
    proc = solvent(root, "doctor", "--json")
    assert proc.returncode == 0, proc.stderr
    found: list[dict[str, Any]] = json.loads(proc.stdout)["findings"]
    return [f for f in found if not codes or f["code"] in codes]


def committed(root: Path, files: dict[str, str], message: str = "change") -> None:
    write(root, files)
    commit_all(root, message)
