"""load_pipeline: every feature of the dvc.yaml schema, resolved as DVC resolves it."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from solvent.errors import MalformedFileError
from solvent.pipeline.spec.interpolate import ParsingOptions
from solvent.pipeline.spec.load import load_pipeline
from solvent.pipeline.spec.model import Location, Out, ParamRef
from tests.pipeline.spec.test_helpers import load, write

P = PurePosixPath


def test_no_spec_is_none(tmp_path: Path) -> None:
    assert load_pipeline(tmp_path) is None


def test_solvent_yaml_wins_over_dvc_yaml(tmp_path: Path) -> None:
    write(tmp_path, {"dvc.yaml": "stages: {a: {cmd: dvc}}\n"})
    pipeline = load(tmp_path, "stages: {a: {cmd: solvent}}\n", name="solvent.yaml")
    assert pipeline.file == P("solvent.yaml")
    assert pipeline.stage("a").cmd == ("solvent",)


def test_plain_dvc_yaml(tmp_path: Path) -> None:
    pipeline = load(tmp_path, "stages: {a: {cmd: run}}\n")
    assert pipeline.file == P("dvc.yaml")
    assert pipeline.stages[0].where == Location(P("dvc.yaml"), 1)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "stages:\n", "stages: {}\n"])
def test_empty_spec_has_no_stages(tmp_path: Path, text: str) -> None:
    assert load(tmp_path, text).stages == ()


def test_full_stage(tmp_path: Path) -> None:
    stage = load(
        tmp_path,
        """\
        stages:
          train:
            cmd: python train.py
            deps: [train.py, data/./train.csv, data/]
            outs:
              - model.pkl
              - logs:
                  cache: false
                  persist: true
                  remote: store
                  desc: training logs
            metrics:
              - metrics.json:
                  cache: false
            plots:
              - curve.csv:
                  x: step
                  y: loss
                  template: linear
              - roc.png
            frozen: true
            always_changed: true
            desc: Train the model
            meta: {owner: me, anything: [1, 2]}
            checks: {schema: [data/train.csv], rows: {curve.csv: {min: 1}}}
            resources: {cpus: 2}
            type: model
            env: strict
        """,
    ).stage("train")
    assert stage.cmd == ("python train.py",)
    assert stage.wdir == P(".")
    assert stage.deps == (P("train.py"), P("data/train.csv"), P("data"))
    assert stage.outs == (
        Out(P("model.pkl")),
        Out(P("logs"), cache=False, persist=True),
        Out(P("metrics.json"), kind="metric", cache=False),
        Out(P("curve.csv"), kind="plot"),
        Out(P("roc.png"), kind="plot"),
    )
    assert stage.frozen and stage.always_changed
    assert stage.desc == "Train the model"
    assert [c.kind for c in stage.checks] == ["schema", "rows"]
    assert stage.env == "strict"
    assert stage.type == "model"
    assert stage.where.line == 2


def test_outs_order_is_outs_metrics_plots_whatever_the_file_order(tmp_path: Path) -> None:
    stage = load(tmp_path, "stages: {a: {cmd: x, plots: [p], metrics: [m], outs: [o]}}\n").stage(
        "a"
    )
    assert [o.kind for o in stage.outs] == ["out", "metric", "plot"]


def test_same_out_twice_in_a_section_merges_flags(tmp_path: Path) -> None:
    stage = load(
        tmp_path,
        """\
        stages:
          a:
            cmd: x
            outs: [o, {o: {cache: false}}, {o: {persist: true}}]
        """,
    ).stage("a")
    assert stage.outs == (Out(P("o"), cache=False, persist=True),)


def test_cmd_list(tmp_path: Path) -> None:
    stage = load(tmp_path, "stages: {a: {cmd: [first, second]}}\n").stage("a")
    assert stage.cmd == ("first", "second")


def test_wdir_applies_to_paths(tmp_path: Path) -> None:
    stage = load(
        tmp_path,
        """\
        stages:
          a:
            wdir: src/./app/
            cmd: python run.py
            deps: [run.py, ../../data/in.csv]
            outs: [../out]
            params: [lr]
        """,
    ).stage("a")
    assert stage.wdir == P("src/app")
    assert stage.deps == (P("src/app/run.py"), P("data/in.csv"))
    assert stage.outs == (Out(P("src/out")),)
    assert stage.params == (ParamRef(P("src/app/params.yaml"), "lr"),)


@pytest.mark.parametrize("wdir", [".", "./", "a/..", "''"])
def test_wdir_at_the_root(tmp_path: Path, wdir: str) -> None:
    stage = load(tmp_path, f"stages: {{a: {{cmd: x, wdir: {wdir}, deps: [d]}}}}\n").stage("a")
    assert stage.wdir == P(".")
    assert stage.deps == (P("d"),)


def test_params_forms(tmp_path: Path) -> None:
    stage = load(
        tmp_path,
        """\
        stages:
          a:
            cmd: x
            params:
              - lr
              - train.epochs
              - lr
              - conf/model.toml: [depth, opt.lr]
              - other.json:
              - third.yaml: []
              - conf/model.toml: [depth, width]
        """,
    ).stage("a")
    assert stage.params == (
        ParamRef(P("params.yaml"), "lr"),
        ParamRef(P("params.yaml"), "train.epochs"),
        ParamRef(P("conf/model.toml"), "depth"),
        ParamRef(P("conf/model.toml"), "opt.lr"),
        ParamRef(P("conf/model.toml"), "width"),
        ParamRef(P("other.json"), None),
        ParamRef(P("third.yaml"), None),
    )


def test_whole_params_file_absorbs_its_keys(tmp_path: Path) -> None:
    stage = load(tmp_path, "stages: {a: {cmd: x, params: [lr, {params.yaml: }, seed]}}\n").stage(
        "a"
    )
    assert stage.params == (ParamRef(P("params.yaml"), None),)


def test_top_level_sections_dvc_allows_are_accepted(tmp_path: Path) -> None:
    pipeline = load(
        tmp_path,
        """\
        params: [p.yaml]
        metrics: [m.json]
        plots: [{curve: {x: a, y: b}}]
        artifacts: {model: {path: m.pkl, type: model}}
        datasets: [{name: d, type: dvc, url: x}]
        stages: {a: {cmd: x}}
        """,
    )
    assert [s.name for s in pipeline.stages] == ["a"]


# -- variables ------------------------------------------------------------------------------


def test_params_yaml_is_the_default_context(tmp_path: Path) -> None:
    stage = load(
        tmp_path,
        "stages: {a: {cmd: 'train --lr ${train.lr} --on ${on}'}}\n",
        **{"params.yaml": "train: {lr: 1e-5}\non: true\n"},
    ).stage("a")
    assert stage.cmd == ("train --lr 1e-05 --on true",)


def test_vars_inline_and_files(tmp_path: Path) -> None:
    stage = load(
        tmp_path,
        """\
        vars:
          - extra.yaml
          - conf.json:key1,key2
          - settings.toml
          - inline: {x: 1}
            names: [a, b]
          - params.yaml
        stages:
          a:
            cmd: echo ${base} ${extra} ${key1.v} ${key2} ${title} ${opt.lr} ${inline.x} ${names[1]}
        """,
        **{
            "params.yaml": "base: B\n",
            "extra.yaml": "extra: E\n",
            "conf.json": '{"key1": {"v": "K"}, "key2": 2, "key3": "not loaded"}',
            "settings.toml": 'title = "T"\n[opt]\nlr = 0.5\n',
        },
    ).stage("a")
    assert stage.cmd == ("echo B E K 2 T 0.5 1 b",)


def test_vars_files_merge_nested_dicts(tmp_path: Path) -> None:
    stage = load(
        tmp_path,
        "vars: [more.yaml]\nstages: {a: {cmd: 'echo ${d.x} ${d.y}'}}\n",
        **{"params.yaml": "d: {x: 1}\n", "more.yaml": "d: {y: 2}\n"},
    ).stage("a")
    assert stage.cmd == ("echo 1 2",)


def test_stage_vars_are_relative_to_wdir(tmp_path: Path) -> None:
    stage = load(
        tmp_path,
        """\
        stages:
          a:
            wdir: sub
            vars: [local.yaml, {n: 3}]
            cmd: echo ${here} ${n}
        """,
        **{"sub__local.yaml": "here: H\n"},
    ).stage("a")
    assert stage.cmd == ("echo H 3",)


def test_stage_vars_stay_in_their_stage(tmp_path: Path) -> None:
    with pytest.raises(MalformedFileError, match=r"dvc.yaml:1: stage 'b': cmd: .*'n' is not"):
        load(tmp_path, "stages: {a: {cmd: x, vars: [{n: 3}]}, b: {cmd: 'echo ${n}'}}\n")


def test_whole_value_interpolation_keeps_the_type(tmp_path: Path) -> None:
    stage = load(
        tmp_path,
        """\
        stages:
          a:
            cmd: echo
            outs:
              - out:
                  cache: ${cache}
                  persist: ${keep}
            desc: ${text}
        """,
        **{"params.yaml": "cache: false\nkeep: true\ntext: hello\n"},
    ).stage("a")
    assert stage.outs == (Out(P("out"), cache=False, persist=True),)
    assert stage.desc == "hello"


def test_string_interpolation_renders_like_dvc(tmp_path: Path) -> None:
    stage = load(
        tmp_path,
        "stages: {a: {cmd: 'x ${t} ${f} ${n} ${i} ${fl} ${s}'}}\n",
        **{"params.yaml": "t: true\nf: false\nn: null\ni: 3\nfl: 2.50\ns: yes\n"},
    ).stage("a")
    assert stage.cmd == ("x true false None 3 2.5 yes",)


def test_nested_keys_and_indexes(tmp_path: Path) -> None:
    stage = load(
        tmp_path,
        "stages: {a: {cmd: 'x ${a.b.c} ${l[1]} ${l.0} ${m[0].n} ${m.0.n} ${ a . b . c }'}}\n",
        **{"params.yaml": "a: {b: {c: 1}}\nl: [p, q]\nm: [{n: N}]\n"},
    ).stage("a")
    assert stage.cmd == ("x 1 q p N N 1",)


def test_escaped_interpolation_is_literal(tmp_path: Path) -> None:
    stage = load(
        tmp_path, "stages: {a: {cmd: 'echo \\${a} ${a}'}}\n", **{"params.yaml": "a: 1\n"}
    ).stage("a")
    assert stage.cmd == ("echo ${a} 1",)


PARAMS_WITH_DICT = """\
opts:
  lr: 0.1
  name: my model
  verbose: true
  quiet: false
  layers: [8, 16]
  nested: {depth: 2}
  empty: {}
