"""Writing a stage into the pipeline file: the rest of the file stays byte for byte, and bad
input changes nothing."""

from __future__ import annotations

import textwrap
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvent.errors import MalformedFileError, PathOutsideRepoError, UsageError
from solvent.pipeline.spec.edit import (
    NewOut,
    NewStage,
    add_stage,
    command_line,
    insert_stage,
)
from solvent.pipeline.spec.files import parse_spec
from solvent.pipeline.spec.load import load_pipeline
from solvent.repo import RepoLayout
from tests.helpers import disk_state, write

FILE = PurePosixPath("solvent.yaml")
TRAIN = {"cmd": "python train.py", "deps": ["data/clean.csv"], "outs": ["model.pkl"]}

COMMENTED = """\
# The demo pipeline. Edited by hand: keep these comments.
vars:
    - params.yaml   # defaults for everything

stages:
    # Clean the raw export.
    prepare:  # fast
        cmd: "python prepare.py"
        deps:
          - data/raw.csv
          - 'prepare.py'
        outs:
          - data/clean.csv

    # Features come from the clean data.
    features:
        cmd: python features.py --window 3
        deps: [data/clean.csv, features.py]
        outs:
          - features.npy
        # a note at the end of 'features'

# Everything below is not a stage.
plots:
  - features.npy
"""


def data_of(text: str) -> Any:
    return parse_spec(text, FILE)[0]


def inserted(before: str, after: str) -> str | None:
    """The lines ``after`` adds to ``before`` in one place, or None if it changes more."""
    a, b = before.splitlines(keepends=True), after.splitlines(keepends=True)
    k = 0
    while k < min(len(a), len(b)) and a[k] == b[k]:
        k += 1
    rest = len(b) - len(a) + k  # where the unchanged tail must start in ``after``
    if rest < k or b[rest:] != a[k:]:
        return None
    return "".join(b[k:rest])


# -- appending --------------------------------------------------------------------------------


def test_append_keeps_every_other_byte_and_follows_the_file_s_indentation() -> None:
    after = insert_stage(COMMENTED, FILE, "train", TRAIN)
    head, _, tail = COMMENTED.partition("\n# Everything below")
    new_block = """
    train:
        cmd: python train.py
        deps:
          - data/clean.csv
        outs:
          - model.pkl
"""
    assert after == head.rstrip("\n") + "\n" + "\n" + new_block.lstrip("\n") + (
        "\n# Everything below" + tail
    )
    # The untouched part, byte for byte: the whole old file is still there, in one piece
    # before and one piece after the new stage.
    assert inserted(COMMENTED, after) is not None
    assert list(data_of(after)["stages"]) == ["prepare", "features", "train"]
    assert data_of(after)["stages"]["train"] == TRAIN


def test_append_uses_dvc_s_layout_in_a_file_written_by_dvc() -> None:
    before = "stages:\n  a:\n    cmd: x\n    deps:\n    - q\n"
    after = insert_stage(before, FILE, "train", TRAIN)
    assert after == before + (
        "  train:\n    cmd: python train.py\n    deps:\n    - data/clean.csv\n"
        "    outs:\n    - model.pkl\n"
    )


def test_stages_separated_by_blank_lines_get_one_before_the_new_stage() -> None:
    before = "stages:\n  a:\n    cmd: a\n\n  b:\n    cmd: b\n"
    after = insert_stage(before, FILE, "c", {"cmd": "c"})
    assert after == before + "\n  c:\n    cmd: c\n"


def test_a_trailing_comment_after_the_stages_stays_at_the_end() -> None:
    before = "stages:\n  a:\n    cmd: a  # why\n\n# the end\n"
    after = insert_stage(before, FILE, "b", {"cmd": "b"})
    assert after == "stages:\n  a:\n    cmd: a  # why\n  b:\n    cmd: b\n\n# the end\n"


def test_append_after_a_block_scalar_and_to_a_file_without_final_newline() -> None:
    before = "stages:\n  a:\n    cmd: |\n      echo 1\n      echo 2\n    outs:\n    - o"
    after = insert_stage(before, FILE, "b", {"cmd": "b"})
    assert after == before + "\n  b:\n    cmd: b\n"
    assert data_of(after)["stages"]["a"]["cmd"] == "echo 1\necho 2\n"


