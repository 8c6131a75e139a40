"""Stages that race on an undeclared read: a ``dvc.yaml`` pipeline runs one stage at a time by
default, and a read of another stage's out seen by the tracer orders later runs."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path, PurePosixPath

import pytest

from solvent.pipeline.planning.graph import Edge, build_graph
from solvent.pipeline.planning.ordering import LEARNED, read_learned, run_after
from solvent.pipeline.spec.model import Out, Pipeline, Stage
from solvent.repo import RepoLayout
from solvent.runs.ledger import Ledger, RunRecord
from tests.helpers import assert_user_error, disk_state, git, solvent, solvent_ok

PY = sys.executable
MODEL_EDGE = Edge("train", "evaluate", PurePosixPath("model.pkl"))


def write(root: Path, name: str, text: str) -> None:
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_text(textwrap.dedent(text))


def car_price(repo: Path, spec: str, train_seconds: float = 3) -> None:
    """The car-price shape: ``evaluate`` loads the model ``train`` writes without declaring it,
    and a missing model becomes None (``'NoneType' object has no attribute 'predict'``)."""
    write(repo, "data/cars.csv", "km,price\n10,9000\n50,6000\n90,3000\n")
    write(repo, "src/train.py", f"""\
        import pickle, time
        rows = [line.split(",") for line in open("data/cars.csv").read().splitlines()[1:]]
        time.sleep({train_seconds})  # fitting
        mean = sum(float(price) for _, price in rows) / len(rows)
        pickle.dump({{"mean": mean}}, open("model.pkl", "wb"))
        """)  # fmt: skip
    write(repo, "src/evaluate.py", """\
        import json, pickle

        class Model:
            def __init__(self, state):
                self.state = state

            def predict(self, rows):
                return [self.state["mean"] for _ in rows]

        def load_model(path):
            try:
                with open(path, "rb") as f:
                    return Model(pickle.load(f))
            except FileNotFoundError:
                return None

        model = load_model("model.pkl")
        rows = open("data/cars.csv").read().splitlines()[1:]
        predicted = model.predict(rows)
        json.dump({"predicted": predicted[0]}, open("metrics.json", "w"))
        """)  # fmt: skip
    write(repo, spec, f"""\
        stages:
          train:
            cmd: {PY} src/train.py
            deps: [data/cars.csv, src/train.py]
            outs: [model.pkl]
          evaluate:
            cmd: {PY} src/evaluate.py
            deps: [data/cars.csv, src/evaluate.py]
            metrics:
              - metrics.json:
                  cache: false
        """)  # fmt: skip


def last_run(repo: Path, stage: str) -> RunRecord:
    ledger = Ledger(repo / ".solvent")
    try:
        return ledger.runs(stage)[-1]
    finally:
        ledger.close()


def test_a_dvc_yaml_pipeline_runs_one_stage_at_a_time_by_default(repo: Path) -> None:
    car_price(repo, "dvc.yaml")
    out = solvent_ok(repo, "repro")
    assert json.loads((repo / "metrics.json").read_text()) == {"predicted": 6000.0}
    train, evaluate = last_run(repo, "train"), last_run(repo, "evaluate")
    assert evaluate.started >= train.ended
    # The read is named, with the dep to declare, and kept as an order for later runs.
    assert "reads model.pkl (at src/evaluate.py:12), which is not a declared dep" in out
    assert "add `- model.pkl` to deps of stage evaluate in dvc.yaml" in out
    assert "model.pkl is an out of stage train: from now on evaluate runs after train" in out
    assert read_learned(RepoLayout(repo)) == (MODEL_EDGE,)


def test_an_undeclared_read_of_an_out_orders_the_next_runs(repo: Path) -> None:
    car_price(repo, "solvent.yaml")
    solvent_ok(repo, "repro", "-j", "1")  # one traced run, in file order
    assert (repo / LEARNED).is_file()
    assert "/learned-edges.json" in (repo / ".solvent" / ".gitignore").read_text().splitlines()
    assert ".solvent/" not in git(repo, "status", "--porcelain")  # local, ignored from the start
    for _ in range(2):  # both stages at once: evaluate now waits for the new model
        solvent_ok(repo, "repro", "-f", "-j", "2")
        train, evaluate = last_run(repo, "train"), last_run(repo, "evaluate")
        assert evaluate.status == "ran"
        assert evaluate.started >= train.ended
    # Declared, the edge is part of the pipeline; the learned one is dropped at the next read.
    text = (repo / "solvent.yaml").read_text()
    declared = text.replace("src/evaluate.py]", "src/evaluate.py, model.pkl]")
    write(repo, "solvent.yaml", declared)
    out = solvent_ok(repo, "repro", "-f")
    assert "not a declared dep" not in out and "is an out of stage" not in out
    assert read_learned(RepoLayout(repo)) == ()
    assert last_run(repo, "evaluate").started >= last_run(repo, "train").ended


def test_without_the_learned_edge_the_two_stages_race(repo: Path) -> None:
    """The race the edge prevents, so the test above can fail: parallel and unordered,
    evaluate starts while train is still fitting and finds no model."""
    car_price(repo, "solvent.yaml")
    proc = solvent(repo, "repro", "-j", "2", "--keep-going")
    assert proc.returncode == 1
    assert "'NoneType' object has no attribute 'predict'" in proc.stdout + proc.stderr
    # The failed run was traced: its failed read of the model is an order for the next runs.
    assert "evaluate: model.pkl is an out of stage train" in proc.stdout
    assert read_learned(RepoLayout(repo)) == (MODEL_EDGE,)
    solvent_ok(repo, "repro", "-f", "-j", "2")
    assert last_run(repo, "evaluate").started >= last_run(repo, "train").ended


def test_jobs_from_the_config_run_a_dvc_yaml_pipeline_in_parallel(repo: Path) -> None:
    write(repo, "dvc.yaml", f"""\
        stages:
          a:
            cmd: {PY} -c "import time; time.sleep(2); open('a.txt', 'w')"
            outs: [a.txt]
          b:
            cmd: {PY} -c "import time; time.sleep(2); open('b.txt', 'w')"
            outs: [b.txt]
        """)  # fmt: skip
    write(repo, ".solvent/config.local.toml", "[repro]\njobs = 2\n")
    solvent_ok(repo, "repro")
    a, b = last_run(repo, "a"), last_run(repo, "b")
    assert b.started < a.ended  # at the same time
    (repo / ".solvent" / "config.local.toml").unlink()
    solvent_ok(repo, "repro", "-f")
    a, b = last_run(repo, "a"), last_run(repo, "b")
    assert b.started >= a.ended  # one at a time


def test_a_bad_jobs_setting_is_one_error_and_runs_nothing(repo: Path) -> None:
    write(repo, "dvc.yaml", f"stages:\n  a:\n    cmd: {PY} -c \"open('a.txt', 'w')\"\n"
                            "    outs: [a.txt]\n")  # fmt: skip
    write(repo, ".solvent/config.toml", '[repro]\njobs = "many"\n')
    before = disk_state(repo)
    proc = solvent(repo, "repro")
    assert_user_error(proc, ".solvent/config.toml: [repro] jobs", "'many'")
    assert "jobs = 1" in proc.stderr
    assert proc.returncode < 70
    assert disk_state(repo) == before


# -- the rule, on its own -------------------------------------------------------------------


def stage(name: str, deps: tuple[str, ...] = (), outs: tuple[str, ...] = ()) -> Stage:
    return Stage(name, ("true",), PurePosixPath("."), tuple(PurePosixPath(d) for d in deps),
                 tuple(Out(PurePosixPath(o)) for o in outs))  # fmt: skip


def edge(up: str, down: str, path: str) -> Edge:
    return Edge(up, down, PurePosixPath(path))


def test_learned_edges_that_no_longer_hold_or_close_a_cycle_are_ignored() -> None:
    graph = build_graph(Pipeline(PurePosixPath("solvent.yaml"), (
        stage("prep", outs=("clean.csv",)),
        stage("train", deps=("clean.csv",), outs=("models",)),
        stage("report", outs=("report.md",)),
    )))  # fmt: skip
    after = run_after(graph, [
        edge("train", "report", "models/m.pkl"),  # a file inside a folder out: kept
        edge("report", "prep", "report.md"),  # prep → train → report → prep: a cycle
        edge("prep", "train", "clean.csv"),  # declared already: nothing to add
        edge("gone", "report", "x.csv"),  # a stage that is no more
        edge("prep", "report", "old.csv"),  # prep no longer writes it
    ])  # fmt: skip
    assert after == {"prep": set(), "train": {"prep"}, "report": {"train"}}


@pytest.mark.parametrize("text", ["", "{", "[]", '{"edges": [1, {"stage": 2}]}'])
def test_a_malformed_learned_file_is_no_edges(repo: Path, text: str) -> None:
    (repo / LEARNED).write_text(text)
    assert read_learned(RepoLayout(repo)) == ()
