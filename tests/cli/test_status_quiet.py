"""``solvent status -q``: nothing printed, exit 1 when anything is stale or changed, for
scripts, as ``dvc status -q``."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.dvc_cli import dvc, dvc_ok, dvc_repo, needs_dvc
from tests.helpers import git, solvent, solvent_ok, write

PY = sys.executable
SPEC = f"""\
stages:
  copy:
    cmd: {PY} -c "open('out.txt','w').write(open('in.txt').read())"
    deps: [in.txt]
    outs: [out.txt]
"""


def quiet(root: Path) -> int:
    proc = solvent(root, "status", "-q")
    assert proc.stdout == "" and proc.stderr == ""
    return proc.returncode


def test_exit_code_says_whether_anything_changed(repo: Path) -> None:
    assert quiet(repo) == 0  # nothing tracked: nothing changed
    write(repo / "data.csv", "a")
    solvent_ok(repo, "add", "data.csv")
    assert quiet(repo) == 0
    write(repo / "data.csv", "b")
    assert quiet(repo) == 1
    solvent_ok(repo, "add", "data.csv")
    write(repo / "solvent.yaml", SPEC)
    write(repo / "in.txt", "x")
    assert quiet(repo) == 1  # never run
    solvent_ok(repo, "repro")
    assert quiet(repo) == 0
    write(repo / "in.txt", "y")
    assert quiet(repo) == 1
    assert solvent(repo, "status", "--quiet", "copy").returncode == 1
    assert solvent(repo, "status", "-q", "data.csv").returncode == 0


@needs_dvc
def test_exit_codes_agree_with_dvc(tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours", dvc_repo(tmp_path / "theirs")
    ours.mkdir()
    git(ours, "init", "-q", "-b", "main")
    solvent_ok(ours, "init")
    for root, name in ((ours, "solvent.yaml"), (theirs, "dvc.yaml")):
        write(root / name, SPEC)
        write(root / "in.txt", "x")
    seen = []
    for step in ("never run", "ran", "dep edited"):
        if step == "ran":
            solvent_ok(ours, "repro")
            dvc_ok(theirs, "repro", "-q")
        if step == "dep edited":
            write(ours / "in.txt", "y")
            write(theirs / "in.txt", "y")
        seen.append((step, quiet(ours), dvc(theirs, "status", "-q").returncode))
    assert [(s, o) for s, o, _ in seen] == [(s, d) for s, _, d in seen]
    assert [o for _, o, _ in seen] == [1, 0, 1]
