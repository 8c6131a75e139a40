"""Configuration debt: unused, never-tuned and duplicated params."""

from __future__ import annotations

from pathlib import Path

from tests.doctor.tiny import committed, findings, write
from tests.helpers import solvent_ok

SPEC = """\
stages:
  train:
    cmd: python train.py --lr ${train.lr} --depth ${train.depth}
    deps: [train.py]
    outs: [model.pkl]
"""
TRAIN = "import sys\nopen('model.pkl', 'w').write(' '.join(sys.argv))\n"


def test_a_param_only_the_spec_interpolates_is_used(repo: Path) -> None:
    params = "train:\n  lr: 0.05\n  depth: 4\n  dropout: 0.3\n"
    committed(repo, {"solvent.yaml": SPEC, "train.py": TRAIN, "params.yaml": params})
    unused = findings(repo, "unused-param")
    assert [(f["message"].split(" =")[0], f["file"], f["line"]) for f in unused] == [
        ("param train.dropout", "params.yaml", 4)
    ]


def test_never_tuned_needs_a_history_then_names_the_untouched_param(repo: Path) -> None:
    committed(repo, {"solvent.yaml": SPEC, "train.py": TRAIN,
                     "params.yaml": "train:\n  lr: 0.05\n  depth: 4\n"})  # fmt: skip
    assert findings(repo, "never-tuned-param") == []  # one version: nothing to judge by
    committed(repo, {"params.yaml": "train:\n  lr: 0.01\n  depth: 4\n"})
    never = findings(repo, "never-tuned-param")
    assert [(f["file"], f["line"], f["severity"]) for f in never] == [("params.yaml", 3, "info")]
    assert "train.depth" in never[0]["message"]


def test_an_experiment_counts_as_tuning(repo: Path) -> None:
    committed(repo, {"solvent.yaml": SPEC, "train.py": TRAIN,
                     "params.yaml": "train:\n  lr: 0.05\n  depth: 4\n"})  # fmt: skip
    committed(repo, {"params.yaml": "train:\n  lr: 0.01\n  depth: 4\n"})
    solvent_ok(repo, "exp", "run", "-S", "train.depth=6")
    assert findings(repo, "never-tuned-param") == []


def test_a_param_typed_again_in_the_code_under_its_name(repo: Path) -> None:
    code = (
        "import argparse\np = argparse.ArgumentParser()\np.add_argument('--lr', default=0.05)\n"
        "lr = 0.05\nscores = roc([0, 1], [0.05, 0.95])\nmodel = Forest(max_depth=4)\n"
    )
    write(repo, {"solvent.yaml": SPEC, "train.py": code + TRAIN,
                 "params.yaml": "train:\n  lr: 0.05\n  depth: 4\n"})  # fmt: skip
    dup = findings(repo, "duplicated-param")
    # Not the argparse default (named 'default'), not a 0.05 in a list: lr = and max_depth=.
    assert [(f["file"], f["line"], f["subject"]) for f in dup] == [
        ("train.py", 4, "train.lr"),
        ("train.py", 6, "train.depth"),
    ]
    assert "${train.lr}" in dup[0]["fix"]


def test_a_key_the_code_reads_itself_is_not_unused(repo: Path) -> None:
    code = "import yaml\nalpha = yaml.safe_load(open('params.yaml'))['train']['alpha']\n"
    committed(repo, {"solvent.yaml": SPEC, "train.py": code + TRAIN,
                     "params.yaml": "train:\n  lr: 0.05\n  depth: 4\n  alpha: 0.3\n"})  # fmt: skip
    assert findings(repo, "unused-param") == []


def test_a_param_code_outside_the_pipeline_reads_is_not_unused(repo: Path) -> None:
    """serve.py is no stage's code; it reads serve.port by key and serve.workers through an
    attribute chain. Only old.cutoff is named by nothing, and the fix does not just say
    delete. The top-level params file (dvclive's) holds logged values, not inputs."""
    params = (
        "train:\n  lr: 0.05\n  depth: 4\nserve:\n  port: 8080\n  workers: 2\nold:\n  cutoff: 3\n"
    )
    serve = (
        "import yaml\np = yaml.safe_load(open('params.yaml'))\nport = p['serve']['port']\n"
        "from box import Box\ncfg = Box(p)\nprint(cfg.serve.workers)\n"
    )
    spec = SPEC + "params:\n  - dvclive/params.yaml\n"
    committed(repo, {"dvc.yaml": spec, "train.py": TRAIN, "params.yaml": params,
                     "app/serve.py": serve, "dvclive/params.yaml": "epochs: 5\n"})  # fmt: skip
    unused = findings(repo, "unused-param")
    assert [(f["subject"], f["file"], f["line"]) for f in unused] == [
        ("old.cutoff", "params.yaml", 8)
    ]
    assert unused[0]["fix"].startswith("list it under params")
