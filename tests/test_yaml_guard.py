"""The limits every YAML file read by Solvent passes through: PyYAML's and ruamel's node graphs
are checked alike, before any value is built."""

from __future__ import annotations

import time

import pytest
from ruamel.yaml import YAML

from solvent.errors import MalformedFileError
from solvent.yaml_guard import (
    ALIAS_BUDGET,
    MAX_DEPTH,
    check_data,
    compose_ruamel,
    load_pyyaml,
)


def _error(e: Exception) -> MalformedFileError:
    return MalformedFileError(f"syntax: {e}")


def load_both(text: str) -> list[object]:
    """The value as PyYAML (C loader) and ruamel (C and pure parsers) read it."""
    return [
        load_pyyaml(text.encode(), "f.yaml", _error),
        compose_ruamel(YAML(typ="safe"), text, "f.yaml")[1],
        compose_ruamel(YAML(typ="safe", pure=True), text, "f.yaml")[1],
    ]


def nested(depth: int) -> str:
    return "a: " + "[" * (depth - 1) + "1" + "]" * (depth - 1) + "\n"


def test_nesting_up_to_the_limit_reads() -> None:
    # the mapping, depth - 1 lists, the scalar: depth + 1 levels of nodes
    assert all(v is not None for v in load_both(nested(MAX_DEPTH - 1)))


@pytest.mark.parametrize("loader", range(3))
def test_nesting_past_the_limit_is_refused_with_its_line(loader: int) -> None:
    text = "x: 1\n" + nested(MAX_DEPTH + 1)
    readers = [
        lambda: load_pyyaml(text.encode(), "f.yaml", _error),
        lambda: compose_ruamel(YAML(typ="safe"), text, "f.yaml"),
        lambda: compose_ruamel(YAML(typ="safe", pure=True), text, "f.yaml"),
    ]
    with pytest.raises(MalformedFileError, match=r"f.yaml(:2)?: values nested more than 100"):
        readers[loader]()


@pytest.mark.parametrize(
    "text",
    ["a: " + "[" * 40_000 + "]" * 40_000 + "\n", "- " * 40_000 + "x\n"],
    ids=["flow", "block"],
)
def test_a_very_deep_text_is_counted_from_events_before_composing(text: str) -> None:
    """A text that may nest past 10,000 levels: its depth is counted from the parser's events,
    and the C composer (which recursed in C, to a crash near 30,000) is not run."""
    with pytest.raises(MalformedFileError, match=r"f\.yaml:1: values nested more than 100"):
        compose_ruamel(YAML(typ="safe"), text, "f.yaml")


def test_aliases_within_the_budget_read_and_share() -> None:
    text = "a: &a [" + ", ".join(["1"] * 1000) + "]\nb: [" + ", ".join(["*a"] * 90) + "]\n"
    for value in load_both(text):
        assert isinstance(value, dict) and len(value["b"]) == 90 and value["b"][0] == value["a"]


def test_aliases_past_the_budget_are_refused_without_expanding() -> None:
    text = "a: &a [" + ", ".join(["1"] * 1000) + "]\nb: [" + ", ".join(["*a"] * 110) + "]\n"
    start = time.monotonic()
    for read in (
        lambda: load_pyyaml(text.encode(), "f.yaml", _error),
        lambda: compose_ruamel(YAML(typ="safe"), text, "f.yaml"),
    ):
        with pytest.raises(MalformedFileError, match="expand to 111,") as e:
            read()
        assert f"more than {ALIAS_BUDGET:,} beyond" in str(e.value)
    assert time.monotonic() - start < 5


def test_a_shell_and_is_not_taken_for_an_anchor() -> None:
    text = "cmd: make a && make b &>log\n"
    assert load_both(text)[0] == {"cmd": "make a && make b &>log"}


def test_json_or_toml_data_nested_too_deep() -> None:
    value: object = 1
    for _ in range(MAX_DEPTH + 1):
        value = [value]
    with pytest.raises(MalformedFileError, match=r"p\.json: values nested more than"):
        check_data({"a": value}, "p.json")


@pytest.mark.parametrize(
    "text",
    [
        '{"a":&a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1], "b":&b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a],'
        ' "c":&c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b], "d":&d [*c, *c, *c, *c, *c, *c, *c,'
        ' *c, *c, *c], "e":&e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d], "f": [*e, *e, *e, *e,'
        " *e, *e, *e, *e, *e, *e, *e]}",
    ],
)
def test_an_anchor_right_after_a_quoted_keys_colon_is_counted(text: str) -> None:
    """``"a":&x`` (a flow mapping's adjacent value) has no space before its anchor."""
    start = time.monotonic()
    for read in (
        lambda: load_pyyaml(text.encode(), "f.yaml", _error),
        lambda: compose_ruamel(YAML(typ="safe"), text, "f.yaml"),
        lambda: compose_ruamel(YAML(typ="safe", pure=True), text, "f.yaml"),
    ):
        with pytest.raises(MalformedFileError, match="aliases"):
            read()
    assert time.monotonic() - start < 5