def test_windows_line_ends_are_kept() -> None:
    before = "# c\r\nstages:\r\n  a:\r\n    cmd: a\r\n"
    after = insert_stage(before, FILE, "b", {"cmd": "b", "deps": ["x"]})
    assert after == before + "  b:\r\n    cmd: b\r\n    deps:\r\n    - x\r\n"


def test_a_file_without_stages_gets_a_stages_section_at_the_end() -> None:
    before = "# params come from here\nvars:\n- lr: 0.1\n"
    after = insert_stage(before, FILE, "train", {"cmd": "python t.py ${lr}"})
    assert after == before + "\nstages:\n  train:\n    cmd: python t.py ${lr}\n"


@pytest.mark.parametrize("before", ["", "# only a comment\n", "stages:\n", "stages: {}\n"])
def test_empty_files_and_sections(before: str) -> None:
    after = insert_stage(before, FILE, "train", TRAIN)
    assert data_of(after) == {"stages": {"train": TRAIN}}
    assert after.startswith(before.replace("stages: {}\n", "").replace("stages:\n", ""))


def test_a_null_stages_section_keeps_its_comment_and_place() -> None:
    before = "stages:  # none yet\nvars: []\n"
    after = insert_stage(before, FILE, "a", {"cmd": "a"})
    assert after == "stages:  # none yet\n  a:\n    cmd: a\nvars: []\n"


def test_foreach_groups_are_stages_like_any_other() -> None:
    before = textwrap.dedent("""\
        stages:
          train:
            foreach: [a, b]
            do:
              cmd: python train.py ${item}
        """)
    after = insert_stage(before, FILE, "report", {"cmd": "python report.py"})
    assert after == before + "  report:\n    cmd: python report.py\n"


def test_quoting_follows_yaml_not_the_shell() -> None:
    entry = {"cmd": "python t.py --x 'a: b' # not a comment", "deps": ["1e-5", "yes", "on"]}
    after = insert_stage("stages:\n  a:\n    cmd: a\n", FILE, "t", entry)
    assert data_of(after)["stages"]["t"] == entry


# -- replacing ---------------------------------------------------------------------------------


def test_force_replaces_in_place_keeping_the_comments_around_the_stage() -> None:
    new = {"cmd": "python prepare.py --fast", "outs": ["data/clean.csv"]}
    after = insert_stage(COMMENTED, FILE, "prepare", new)
    key = COMMENTED.index("    prepare:")
    next_comment = COMMENTED.index("\n    # Features come")
    assert after == (
        COMMENTED[:key]
        + "    prepare:\n        cmd: python prepare.py --fast\n        outs:\n"
        + "          - data/clean.csv\n"
        + COMMENTED[next_comment:]
    )
    assert list(data_of(after)["stages"]) == ["prepare", "features"]


def test_force_on_the_last_stage_drops_its_own_comments_only() -> None:
    after = insert_stage(COMMENTED, FILE, "features", {"cmd": "f"})
    assert after == COMMENTED.replace(
        """\
        cmd: python features.py --window 3
        deps: [data/clean.csv, features.py]
        outs:
          - features.npy
        # a note at the end of 'features'
""",
        "        cmd: f\n",
    )


def test_a_flow_style_stages_section_is_rewritten_correctly() -> None:
    before = "# keep me\nstages: {a: {cmd: a}}\n"
    after = insert_stage(before, FILE, "b", {"cmd": "b"})
    assert after.startswith("# keep me\n")
    assert data_of(after) == {"stages": {"a": {"cmd": "a"}, "b": {"cmd": "b"}}}


# -- what a random file keeps (hypothesis) ----------------------------------------------------

YAML_WORDS = {"null", "true", "false", "nan", "inf"}  # not strings as plain YAML keys
NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,5}", fullmatch=True).filter(lambda n: n not in YAML_WORDS)
ITEMS = st.sampled_from(["a.csv", "'b c.csv'", "data/x", '"q: r"', "m.json"])


