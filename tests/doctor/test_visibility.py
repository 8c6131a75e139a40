"""Undeclared reads and writes, and outside data, as the doctor reports them from traced runs."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.doctor.tiny import committed, findings, write
from tests.dvc.dvcrun import dvc_python
from tests.helpers import commit_all, solvent_ok

SPEC = """\
stages:
  train:
    cmd: python train.py
    deps: [train.py, data.csv]
    outs: [model.pkl]
"""


def test_reads_and_writes_beyond_the_spec_until_the_spec_declares_them(
    repo: Path, tmp_path: Path
) -> None:
    shared = tmp_path / "shared" / "labels.csv"
    shared.parent.mkdir()
    shared.write_text("y\n1\n")
    train = (
        "open('data.csv').read()\n"
        "open('extra.csv').read()\n"
        f"open({str(shared)!r}).read()\n"
        "open('side.txt', 'w').write('x')\n"
        "open('model.pkl', 'w').write('m')\n"
    )
    committed(repo, {"solvent.yaml": SPEC, "train.py": train, "data.csv": "a\n1\n",
                     "extra.csv": "b\n2\n", "requirements.txt": "x==1\n"})  # fmt: skip
    solvent_ok(repo, "repro")
    found = findings(repo, "undeclared-read", "undeclared-write", "outside-input")
    got = {(f["code"], f["file"], f["line"], f["subject"]) for f in found}
    assert got == {
        ("undeclared-read", "train.py", 2, "extra.csv"),
        ("undeclared-write", "train.py", 4, "side.txt"),
        ("outside-input", "train.py", 3, str(shared)),
    }
    # Declared since: no rerun needed for the doctor to agree.
    write(repo, {"solvent.yaml": SPEC.replace("data.csv]", "data.csv, extra.csv]").replace(
        "outs: [model.pkl]", "outs: [model.pkl, side.txt]")})  # fmt: skip
    assert findings(repo, "undeclared-read", "undeclared-write") == []


def test_an_untraced_rerun_of_fixed_code_clears_the_old_findings(repo: Path) -> None:
    committed(repo, {"solvent.yaml": SPEC, "data.csv": "a\n1\n", "extra.csv": "b\n",
                     "requirements.txt": "x==1\n",
                     "train.py": "open('extra.csv').read()\nopen('model.pkl', 'w')\n"})  # fmt: skip
    solvent_ok(repo, "repro")
    assert [f["subject"] for f in findings(repo, "undeclared-read")] == ["extra.csv"]
    committed(repo, {"train.py": "open('data.csv').read()\nopen('model.pkl', 'w')\n"})
    solvent_ok(repo, "repro", "--trace", "off")
    assert findings(repo, "undeclared-read") == []  # the latest run is the one that counts


def test_fix_names_the_path_as_a_wdir_stage_writes_it(repo: Path) -> None:
    spec = (
        "stages:\n  fit:\n    foreach: [a]\n    do:\n      wdir: sub\n"
        "      cmd: python fit.py\n      deps: [fit.py]\n      outs: [m.pkl]\n"
    )
    committed(repo, {"solvent.yaml": spec, "requirements.txt": "x==1\n", "sub/side.csv": "s\n",
                     "sub/fit.py": "open('side.csv').read()\nopen('m.pkl', 'w')\n"})  # fmt: skip
    solvent_ok(repo, "repro")
    (read,) = findings(repo, "undeclared-read")
    assert (read["file"], read["line"], read["subject"]) == ("sub/fit.py", 1, "sub/side.csv")
    assert "'- side.csv' to the deps of stage fit (its do: block)" in read["fix"]


def test_html_into_a_missing_folder_is_a_usage_error(repo: Path) -> None:
    from tests.helpers import assert_user_error, solvent

    assert_user_error(solvent(repo, "doctor", "--html", "nodir/r.html"), "--html nodir/r.html")
    assert not (repo / "nodir").exists()


def test_dvcs_own_files_are_no_undeclared_access(repo: Path) -> None:
    """dvclive's ``Live()`` loads DVC's repo from one line of the user's script: it reads
    .dvc/config, .dvcignore, .gitignore and dvc.lock, params.yaml (DVC's vars) with them, and
    writes .dvc/tmp and dvc.yaml. None of it is the stage's data. A script line of its own
    that reads params.yaml still is."""
    spec = (
        "stages:\n"
        "  evaluate:\n    cmd: python evaluate.py\n    deps: [evaluate.py]\n"
        "    outs: [eval.json]\n"
        "  report:\n    cmd: python report.py\n    deps: [report.py]\n    outs: [r.txt]\n"
    )
    live = (
        "[open(p).read() for p in ('.dvc/config', '.dvcignore', '.gitignore', 'dvc.lock', "
        "'params.yaml', 'sub/data.csv.dvc')]; open('.dvc/tmp/btime', 'w').write('1'); "
        "open('dvc.yaml', 'a').close()\n"
    )
    committed(repo, {
        "dvc.yaml": spec, "requirements.txt": "x==1\n", ".dvc/config": "", ".dvcignore": "",
        ".gitignore": "", "dvc.lock": "schema: '2.0'\n", "params.yaml": "lr: 0.1\n",
        "sub/data.csv.dvc": "outs: []\n",
        "evaluate.py": live + "open('eval.json', 'w').write('{}')\n",
        "report.py": "open('params.yaml').read()\nopen('r.txt', 'w').write('r')\n",
    })  # fmt: skip
    (repo / ".dvc" / "tmp").mkdir()
    out = solvent_ok(repo, "repro")
    warnings = [line for line in out.splitlines() if line.startswith("!")]
    assert [w.split(" (at ")[0] for w in warnings] == ["! report: reads params.yaml"], out
    found = findings(repo, "undeclared-read", "undeclared-write")
    assert [(f["stage"], f["subject"], f["line"]) for f in found] == [("report", "params.yaml", 1)]


@pytest.mark.skipif(
    dvc_python() is None, reason="no DVC: set SOLVENT_DVC_PYTHON or create bench/.venv-dvc"
)
def test_real_dvclive_in_a_stage_is_no_undeclared_access(repo: Path) -> None:
    """dvclive itself (from DVC's venv): its outputs declared, its metrics and params at the
    top level; what it reads and writes of DVC's files is no finding."""
    python = dvc_python()
    train = (
        "from dvclive import Live\n"
        "with Live() as live:\n"
        "    live.log_params({'lr': 0.1})\n"
        "    for step in range(2):\n"
        "        live.log_metric('acc', 0.5 + step / 10)\n"
        "        live.next_step()\n"
        "open('model.pkl', 'w').write('m')\n"
    )
    spec = (
        f"stages:\n  train:\n    cmd: {python} train.py\n    deps: [train.py]\n"
        "    outs: [model.pkl, dvclive]\n"
        "metrics: [dvclive/metrics.json]\nparams: [dvclive/params.yaml]\n"
        "plots:\n  - dvclive/plots/metrics:\n      x: step\n"
    )
    committed(repo, {"dvc.yaml": spec, "train.py": train, "params.yaml": "lr: 0.1\n",
                     "requirements.txt": "dvclive==3.49.1\n"})  # fmt: skip
    subprocess.run([str(python), "-m", "dvc", "init", "-q"], cwd=repo, check=True,
                   env={**os.environ, "DVC_NO_ANALYTICS": "1"})  # fmt: skip
    commit_all(repo, "dvc init")
    # DVC_ROOT: what dvc repro sets for its stages (finding 2 of issue 15 has repro set it);
    # without it dvclive saves an experiment, hashing every tracked file.
    out = solvent_ok(repo, "repro", env={"DVC_NO_ANALYTICS": "1", "DVC_ROOT": str(repo)})
    assert not [line for line in out.splitlines() if line.startswith("!")], out
    assert findings(repo, "undeclared-read", "undeclared-write", "dead-out", "unused-param") == []
