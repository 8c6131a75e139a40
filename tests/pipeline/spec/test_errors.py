"""Every mistake in a spec ends in one error naming the file and line, with a hint."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from solvent.errors import MalformedFileError, PathOutsideRepoError, SolventError
from tests.pipeline.spec.test_helpers import load


def fails(
    root: Path, spec: str, where: str, message: str, hint: str | None = None, **files: str
) -> SolventError:
    """Load ``spec``; it must fail with ``where: `` then a message matching ``message``."""
    with pytest.raises(SolventError) as caught:
        load(root, spec, **files)
    error = caught.value
    assert error.message.startswith(f"{where}: "), error.message
    assert re.search(message, error.message), error.message
    if hint is not None:
        assert error.hint is not None and re.search(hint, error.hint), error.hint
    return error


# -- keys and types --------------------------------------------------------------------------


def test_unknown_stage_key_suggests_the_closest(tmp_path: Path) -> None:
    error = fails(
        tmp_path,
        "stages:\n  train:\n    cmd: x\n    dep: [a]\n",
        "dvc.yaml:4",
        "stage 'train': unknown key 'dep'",
        "did you mean 'deps'?",
    )
    assert isinstance(error, MalformedFileError)


def test_unknown_top_level_key(tmp_path: Path) -> None:
    fails(tmp_path, "stage:\n  a: {cmd: x}\n", "dvc.yaml:1", "unknown key 'stage'", "'stages'")


def test_unknown_key_without_a_close_match_lists_the_known_ones(tmp_path: Path) -> None:
    fails(
        tmp_path, "stages: {a: {cmd: x, zzzzzz: 1}}\n", "dvc.yaml:1", "'zzzzzz'", "known keys: cmd"
    )


def test_unknown_out_flag(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  a:\n    cmd: x\n    outs:\n      - o:\n          cahce: false\n",
        "dvc.yaml:5",
        "stage 'a': out 'o': unknown key 'cahce'",
        "did you mean 'cache'?",
    )


def test_plot_props_only_on_plots(tmp_path: Path) -> None:
    fails(tmp_path, "stages: {a: {cmd: x, outs: [{o: {x: step}}]}}\n", "dvc.yaml:1", "'x'")


def test_missing_cmd(tmp_path: Path) -> None:
    fails(tmp_path, "stages:\n  a:\n    deps: [x]\n", "dvc.yaml:2", "stage 'a': no cmd")


@pytest.mark.parametrize(
    ("stage", "message"),
    [
        ("{cmd: 5}", "cmd must be a string or a list of strings, got a number"),
        ("{cmd: []}", "cmd must be a string or a list"),
        ("{cmd: x, deps: data}", "deps must be a list of paths, got a string"),
        ("{cmd: x, deps: [{path: a}]}", "deps must be a list of paths"),
        ("{cmd: x, outs: [{o: }]}", "outs must be a list of paths and"),
        ("{cmd: x, params: [{f.yaml: lr}]}", "params must be a list of keys"),
        ("{cmd: x, frozen: 'yes'}", "frozen must be true or false, got a string"),
        ("{cmd: x, always_changed: 1}", "always_changed must be true or false"),
        ("{cmd: x, desc: [a]}", "desc must be a string, got a list"),
        ("{cmd: x, wdir: 1}", "wdir must be a string"),
        ("{cmd: x, vars: {a: 1}}", "vars must be a list, got a mapping"),
        ("[cmd, x]", "stage 'a' must be a mapping, got a list"),
    ],
)
def test_bad_types(tmp_path: Path, stage: str, message: str) -> None:
    fails(tmp_path, f"stages:\n  a: {stage}\n", "dvc.yaml:2", re.escape(message))


def test_bad_types_after_interpolation(tmp_path: Path) -> None:
    params = {"params.yaml": "n: 3\nflag: 'no'\n"}
    fails(
        tmp_path, "stages: {a: {cmd: '${n}'}}\n", "dvc.yaml:1", "cmd must resolve to text", **params
    )
    fails(
        tmp_path,
        "stages: {a: {cmd: x, deps: ['${n}']}}\n",
        "dvc.yaml:1",
        "dep must be a path",
        **params,
    )
    fails(
        tmp_path,
        "stages: {a: {cmd: x, outs: [{o: {cache: '${flag}'}}]}}\n",
        "dvc.yaml:1",
        "out 'o': cache must be true or false",
        **params,
    )


def test_param_key_resolving_to_a_number(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages: {a: {cmd: x, params: ['${n}']}}\n",
        "dvc.yaml:1",
        "stage 'a': param must be a key, got a number",
        **{"params.yaml": "n: 3\n"},
    )


def test_stage_name_not_a_string(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  1: {cmd: x}\n",
        "dvc.yaml:2",
        "stage name 1 must be a non-empty string",
    )


def test_desc_resolving_to_a_number(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages: {a: {cmd: x, desc: '${n}'}}\n",
        "dvc.yaml:1",
        "stage 'a': desc must be a string, got a number",
        **{"params.yaml": "n: 3\n"},
    )


def test_param_key_in_a_file_resolving_to_a_number(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages: {a: {cmd: x, params: [{f.yaml: ['${n}']}]}}\n",
        "dvc.yaml:1",
        "stage 'a': param key must be a string, got a number",
        **{"params.yaml": "n: 3\n"},
    )


def test_mapping_key_resolving_to_a_dict(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages: {a: {cmd: x, outs: [{'${d}': {cache: false}}]}}\n",
        "dvc.yaml:1",
        r"outs: cannot interpolate \$\{d\}: it is a dict",
        **{"params.yaml": "d: {k: 1}\n"},
    )


def test_params_yaml_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").mkdir()
    fails(tmp_path, "stages: {}\n", "dvc.yaml:1", "params.yaml: 'params.yaml' is a directory")


def test_missing_nested_key_lists_the_keys_there(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages: {a: {cmd: 'x ${a.zzz}'}}\n",
        "dvc.yaml:1",
        "'a' has no key 'zzz'",
        "available keys: b, c",
        **{"params.yaml": "a: {b: 1, c: 2}\n"},
    )


def test_empty_cmd(tmp_path: Path) -> None:
    fails(tmp_path, "stages: {a: {cmd: '  '}}\n", "dvc.yaml:1", "cmd is empty")


def test_top_level_not_a_mapping(tmp_path: Path) -> None:
    fails(tmp_path, "- a\n- b\n", "dvc.yaml:1", "expected a mapping with 'stages:', got a list")


def test_stages_not_a_mapping(tmp_path: Path) -> None:
    fails(tmp_path, "stages: [a]\n", "dvc.yaml:1", "'stages' must be a mapping")


# -- YAML -----------------------------------------------------------------------------------


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    fails(tmp_path, "stages:\n  a:\n    cmd: [x\n  b: y\n", "dvc.yaml:4", "expected", "YAML")


def test_duplicate_key_names_the_line(tmp_path: Path) -> None:
    fails(tmp_path, "stages:\n  a: {cmd: x}\n  a: {cmd: y}\n", "dvc.yaml:3", "duplicate key")


def test_unquoted_interpolation_in_a_flow_list_gets_a_hint(tmp_path: Path) -> None:
    fails(tmp_path, "stages:\n  a:\n    cmd: x\n    outs: [o/${a}]\n", "dvc.yaml:4", "", "quote")


def test_unknown_tag(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  a:\n    cmd: !shell x\n",
        "dvc.yaml:3",
        "could not determine a constructor for the tag '!shell'",
    )


def test_str_tag_is_a_string(tmp_path: Path) -> None:
    assert load(tmp_path, "stages: {a: {cmd: !!str 5}}\n").stage("a").cmd == ("5",)


# -- interpolation ---------------------------------------------------------------------------


def test_missing_variable_names_file_and_line(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  train:\n    cmd: >-\n      python train.py\n      --lr ${train.lrr}\n",
        "dvc.yaml:3",
        r"stage 'train': cmd: cannot resolve \$\{train.lrr\}: 'train' has no key 'lrr'",
        "did you mean 'lr'?",
        **{"params.yaml": "train: {lr: 1}\n"},
    )


def test_missing_variable_in_a_list_names_its_line(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  a:\n    cmd: x\n    deps:\n      - ok\n      - ${nope}\n",
        "dvc.yaml:6",
        r"deps: cannot resolve \$\{nope\}: 'nope' is not defined",
        "params.yaml, vars",
    )


def test_missing_variable_in_generated_stage(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  s:\n    foreach: [a]\n    do:\n      cmd: echo ${item.x}\n",
        "dvc.yaml:5",
        r"stage 's@a': cmd: cannot resolve \$\{item.x\}: 'item' is 'a', not a dict or list",
    )


def test_index_out_of_range(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages: {a: {cmd: 'x ${l[5]}'}}\n",
        "dvc.yaml:1",
        "'l' is a list of 2 items, '5' is not an index",
        **{"params.yaml": "l: [1, 2]\n"},
    )


@pytest.mark.parametrize("expr", ["a..b", "", "a[0", ".a", "a]"])
def test_invalid_expression(tmp_path: Path, expr: str) -> None:
    fails(
        tmp_path,
        f"stages: {{a: {{cmd: 'x ${{{expr}}}'}}}}\n",
        "dvc.yaml:1",
        "invalid expression",
        r"\$\{a.b.c\}",
    )


def test_list_cannot_go_into_a_cmd(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages: {a: {cmd: 'x ${l}'}}\n",
        "dvc.yaml:1",
        r"cannot interpolate \$\{l\}: it is a list",
        r"\$\{l\[0\]\}",
        **{"params.yaml": "l: [1, 2]\n"},
    )


def test_dict_cannot_go_into_a_path(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages: {a: {cmd: x, outs: ['${d}']}}\n",
        "dvc.yaml:1",
        r"outs: cannot interpolate \$\{d\}: it is a dict",
        **{"params.yaml": "d: {k: 1}\n"},
    )


def test_nested_list_in_cmd_dict(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages: {a: {cmd: 'x ${d}'}}\n",
        "dvc.yaml:1",
        "cannot render nested list or dict in 'k'",
        **{"params.yaml": "d: {k: [[1]]}\n"},
    )


def test_date_in_params_is_refused(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages: {a: {cmd: x}}\n",
        "params.yaml",
        r"'when' holds a date \(2020-01-01\), which cannot be used as a variable",
        "quote it",
        **{"params.yaml": "when: 2020-01-01\n"},
    )


def test_bad_params_file_syntax_names_that_file(tmp_path: Path) -> None:
    for name, (spec, where, files) in {
        "yaml": ("stages: {}\n", "params.yaml:2", {"params.yaml": "a: 1\na: 2\n"}),
        "json": ("vars: [c.json]\nstages: {}\n", "c.json:1", {"c.json": "{oops"}),
        "toml": ("vars: [c.toml]\nstages: {}\n", "c.toml", {"c.toml": "= 1"}),
    }.items():
        (tmp_path / name).mkdir()
        fails(tmp_path / name, spec, where, "", **files)


# -- vars ------------------------------------------------------------------------------------


def test_interpolation_in_vars(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "vars:\n  - '${a}.yaml'\nstages: {}\n",
        "dvc.yaml:2",
        r"\$\{\} is not allowed in vars",
    )


def test_missing_vars_file(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "vars:\n  - nope.yaml\nstages: {}\n",
        "dvc.yaml:2",
        "vars: 'nope.yaml' does not exist",
    )


def test_vars_file_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    fails(tmp_path, "vars: [d]\nstages: {}\n", "dvc.yaml:1", "'d' is a directory")


def test_vars_file_not_a_mapping(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "vars: [l.yaml]\nstages: {}\n",
        "dvc.yaml:1",
        "holds a list",
        **{"l.yaml": "- 1\n"},
    )


def test_vars_python_file(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "vars: [p.py]\nstages: {}\n",
        "dvc.yaml:1",
        "Python params files",
        **{"p.py": "A = 1\n"},
    )


def test_missing_key_in_vars_file(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "vars: ['c.json:key1,kye2']\nstages: {}\n",
        "dvc.yaml:1",
        "could not find 'kye2' in 'c.json'",
        "did you mean 'key2'?",
        **{"c.json": '{"key1": 1, "key2": 2}'},
    )


def test_vars_entry_of_the_wrong_type(tmp_path: Path) -> None:
    fails(tmp_path, "vars: [1]\nstages: {}\n", "dvc.yaml:1", "entry is a number")


def test_variable_defined_twice(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "vars:\n  - {a: {b: 2}}\nstages: {}\n",
        "dvc.yaml:2",
        "cannot redefine 'a.b' from vars\\[0\\]: it is already set by 'params.yaml'",
        "defined once",
        **{"params.yaml": "a: {b: 1}\n"},
    )


def test_stage_vars_cannot_redefine(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  a:\n    vars: [{x: 2}]\n    cmd: echo\n",
        "dvc.yaml:3",
        "stage 'a': vars: cannot redefine 'x'",
        **{"params.yaml": "x: 1\n"},
    )


def test_stage_vars_cannot_set_item(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  s:\n    foreach: [a]\n    do:\n      vars: [{item: 1}]\n      cmd: x\n",
        "dvc.yaml:5",
        "stage 's@a': vars: vars\\[0\\] may not set 'item'",
        "set by foreach",
    )


def test_file_loaded_whole_then_partly(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "vars: ['params.yaml:a']\nstages: {}\n",
        "dvc.yaml:1",
        "cannot load 'params.yaml:a': 'params.yaml' is already loaded",
        **{"params.yaml": "a: 1\n"},
    )


def test_same_keys_loaded_twice(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "vars: ['c.yaml:a', 'c.yaml:a']\nstages: {}\n",
        "dvc.yaml:1",
        r"already partly loaded \(a\)",
        **{"c.yaml": "a: 1\n"},
    )


def test_whole_file_twice_is_fine(tmp_path: Path) -> None:
    pipeline = load(
        tmp_path,
        "vars: [params.yaml, c.yaml:a, c.yaml:b]\nstages: {s: {cmd: 'x ${a}${b}'}}\n",
        **{"params.yaml": "p: 1\n", "c.yaml": "a: 1\nb: 2\n"},
    )
    assert pipeline.stage("s").cmd == ("x 12",)


# -- paths -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "line", "message"),
    [
        ("cmd: x\n    deps: [../secret]", 4, "stage 'a': dep: path '../secret' leaves the repo"),
        ("cmd: x\n    outs: [/etc/passwd]", 4, "stage 'a': out: path '/etc/passwd' is absolute"),
        ("wdir: ..\n    cmd: x", 3, "stage 'a': wdir: path '..' leaves the repo"),
        (
            "wdir: sub\n    cmd: x\n    deps: [../../x]",
            5,
            "stage 'a': dep: path 'sub/../../x' leaves",
        ),
        ("cmd: x\n    params: [{../p.yaml: [a]}]", 4, "stage 'a': params: path '../p.yaml' leaves"),
        ("cmd: x\n    vars: [../v.yaml]", 4, "stage 'a': vars file: path '../v.yaml' leaves"),
    ],
)
def test_paths_may_not_leave_the_repo(tmp_path: Path, stage: str, line: int, message: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    with pytest.raises(PathOutsideRepoError) as caught:
        load(root, f"stages:\n  a:\n    {stage}\n")
    assert caught.value.message.startswith(f"dvc.yaml:{line}: {message}"), caught.value.message
    assert caught.value.hint is not None and "repo" in caught.value.hint


def test_url_is_not_a_repo_path(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages: {a: {cmd: x, deps: ['s3://b/k']}}\n",
        "dvc.yaml:1",
        "is a URL",
        "inside the repo",
    )


# -- foreach / matrix ------------------------------------------------------------------------


def test_duplicate_names_from_foreach(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  s:\n    foreach: [1, '1']\n    do: {cmd: x}\n",
        "dvc.yaml:3",
        "stage 's': foreach gives two stages the name 's@1'",
        "unique",
    )


def test_duplicate_names_from_foreach_dict(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  s:\n    foreach: {1: a, '1': b}\n    do: {cmd: x}\n",
        "dvc.yaml:3",
        "two stages the name 's@1'",
    )


def test_duplicate_names_from_matrix(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  s:\n    matrix: {a: [x, x]}\n    cmd: x\n",
        "dvc.yaml:3",
        "stage 's': matrix gives two stages the name 's@x'",
    )


def test_generated_name_clashes_with_a_written_one(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  s@a:\n    cmd: x\n  s:\n    foreach: [a]\n    do: {cmd: y}\n",
        "dvc.yaml:4",
        r"stage 's@a' is defined twice \(first at dvc.yaml:2\)",
        "unique",
    )


@pytest.mark.parametrize(
    ("foreach", "kind"), [("${n}", "a number"), ("'a ${n}'", "a string"), ("abc", "a string")]
)
def test_foreach_over_a_scalar(tmp_path: Path, foreach: str, kind: str) -> None:
    fails(
        tmp_path,
        f"stages:\n  s:\n    foreach: {foreach}\n    do: {{cmd: x}}\n",
        "dvc.yaml:3",
        f"stage 's': foreach must be a list or a mapping, got {kind}",
        "foreach: \\[a, b\\]",
        **{"params.yaml": "n: 1\n"},
    )


def test_foreach_missing_variable(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  s:\n    foreach: ${models}\n    do: {cmd: x}\n",
        "dvc.yaml:3",
        r"stage 's': foreach: cannot resolve \$\{models\}",
        "did you mean 'model'?",
        **{"params.yaml": "model: 1\n"},
    )


def test_foreach_with_stage_keys_beside_it(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  s:\n    foreach: [a]\n    cmd: x\n    do: {cmd: x}\n",
        "dvc.yaml:4",
        "unknown key 'cmd' beside foreach/do",
        "under do:",
    )


def test_foreach_without_do(tmp_path: Path) -> None:
    fails(tmp_path, "stages:\n  s:\n    foreach: [a]\n", "dvc.yaml:2", "no do")


def test_do_not_a_mapping(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  s:\n    foreach: [a]\n    do: x\n",
        "dvc.yaml:4",
        "do must be a mapping",
    )


def test_matrix_inside_do_is_unknown(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  s:\n    foreach: [a]\n    do:\n      matrix: {x: [1]}\n      cmd: x\n",
        "dvc.yaml:5",
        "unknown key 'matrix'",
    )


def test_matrix_value_not_a_list(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  s:\n    matrix:\n      lr: 0.1\n    cmd: x\n",
        "dvc.yaml:4",
        "matrix 'lr' must be a list, got a number",
    )


def test_matrix_not_a_mapping(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  s:\n    matrix: [1]\n    cmd: x\n",
        "dvc.yaml:3",
        "matrix must map names",
    )


def test_matrix_missing_variable(tmp_path: Path) -> None:
    fails(
        tmp_path,
        "stages:\n  s:\n    matrix:\n      lr: ${lrs}\n    cmd: x\n",
        "dvc.yaml:4",
        r"matrix: cannot resolve \$\{lrs\}",
    )


def test_dvc_config_with_a_bad_parsing_value(tmp_path: Path) -> None:
    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text("[parsing]\n    bool = maybe\n")
    with pytest.raises(MalformedFileError, match=r"parsing\.bool is 'maybe'"):
        load(tmp_path, "stages: {}\n")


def test_dvc_config_with_a_bad_list_value(tmp_path: Path) -> None:
    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text("[parsing]\n    list = spread\n")
    with pytest.raises(MalformedFileError, match=r"parsing\.list is 'spread'"):
        load(tmp_path, "stages: {}\n")


def test_unreadable_dvc_config_keeps_defaults(tmp_path: Path) -> None:
    (tmp_path / ".dvc").mkdir()
    (tmp_path / ".dvc" / "config").write_text("no section header\n")
    pipeline = load(tmp_path, "stages: {a: {cmd: 'x ${o}'}}\n", **{"params.yaml": "o: {f: false}"})
    assert pipeline.stage("a").cmd == ("x ",)


def test_non_utf8_params(tmp_path: Path) -> None:
    (tmp_path / "params.yaml").write_bytes(b"a: \xff\n")
    fails(tmp_path, "stages: {}\n", "params.yaml", "not UTF-8")


def test_flow_list_with_colons_reads_as_dvc_reads_it(tmp_path: Path) -> None:
    """libyaml (ruamel's C parser) refuses 'a:b' in [ ]; the pure parser DVC uses accepts it."""
    pipeline = load(
        tmp_path,
        "vars: [c.yaml:a]\nstages: {s: {cmd: 'x ${a}', deps: [d:e]}}\n",
        **{"c.yaml": "a: 1\n"},
    )
    assert pipeline.stage("s").cmd == ("x 1",)
    assert [str(d) for d in pipeline.stage("s").deps] == ["d:e"]


def test_non_utf8_spec(tmp_path: Path) -> None:
    (tmp_path / "dvc.yaml").write_bytes(b"stages: {a: {cmd: \xff}}\n")
    with pytest.raises(MalformedFileError, match="not UTF-8"):
        from solvent.pipeline.spec.load import load_pipeline

        load_pipeline(tmp_path)


# -- top-level metrics, params and plots -------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "where", "message"),
    [
        ("metrics: dvclive/metrics.json\n", "dvc.yaml:1", "top-level metrics must be a list"),
        ("params:\n  - a.yaml\n  - {b.yaml: [x]}\n", "dvc.yaml:3", "params: entry 2 must be"),
        ("plots: {a: 1}\n", "dvc.yaml:1", "top-level plots must be a list"),
        ("plots:\n  - [a.csv]\n", "dvc.yaml:2", "an entry must be a path or"),
        ("plots:\n  - a.csv: step\n", "dvc.yaml:2", "'a.csv' must map to its properties"),
        ("plots:\n  - a.csv:\n      cache: false\n", "dvc.yaml:3", "unknown key 'cache'"),
        ("plots:\n  - roc:\n      y: {r.json: 1}\n", "dvc.yaml:3", "y must be a field"),
        ("plots:\n  - roc:\n      title: 3\n", "dvc.yaml:3", "title must be a string"),
        ("metrics: [../m.json]\n", "dvc.yaml:1", "top-level metrics"),
        ("metrics: ['${nope}']\n", "dvc.yaml:1", "top-level metrics: .*nope"),
    ],
)
def test_bad_top_level_sections(tmp_path: Path, spec: str, where: str, message: str) -> None:
    fails(tmp_path, spec + "stages: {a: {cmd: x}}\n", where, message)
