"""Helpers for the spec tests (no tests here): write a small project and load it."""

from __future__ import annotations

import textwrap
from pathlib import Path

from solvent.pipeline.spec.load import load_pipeline
from solvent.pipeline.spec.model import Pipeline


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")


def load(root: Path, spec: str, *, name: str = "dvc.yaml", **files: str) -> Pipeline:
    """Write ``spec`` (and ``files``, keyed by path with '/' spelled '__') and load it."""
    write(root, {name: spec, **{k.replace("__", "/"): v for k, v in files.items()}})
    pipeline = load_pipeline(root)
    assert pipeline is not None
    return pipeline