"""


def test_dict_in_cmd_renders_as_arguments(tmp_path: Path) -> None:
    stage = load(
        tmp_path, "stages: {a: {cmd: 'train ${opts}'}}\n", **{"params.yaml": PARAMS_WITH_DICT}
    ).stage("a")
    assert stage.cmd == (
        "train --lr 0.1 --name 'my model' --verbose --layers 8 16 --nested.depth 2",
    )


def test_dict_rendering_follows_dvc_parsing_config(tmp_path: Path) -> None:
    write(tmp_path, {".dvc/config": "[parsing]\n    bool = boolean_optional\n    list = append\n"})
    stage = load(
        tmp_path, "stages: {a: {cmd: 'train ${opts}'}}\n", **{"params.yaml": PARAMS_WITH_DICT}
    ).stage("a")
    assert stage.cmd == (
        "train --lr 0.1 --name 'my model' --verbose --no-quiet --layers 8 --layers 16"
        " --nested.depth 2",
    )


def test_parsing_options_can_be_given(tmp_path: Path) -> None:
    write(tmp_path, {"dvc.yaml": "stages: {a: {cmd: 'x ${o}'}}\n", "params.yaml": "o: {q: false}"})
    pipeline = load_pipeline(tmp_path, parsing=ParsingOptions(bool_style="boolean_optional"))
    assert pipeline is not None
    assert pipeline.stage("a").cmd == ("x --no-q",)


def test_whole_dict_as_cmd_renders_too(tmp_path: Path) -> None:
    """DVC leaves a dict as the cmd (and then fails); we render it as arguments."""
    stage = load(tmp_path, "stages: {a: {cmd: '${o}'}}\n", **{"params.yaml": "o: {x: 1}\n"}).stage(
        "a"
    )
    assert stage.cmd == ("--x 1",)


# -- foreach / matrix -----------------------------------------------------------------------


def test_foreach_list_of_scalars(tmp_path: Path) -> None:
    pipeline = load(
        tmp_path,
        """\
        stages:
          s:
            foreach: [a, 1, 2.50, true, two words]
            do:
              cmd: echo ${item}
              outs: ['out/${item}.txt']
        """,
    )
    assert [s.name for s in pipeline.stages] == ["s@a", "s@1", "s@2.5", "s@true", "s@two words"]
    assert pipeline.stage("s@true").cmd == ("echo true",)
    assert pipeline.stage("s@a").outs == (Out(P("out/a.txt")),)
    assert {s.where for s in pipeline.stages} == {Location(P("dvc.yaml"), 2)}


def test_foreach_list_of_dicts_is_named_by_index(tmp_path: Path) -> None:
    pipeline = load(
        tmp_path,
        """\
        stages:
          s:
            foreach: ${models}
            do:
              cmd: train ${item.name} --lr ${item.lr}
        """,
        **{"params.yaml": "models: [{name: a, lr: 0.1}, {name: b, lr: 0.2}]\n"},
    )
    assert [(s.name, s.cmd) for s in pipeline.stages] == [
        ("s@0", ("train a --lr 0.1",)),
        ("s@1", ("train b --lr 0.2",)),
    ]


def test_foreach_dict_gives_key_and_item(tmp_path: Path) -> None:
    pipeline = load(
        tmp_path,
        """\
        stages:
          s:
            foreach:
              us: {rows: 1}
              eu: {rows: 2}
            do:
              wdir: ${key}
              cmd: echo ${key} ${item.rows} ${item}
              deps: [in.csv]
        """,
    )
    assert [s.name for s in pipeline.stages] == ["s@us", "s@eu"]
    eu = pipeline.stage("s@eu")
    assert eu.cmd == ("echo eu 2 --rows 2",)
    assert eu.wdir == P("eu")
    assert eu.deps == (P("eu/in.csv"),)


def test_foreach_items_are_interpolated(tmp_path: Path) -> None:
    pipeline = load(
        tmp_path,
        "stages: {s: {foreach: ['${a}', b], do: {cmd: 'echo ${item}'}}}\n",
        **{"params.yaml": "a: 7\n"},
    )
    assert [s.name for s in pipeline.stages] == ["s@7", "s@b"]


def test_foreach_item_shadows_a_global_item(tmp_path: Path) -> None:
    pipeline = load(
        tmp_path,
        "stages: {s: {foreach: [x], do: {cmd: 'echo ${item}'}}, t: {cmd: 'echo ${item}'}}\n",
        **{"params.yaml": "item: global\n"},
    )
    assert pipeline.stage("s@x").cmd == ("echo x",)
    assert pipeline.stage("t").cmd == ("echo global",)


def test_matrix(tmp_path: Path) -> None:
    pipeline = load(
        tmp_path,
        """\
        stages:
          train:
            matrix:
              model: [cnn, mlp]
              lr: ${lrs}
              opt: [{name: adam}, {name: sgd}]
            cmd: train ${item.model} ${item.lr} ${item.opt.name} ${key}
            outs: ["models/${key}.pt"]
        """,
        **{"params.yaml": "lrs: [0.1, 1e-3]\n"},
    )
    assert [s.name for s in pipeline.stages] == [
        "train@cnn-0.1-opt0",
        "train@cnn-0.1-opt1",
        "train@cnn-0.001-opt0",
        "train@cnn-0.001-opt1",
        "train@mlp-0.1-opt0",
        "train@mlp-0.1-opt1",
        "train@mlp-0.001-opt0",
        "train@mlp-0.001-opt1",
    ]
    stage = pipeline.stage("train@mlp-0.001-opt1")
    assert stage.cmd == ("train mlp 0.001 sgd mlp-0.001-opt1",)
    assert stage.outs == (Out(P("models/mlp-0.001-opt1.pt")),)


def test_foreach_stage_vars(tmp_path: Path) -> None:
    pipeline = load(
        tmp_path,
        """\
        stages:
          s:
            foreach: [a, b]
            do:
              wdir: ${item}
              vars: [local.yaml]
              cmd: echo ${value}
        """,
        **{"a__local.yaml": "value: A\n", "b__local.yaml": "value: B\n"},
    )
    assert [s.cmd for s in pipeline.stages] == [("echo A",), ("echo B",)]


def test_where_points_at_each_stage(tmp_path: Path) -> None:
    pipeline = load(
        tmp_path,
        """\
        stages:
          first:
            cmd: a

          second:
            cmd: b
        """,
    )
    assert [s.where.line for s in pipeline.stages] == [2, 5]


# -- top-level metrics, params and plots (dvclive and DVC's get-started declare them) --------


def test_top_level_metrics_params_and_plots_are_kept(tmp_path: Path) -> None:
    pipeline = load(
        tmp_path,
        """\
        vars:
          - out: eval
        stages:
          evaluate: {cmd: python evaluate.py, outs: [dvclive]}
        metrics:
          - dvclive/metrics.json
          - ${out}/./scores.json
        params:
          - dvclive/params.yaml
        plots:
          - dvclive/plots/metrics:
              x: step
          - ROC:
              template: simple
              x: fpr
              y:
                ${out}/roc/train.json: tpr
                ${out}/roc/test.json: [tpr]
          - ${out}/importance.png
          - Precision-Recall:
          - a.csv:
            b.csv: {y: loss}
        """,
    )
    assert pipeline.metrics == (P("dvclive/metrics.json"), P("eval/scores.json"))
    assert pipeline.params == (P("dvclive/params.yaml"),)
    assert [(p.name, p.files, p.props) for p in pipeline.plots] == [
        ("dvclive/plots/metrics", (P("dvclive/plots/metrics"),), {"x": "step"}),
        (
            "ROC",
            (P("eval/roc/train.json"), P("eval/roc/test.json")),
            {
                "template": "simple",
                "x": "fpr",
                "y": {"eval/roc/train.json": "tpr", "eval/roc/test.json": ["tpr"]},
            },
        ),
        ("eval/importance.png", (P("eval/importance.png"),), {}),
        ("Precision-Recall", (P("Precision-Recall"),), {}),
        ("a.csv", (P("a.csv"),), {}),
        ("b.csv", (P("b.csv"),), {"y": "loss"}),
    ]
    assert pipeline.top_level_paths()[:3] == (
        P("dvclive/metrics.json"),
        P("eval/scores.json"),
        P("dvclive/params.yaml"),
    )


def test_no_top_level_sections(tmp_path: Path) -> None:
    pipeline = load(tmp_path, "stages: {a: {cmd: run}}\n")
    assert (pipeline.metrics, pipeline.params, pipeline.plots) == ((), (), ())
