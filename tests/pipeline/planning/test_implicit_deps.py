"""Code and environment fingerprints end to end: what makes a stage stale, and what only warns."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.helpers import (
    assert_user_error,
    commit_all,
    disk_state,
    make_folder,
    solvent,
    solvent_ok,
    write,
)

PY = sys.executable


@pytest.fixture
def helpers(repo: Path) -> Path:
    files = {
        "src/utils.py": "def double(x):\n    return 2 * x\n",
        "src/other.py": "NAME = 'other'\n",
        "a.py": "from src.utils import double\nopen('a.txt', 'w').write(str(double(1)))\n",
        "tasks/__init__.py": "",
        "tasks/b.py": "from src import other\nopen('b.txt', 'w').write(other.NAME)\n",
        "c.py": "import json\nopen('c.txt', 'w').write(json.dumps(1))\n",
        "solvent.yaml": f"""\
stages:
  a: {{cmd: {PY} a.py, outs: [a.txt]}}
  b: {{cmd: {PY} -m tasks.b, outs: [b.txt]}}
  c: {{cmd: {PY} c.py, outs: [c.txt]}}
  d: {{cmd: echo d > d.txt, outs: [d.txt]}}
""",
    }
    make_folder(repo, files)
    solvent_ok(repo, "repro")
    commit_all(repo, "pipeline")
    return repo


def stale(root: Path) -> dict[str, list[str]]:
    doc = json.loads(solvent_ok(root, "status", "--json"))
    return {
        s["stage"]["name"]: [r["why"] + (f": {r['subject']}" if r["subject"] else "")
                             for r in s["reasons"]]
        for s in doc["stages"] if s["reasons"]
    }  # fmt: skip


def test_editing_a_helper_makes_exactly_the_stages_that_import_it_stale(helpers: Path) -> None:
    assert stale(helpers) == {}
    write(helpers / "src/utils.py", "def double(x):\n    return x + x\n")
    assert stale(helpers) == {"a": ["code changed: src/utils.py"]}
    assert "code changed: src/utils.py" in solvent_ok(helpers, "status")
    write(helpers / "src/other.py", "NAME = 'changed'\n")
    assert stale(helpers) == {"a": ["code changed: src/utils.py"],
                              "b": ["code changed: src/other.py"]}  # fmt: skip
    out = solvent_ok(helpers, "repro")
    assert "▶ a: running (code changed: src/utils.py)" in out
    assert "c: up to date" in out and "d: up to date" in out
    assert (helpers / "b.txt").read_text() == "changed"
    assert stale(helpers) == {}


def test_a_new_import_is_a_code_change_too(helpers: Path) -> None:
    write(helpers / "c.py", "import json\nfrom src import other\nopen('c.txt', 'w').write('1')\n")
    assert stale(helpers) == {"c": ["code changed: c.py", "code changed: src/other.py"]}


def test_status_verbose_lists_implicit_deps(helpers: Path) -> None:
    out = solvent_ok(helpers, "status", "--verbose")
    assert "a: up to date\n    implicit deps: a.py, src/utils.py" in out
    assert "implicit deps: src/__init__.py" not in out
    assert "b: up to date\n    implicit deps: src/other.py, tasks/__init__.py, tasks/b.py" in out
    assert "d: up to date\n" in out


ENV_SPEC = """\
stages:
  strict: {cmd: echo s > s.txt, outs: [s.txt], env: strict}
  warned: {cmd: echo w > w.txt, outs: [w.txt]}
  ignored: {cmd: echo i > i.txt, outs: [i.txt], env: ignore}
"""


def test_env_policy_strict_reruns_warn_warns_ignore_ignores(repo: Path) -> None:
    write(repo / "solvent.yaml", ENV_SPEC)
    solvent_ok(repo, "repro")
    assert stale(repo) == {}
    write(repo / "requirements.txt", "numpy==2.0\n")  # the project now pins its environment
    assert stale(repo) == {"strict": ["env changed: packages changed (requirements.txt)"]}
    out = solvent_ok(repo, "status")
    assert "warning: warned last ran in another environment" in out
    assert "ignored" not in out
    out = solvent_ok(repo, "repro")
    assert "▶ strict: running (env changed: packages changed (requirements.txt))" in out
    assert "warned: up to date (warning: env changed" in out
    assert "ignored: up to date\n" in out
    assert "warned last ran in another environment" in solvent_ok(repo, "status")


def test_a_bad_env_policy_is_a_user_error(repo: Path) -> None:
    write(repo / "solvent.yaml", "stages:\n  a: {cmd: echo, env: sometimes}\n")
    before = disk_state(repo)
    proc = solvent(repo, "status")
    assert_user_error(proc, "solvent.yaml:2", "env must be one of strict, warn, ignore")
    assert disk_state(repo) == before


def test_a_lock_from_before_fingerprints_reruns_nothing(helpers: Path) -> None:
    """Upgrading Solvent must not rerun every python stage: no recorded env, no opinion."""
    import yaml

    doc = yaml.safe_load((helpers / "solvent.lock").read_text())
    for body in doc["stages"].values():
        body.pop("env")
        body.pop("code", None)
    (helpers / "solvent.lock").write_text(yaml.safe_dump(doc))
    assert stale(helpers) == {}
    assert "warning" not in solvent_ok(helpers, "status")
