"""Unstable data and reproducibility: outside inputs, runs from unsaved code, environments."""

from __future__ import annotations

from pathlib import Path

from tests.doctor.tiny import committed, findings, write
from tests.helpers import git, solvent_ok

SPEC = """\
stages:
  fetch:
    cmd: python fetch.py /mnt/shared/raw.csv
    deps: [fetch.py]
    outs: [raw.csv]
"""
FETCH = 'URL = "https://example.com/raw.csv"\nopen("raw.csv", "w").write("a\\n1\\n")\n'


def test_inputs_from_outside_the_repo_in_the_command_and_the_code(repo: Path) -> None:
    committed(repo, {"solvent.yaml": SPEC, "fetch.py": FETCH, "requirements.txt": "x==1\n"})
    got = {(f["file"], f["line"]) for f in findings(repo, "outside-input")}
    assert got == {("solvent.yaml", 3), ("fetch.py", 1)}


def test_a_run_from_uncommitted_code_then_a_clean_rerun(repo: Path) -> None:
    spec = SPEC.replace(" /mnt/shared/raw.csv", "")
    committed(repo, {"solvent.yaml": spec, "fetch.py": "open('raw.csv', 'w').write('1')\n",
                     "requirements.txt": "x==1\n"})  # fmt: skip
    write(repo, {"fetch.py": "open('raw.csv', 'w').write('2')\n"})  # edited, not committed
    solvent_ok(repo, "repro")
    dirty = findings(repo, "dirty-run")
    assert [(f["stage"], f["line"]) for f in dirty] == [("fetch", 2)]
    assert "fetch.py" in dirty[0]["message"]
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "the code")
    assert findings(repo, "dirty-run") == []  # the commit now holds the code that ran
    write(repo, {"README.md": "unrelated edit\n"})
    solvent_ok(repo, "repro", "--force")
    assert findings(repo, "dirty-run") == []  # a dirty README is not dirty code


def test_environment_pins(repo: Path) -> None:
    spec = SPEC.replace(" /mnt/shared/raw.csv", "")
    committed(repo, {"solvent.yaml": spec, "fetch.py": "x = 1\n"})
    assert [f["code"] for f in findings(repo, "no-environment-file")] == ["no-environment-file"]
    write(repo, {"requirements.txt": "numpy==2.1.0\npandas>=2\n"})
    loose = findings(repo, "unpinned-environment")
    assert [(f["file"], f["line"]) for f in loose] == [("requirements.txt", 2)]
    write(repo, {"requirements.txt": "numpy==2.1.0\npandas==2.2.3\n"})
    assert findings(repo, "unpinned-environment", "no-environment-file") == []


def test_a_run_before_the_first_commit_is_clean_once_its_code_is_committed(
    git_repo: Path,
) -> None:
    """The usual start: init, repro, then the first commit. The code that ran is in HEAD."""
    spec = SPEC.replace(" /mnt/shared/raw.csv", "")
    solvent_ok(git_repo, "init")
    write(git_repo, {"solvent.yaml": spec, "fetch.py": "open('raw.csv', 'w').write('1')\n",
                     "requirements.txt": "x==1\n"})  # fmt: skip
    solvent_ok(git_repo, "repro")
    dirty = findings(git_repo, "dirty-run")  # no commit yet: nothing names the code
    assert [f["stage"] for f in dirty] == ["fetch"]
    write(git_repo, {"fetch.py": "open('raw.csv', 'w').write('2')\n"})
    git(git_repo, "add", "-A")
    git(git_repo, "commit", "-q", "-m", "first, with other code than ran")
    assert [f["stage"] for f in findings(git_repo, "dirty-run")] == ["fetch"]
    committed(git_repo, {"fetch.py": "open('raw.csv', 'w').write('1')\n"}, "the code that ran")
    assert findings(git_repo, "dirty-run") == []


def test_absolute_paths_in_the_config_files_a_stage_reads(repo: Path) -> None:
    """Config named on the command line, a params file and a JSON dep are scanned like code:
    absolute paths outside the repo are outside inputs; a tracking URL, /tmp and repo paths
    are not."""
    spec = """\
stages:
  train:
    cmd: python train.py --config=conf/train.yaml
    deps: [train.py, settings.json]
    params: [paths.cache]
    outs: [model.pkl]
"""
    conf = (
        "data:\n  raw: /mnt/shared/data/raw.csv\n  folder: /home/alice/datasets/cars\n"
        "mlflow: http://tracking.example.com:5000\nscratch: /tmp/run/x\nout: models/m.pkl\n"
    )
    committed(repo, {
        "solvent.yaml": spec, "train.py": "open('model.pkl', 'w')\n", "requirements.txt": "x==1\n",
        "conf/train.yaml": conf, "params.yaml": "paths:\n  cache: /srv/cache/features\n",
        "settings.json": '{\n  "source": "/srv/data/cars.parquet",\n  "n": 3\n}\n',
    })  # fmt: skip
    got = {(f["file"], f["line"], f["subject"]) for f in findings(repo, "outside-input")}
    assert got == {
        ("conf/train.yaml", 2, "/mnt/shared/data/raw.csv"),
        ("conf/train.yaml", 3, "/home/alice/datasets/cars"),
        ("params.yaml", 2, "/srv/cache/features"),
        ("settings.json", 2, "/srv/data/cars.parquet"),
    }
