"""Our loader against DVC itself: same stage names, commands, paths, flags and edges.

Each folder here is a small DVC project. One subprocess runs DVC's own Python on all of them
(``dvc_dump.py``) and the results must equal what ``load_pipeline`` and ``build_graph`` make.
Skipped where DVC is not installed: set ``SOLVENT_DVC_PYTHON`` to a Python that has DVC, or
create ``bench/.venv-dvc``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from solvent.pipeline.planning.graph import build_graph
from solvent.pipeline.spec.load import load_pipeline
from tests.dvc.dvcrun import DVC_PYTHON, needs_dvc

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[2]
PROJECTS = sorted(p.name for p in HERE.iterdir() if (p / "dvc.yaml").is_file())


pytestmark = needs_dvc


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Copies, so neither tool writes into the test tree."""
    root = tmp_path_factory.mktemp("compat")
    for name in PROJECTS:
        shutil.copytree(HERE / name, root / name)
    return root


@pytest.fixture(scope="module")
def dvc_view(projects: Path) -> dict[str, Any]:
    assert DVC_PYTHON is not None
    result = subprocess.run(
        [str(DVC_PYTHON), str(HERE / "dvc_dump.py"), *PROJECTS],
        cwd=projects,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DVC_NO_ANALYTICS": "1"},
    )
    assert result.returncode == 0, result.stderr
    view: dict[str, Any] = json.loads(result.stdout)
    return view


def our_view(root: Path) -> dict[str, Any]:
    """The same shape dvc_dump.py prints."""
    pipeline = load_pipeline(root)
    assert pipeline is not None
    stages = []
    for s in pipeline.stages:
        params: dict[str, list[str]] = {}
        for ref in s.params:
            keys = params.setdefault(str(ref.file), [])
            if ref.key is not None:
                keys.append(ref.key)
        stages.append(
            {
                "name": s.name,
                "cmd": s.cmd[0] if len(s.cmd) == 1 else list(s.cmd),
                "wdir": str(s.wdir),
                "deps": [str(d) for d in s.deps],
                "params": [[file, keys or None] for file, keys in params.items()],
                "outs": [[str(o.path), o.kind, o.cache, o.persist] for o in s.outs],
                "frozen": s.frozen,
                "always_changed": s.always_changed,
                "desc": s.desc,
            }
        )
    edges = sorted([e.upstream, e.stage] for e in build_graph(pipeline).edges)
    return {"stages": stages, "edges": [list(e) for e in dict.fromkeys(map(tuple, edges))]}


@pytest.mark.parametrize("name", PROJECTS)
def test_stages_match_dvc(name: str, projects: Path, dvc_view: dict[str, Any]) -> None:
    theirs = dvc_view[name]
    assert "error" not in theirs, theirs["error"]
    assert our_view(projects / name)["stages"] == theirs["stages"]


@pytest.mark.parametrize("name", PROJECTS)
def test_edges_match_dvc(name: str, projects: Path, dvc_view: dict[str, Any]) -> None:
    theirs = dvc_view[name]
    assert "error" not in theirs, theirs["error"]
    assert our_view(projects / name)["edges"] == theirs["edges"]


def test_every_fixture_has_stages() -> None:
    """A fixture folder without a dvc.yaml would silently test nothing."""
    folders = [p.name for p in HERE.iterdir() if p.is_dir() and not p.name.startswith("__")]
    assert sorted(folders) == PROJECTS
    assert len(PROJECTS) >= 6