@st.composite
def pipeline_files(draw: st.DrawFn) -> tuple[str, list[str], int]:
    """A hand-written looking pipeline file: any indentation, comments and blank lines.
    Returns the text, the stage names and the column of the stage keys."""
    m = draw(st.sampled_from([2, 4]))
    offset = draw(st.sampled_from([0, 2]))
    names = draw(st.lists(NAMES, min_size=1, max_size=4, unique=True))
    rows = draw(st.lists(st.sampled_from(["# header", "", "vars:\n- x: 1"]), unique=True))
    rows.append("stages:" + draw(st.sampled_from(["", "  # stages"])))
    between = st.sampled_from(["", " " * m + "# about the next stage", "# flush left"])
    for name in names:
        rows += draw(st.lists(between, max_size=2))
        rows.append(" " * m + name + ":" + draw(st.sampled_from(["", "  # eol"])))
        inner = " " * (2 * m)
        rows.append(inner + "cmd: " + draw(st.sampled_from(["python x.py", "'q x'", '"a: b"'])))
        for key in draw(st.lists(st.sampled_from(["deps", "outs", "metrics"]), unique=True)):
            if draw(st.booleans()):
                rows.append(inner + f"{key}: [{draw(ITEMS)}]")
                continue
            rows.append(inner + key + ":")
            items = draw(st.lists(ITEMS, min_size=1, max_size=3))
            rows += [inner + " " * offset + "- " + item for item in items]
        rows += draw(st.lists(st.sampled_from(["", inner + "# inner note"]), max_size=2))
    rows += draw(st.lists(st.sampled_from(["", "# the end", "plots:\n- p.csv"]), unique=True))
    return "\n".join(rows) + "\n", names, m


NEW = {"cmd": "python new.py", "deps": ["a.csv"], "outs": [{"o.csv": {"cache": False}}]}


@settings(max_examples=300, deadline=None)
@given(pipeline_files())
def test_appending_to_any_file_only_inserts_lines(case: tuple[str, list[str], int]) -> None:
    before, names, _ = case
    after = insert_stage(before, FILE, "zz-new", NEW)
    assert inserted(before, after) is not None
    stages = data_of(after)["stages"]
    assert list(stages) == [*names, "zz-new"] and stages["zz-new"] == NEW


def indent(row: str) -> int:
    return len(row) - len(row.lstrip(" "))


@settings(max_examples=300, deadline=None)
@given(pipeline_files(), st.data())
def test_replacing_any_stage_keeps_everything_before_and_after_it(
    case: tuple[str, list[str], int], data: st.DataObject
) -> None:
    before, names, m = case
    name = data.draw(st.sampled_from(names))
    after = insert_stage(before, FILE, name, NEW)
    old = data_of(before)["stages"]
    stages = data_of(after)["stages"]
    assert list(stages) == names and stages[name] == NEW
    assert {k: v for k, v in stages.items() if k != name} == {
        k: v for k, v in old.items() if k != name
    }
    rows = before.splitlines(keepends=True)
    start = next(
        i for i, r in enumerate(rows) if indent(r) == m and r.strip().startswith(f"{name}:")
    )
    assert after.startswith("".join(rows[:start]))
    # What follows the stage (the next stage's key, or the first top-level line after the last
    # stage) and the blank lines and shallow comments leading to it: unchanged.
    shallow = [
        i for i in range(start + 1, len(rows))
        if rows[i].strip() and not rows[i].lstrip().startswith("#") and indent(rows[i]) <= m
    ]  # fmt: skip
    follow = shallow[0] if shallow else len(rows)
    while follow > start + 1 and (
        not rows[follow - 1].strip()
        or (rows[follow - 1].lstrip().startswith("#") and indent(rows[follow - 1]) <= m)
    ):
        follow -= 1
    assert after.endswith("".join(rows[follow:]))


# -- command lines ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("words", "cmd"),
    [
        (["python train.py --lr 0.1 > log"], "python train.py --lr 0.1 > log"),
        (["python", "train.py", "--lr", "0.1"], "python train.py --lr 0.1"),
        (["echo", "hello world", ""], 'echo "hello world" ""'),  # as DVC writes it
        (["echo", 'say "hi" now'], "echo 'say \"hi\" now'"),  # DVC would break this one
        (["echo", "a\tb"], "echo 'a\tb'"),
    ],
)
def test_command_line_joins_words_as_dvc_does(words: list[str], cmd: str) -> None:
    assert command_line(words) == cmd


