"""Implicit code deps: which python files a stage's commands run, found by reading imports."""

from __future__ import annotations

from pathlib import Path

import pytest

from solvent.pipeline.planning.codedeps import CodeDeps, entry_points, imports_of
from solvent.repo import RepoLayout
from tests.helpers import make_folder
from tests.pipeline.builders import P, stage


@pytest.mark.parametrize(
    ("command", "found"),
    [
        ("python train.py --lr 0.1", [("script", "train.py")]),
        ("python3 -u src/prep.py", [("script", "src/prep.py")]),
        ("/usr/bin/python3.11 -W ignore a.py", [("script", "a.py")]),
        ("python -m pkg.train --x", [("module", "pkg.train")]),
        ("cd x && PYTHONHASHSEED=0 python b.py | tee log", [("script", "b.py")]),
        ("python a.py; python -m m", [("script", "a.py"), ("module", "m")]),
        ("python -c 'import os'", []),
        ("echo python a.py", []),  # an argument, not a command
        ("cat data.csv > out.csv", []),
        ("python 'unbalanced", []),
    ],
)
def test_entry_points(command: str, found: list[tuple[str, str]]) -> None:
    assert entry_points(command) == found


def test_imports_at_any_depth_and_relative() -> None:
    source = b"import a.b, c\nfrom .d import e\ndef f():\n    from g import h\nfrom . import i\n"
    assert sorted(imports_of(source)) == [
        ("", 1), ("a.b", 0), ("c", 0), ("d", 1), ("d.e", 1), ("g", 0), ("g.h", 0), ("i", 1),
    ]  # fmt: skip
    assert imports_of(b"def (") == []


@pytest.fixture
def layout(repo: Path) -> RepoLayout:
    files = {
        "train.py": "import numpy\nimport os\nfrom lib import features\nimport helpers\n",
        "helpers.py": "X = 1\n",
        "lib/__init__.py": "",
        "lib/features.py": "from .util import clean\nfrom . import shapes\n",
        "lib/util.py": "import json\ndef clean(): pass\n",
        "lib/shapes.py": "",
        "lib/unused.py": "",
        "src/pkg/__init__.py": "",
        "src/pkg/cli.py": "from pkg.core import run\n",
        "src/pkg/core.py": "",
        "src/pkg/__main__.py": "from . import cli\n",
        "tools/evaluate.py": "import metrics_helper\n",
        "tools/metrics_helper.py": "",
        ".venv/lib/site.py": "",
    }
    make_folder(repo, files)
    return RepoLayout(repo)


def test_a_script_and_its_project_modules_transitively(layout: RepoLayout) -> None:
    found = CodeDeps(layout).for_stage(stage("s", "python train.py"))
    assert found == tuple(
        P(p)
        for p in ("helpers.py", "lib/__init__.py", "lib/features.py", "lib/shapes.py",
                  "lib/util.py", "train.py")
    )  # fmt: skip


def test_script_folder_is_searched_first(layout: RepoLayout) -> None:
    found = CodeDeps(layout).for_stage(stage("s", "python tools/evaluate.py"))
    assert found == (P("tools/evaluate.py"), P("tools/metrics_helper.py"))


def test_modules_run_with_dash_m_from_src(layout: RepoLayout) -> None:
    code = CodeDeps(layout)
    assert code.for_stage(stage("s", "python -m pkg.cli")) == (
        P("src/pkg/__init__.py"), P("src/pkg/cli.py"), P("src/pkg/core.py"),
    )  # fmt: skip
    assert P("src/pkg/__main__.py") in code.for_stage(stage("s", "python -m pkg"))


def test_explicit_deps_are_not_repeated(layout: RepoLayout) -> None:
    found = CodeDeps(layout).for_stage(stage("s", "python train.py", deps=("train.py", "lib")))
    assert found == (P("helpers.py"),)


def test_parsing_is_memoised_by_content(layout: RepoLayout) -> None:
    CodeDeps(layout).for_stage(stage("s", "python train.py"))
    (layout.root / "train.py").write_text("import helpers\n")
    fresh = CodeDeps(layout)
    assert fresh.for_stage(stage("s", "python train.py")) == (P("helpers.py"), P("train.py"))
    assert fresh.memo.get("blake3:unknown") is None
