"""Pipelines: the spec (solvent.yaml / dvc.yaml), the DAG, the lock, the planner, the scheduler."""

from __future__ import annotations

from pathlib import Path

SPEC_FILES = ("solvent.yaml", "dvc.yaml")


def spec_file(root: Path) -> Path | None:
    """The pipeline file of a repo: solvent.yaml, else dvc.yaml, else None.

    Here, not in ``spec``, so a command can learn there is no pipeline without importing
    the YAML machinery."""
    for name in SPEC_FILES:
        if (root / name).is_file():
            return root / name
    return None