@pytest.mark.parametrize("words", [[], [""], [" ", ""]])
def test_no_command_is_an_error(words: list[str]) -> None:
    with pytest.raises(UsageError, match="no command given"):
        command_line(words)


# -- add_stage on a repo ------------------------------------------------------------------------


@pytest.fixture
def layout(tmp_path: Path) -> RepoLayout:
    layout, _ = RepoLayout.init(tmp_path / "project", no_git=True)
    write(layout.root / "params.yaml", "train:\n  lr: 0.1\n  epochs: 3\n")
    with layout.writing():  # the (empty, git-ignored) lock file every writer creates once
        pass
    return layout


def add(
    layout: RepoLayout,
    name: str = "train",
    *,
    force: bool = False,
    cwd: Path | None = None,
    **kw: Any,
) -> Any:
    kw.setdefault("command", ("python train.py",))
    return add_stage(layout, NewStage(name, **kw), force=force, cwd=cwd or layout.root)


def spec(layout: RepoLayout, file: str = "solvent.yaml") -> Any:
    return data_of((layout.root / file).read_text())["stages"]


def test_creates_solvent_yaml_with_the_stage_as_dvc_writes_it(layout: RepoLayout) -> None:
    result = add(
        layout,
        deps=("train.py", "data/clean.csv"),
        outs=(
            NewOut("model.pkl"),
            NewOut("log.txt", cache=False),
            NewOut("ckpt", persist=True),
            NewOut("metrics.json", "metric", cache=False),
            NewOut("roc.csv", "plot"),
        ),
        params=("train.lr,train.epochs", "other.yaml:a,b", "whole.toml:"),
        desc="Fit the model",
        always_changed=True,
    )
    assert (result.file, result.line, result.replaced, result.created) == (
        FILE,
        2,
        False,
        True,
    )
    assert (layout.root / "solvent.yaml").read_text() == textwrap.dedent("""\
        stages:
          train:
            desc: Fit the model
            cmd: python train.py
            deps:
            - data/clean.csv
            - train.py
            params:
            - train.epochs
            - train.lr
            - other.yaml:
              - a
              - b
            - whole.toml:
            outs:
            - ckpt:
                persist: true
            - log.txt:
                cache: false
            - model.pkl
            metrics:
            - metrics.json:
                cache: false
            plots:
            - roc.csv
            always_changed: true
        """)
    pipeline = load_pipeline(layout.root)
    assert pipeline is not None and pipeline.stages[0].name == "train"


def test_writes_into_dvc_yaml_when_that_is_all_the_repo_has(layout: RepoLayout) -> None:
    write(layout.root / "dvc.yaml", "stages:\n  a:\n    cmd: a\n")
    result = add(layout)
    assert result.file == PurePosixPath("dvc.yaml")
    assert list(spec(layout, "dvc.yaml")) == ["a", "train"]
    assert not (layout.root / "solvent.yaml").exists()


def test_paths_are_relative_to_the_folder_the_command_runs_in(layout: RepoLayout) -> None:
    (layout.root / "src").mkdir()
    add(layout, deps=("../data/raw.csv", "./prep.py"), outs=(NewOut("../data/out//x.csv"),),
        params=("lr",), cwd=layout.root / "src")  # fmt: skip
    assert spec(layout)["train"] == {
        "cmd": "python train.py",
        "wdir": "src",
        "deps": ["../data/raw.csv", "prep.py"],
        "params": ["lr"],
        "outs": ["../data/out/x.csv"],
    }
    add(layout, "b", wdir="src", command=("b",), force=False)
    assert spec(layout)["b"] == {"cmd": "b", "wdir": "src"}


def test_file_mode_is_kept(layout: RepoLayout) -> None:
    path = write(layout.root / "solvent.yaml", "stages: {}\n")
    path.chmod(0o664)
    add(layout)
    assert path.stat().st_mode & 0o777 == 0o664


def rejected(layout: RepoLayout, error: type[Exception], match: str, **kw: Any) -> None:
    before = disk_state(layout.root)
    with pytest.raises(error, match=match):
        add(layout, **kw)
    assert disk_state(layout.root) == before


@pytest.mark.parametrize(
    ("name", "kw", "error", "match"),
    [
        ("a/b", {}, UsageError, "invalid stage name 'a/b'"),
        ("train@1", {}, UsageError, "contains '@'"),
        ("x:y", {}, UsageError, "contains ':'"),
        ("", {}, UsageError, "invalid stage name"),
        (" t", {}, UsageError, "invalid stage name"),
        ("prepare", {}, UsageError, r"'prepare' already exists in solvent.yaml:7"),
        ("t", {"deps": ("../outside",)}, PathOutsideRepoError, "leaves the repo"),
        ("t", {"outs": (NewOut("/etc/passwd"),)}, PathOutsideRepoError, "outside the repo"),
        ("t", {"outs": (NewOut(".solvent/x"),)}, PathOutsideRepoError, "own folder"),
        ("t", {"deps": ("s3://bucket/x",)}, UsageError, "is a URL"),
        ("t", {"wdir": "nope"}, UsageError, "-w nope: no such folder"),
        ("t", {"deps": ("a", "./a")}, UsageError, "names a, already given"),
        ("t", {"deps": ("a",), "outs": (NewOut("a"),)}, UsageError, "already given as dep"),
        ("t", {"deps": ("d/x",), "outs": (NewOut("d"),)}, UsageError, "one inside the other"),
        ("t", {"outs": (NewOut("d"), NewOut("d/x", "metric"))}, UsageError, "holds metric"),
        ("t", {"params": (",",)}, UsageError, "names no parameter"),
        ("t", {"command": ()}, UsageError, "no command given"),
        ("t", {"outs": (NewOut("clean.csv"),), "wdir": "data"}, MalformedFileError,
         "stage 't' not added: stages 'prepare' and 't' both write data/clean.csv"),
        ("t", {"deps": ("data/clean.csv",), "outs": (NewOut("data/raw.csv"),)},
         MalformedFileError, "stage 't' not added: the stages form a cycle"),
        ("t", {"command": ("python t.py ${train.nope}",)}, MalformedFileError,
         "stage 't' not added: stage 't': cmd: .*nope"),
    ],
)  # fmt: skip
def test_bad_input_changes_nothing(
    layout: RepoLayout, name: str, kw: dict[str, Any], error: type[Exception], match: str
) -> None:
    (layout.root / "data").mkdir()
    write(layout.root / "solvent.yaml", COMMENTED)
    rejected(layout, error, match, name=name, **kw)


def test_an_out_tracked_by_solvent_add_is_refused(layout: RepoLayout) -> None:
    write(layout.root / "data" / "raw.solvent", "path: raw\n")
    rejected(layout, UsageError, r"data/raw is already tracked by data/raw.solvent",
             outs=(NewOut("data/raw/part.csv"),))  # fmt: skip


def test_a_file_that_was_already_broken_is_blamed_not_the_stage(layout: RepoLayout) -> None:
    write(layout.root / "solvent.yaml", "stages:\n  a:\n    cmd: a\n    outz: [x]\n")
    rejected(layout, MalformedFileError, r"solvent.yaml:4: stage 'a': unknown key 'outz'")
    with pytest.raises(MalformedFileError) as e:
        add(layout)
    assert e.value.hint is not None and "fix it first" in e.value.hint


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("stages: [a, b]\n", r"solvent.yaml:1: 'stages' must be a mapping"),
        ("- a\n", "expected a mapping"),
        ("stages:\n  a: {cmd: [\n", "solvent.yaml"),
    ],
)
def test_a_malformed_file_is_reported_and_left_alone(
    layout: RepoLayout, text: str, match: str
) -> None:
    write(layout.root / "solvent.yaml", text)
    rejected(layout, MalformedFileError, match)


def test_force_replaces_the_stage_where_it_stands(layout: RepoLayout) -> None:
    (layout.root / "data").mkdir()
    write(layout.root / "solvent.yaml", COMMENTED)
    result = add(layout, "prepare", force=True, command=("python prepare.py --v2",),
                 outs=(NewOut("data/clean.csv"),))  # fmt: skip
    assert result.replaced and result.line == 7
    assert list(spec(layout)) == ["prepare", "features"]
    assert spec(layout)["prepare"] == {
        "cmd": "python prepare.py --v2",
        "outs": ["data/clean.csv"],
    }
