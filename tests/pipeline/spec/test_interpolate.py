"""``${…}`` interpolation on its own: the expression grammar, rendering, merging, properties."""

from __future__ import annotations

import datetime
import shlex
import string
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solvent.pipeline.spec.interpolate import (
    Context,
    ParsingOptions,
    ResolveError,
    clean,
    parse_expr,
    resolve,
    resolve_str,
    to_str,
)


def context(data: dict[str, Any]) -> Context:
    ctx = Context()
    ctx.merge(data, "test")
    return ctx


@pytest.mark.parametrize(
    ("expr", "segments"),
    [
        ("a", ("a",)),
        ("a.b.c", ("a", "b", "c")),
        ("a[0]", ("a", "0")),
        ("a[0][1].b", ("a", "0", "1", "b")),
        ("a.0.b", ("a", "0", "b")),
        (" a . b ", ("a", "b")),
        ("a[ 0 ]", ("a", "0")),
        ("a b", ("a b",)),
    ],
)
def test_parse_expr(expr: str, segments: tuple[str, ...]) -> None:
    assert parse_expr(expr) == segments


@pytest.mark.parametrize("expr", ["", "a..b", "a.", ".a", "a[0", "a[]", "a]", "a[0]x", "a[b.c]"])
def test_parse_expr_rejects(expr: str) -> None:
    with pytest.raises(ResolveError, match="invalid expression"):
        parse_expr(expr)


def test_negative_index_counts_from_the_end() -> None:
    assert resolve_str("${l[-1]}", context({"l": [1, 2, 3]}), "cmd") == 3


def test_exact_interpolation_keeps_type_string_interpolation_renders() -> None:
    ctx = context({"b": True, "n": None, "f": 0.5, "d": {"k": "v w"}})
    assert resolve_str("${b}", ctx, "cmd") is True
    assert resolve_str("${n}", ctx, "cmd") is None
    assert resolve_str("${d}", ctx, "cmd") == {"k": "v w"}
    assert resolve_str("x ${b} ${n} ${f} ${d}", ctx, "cmd") == "x true None 0.5 --k 'v w'"


def test_type_rule_depends_on_the_field() -> None:
    ctx = context({"l": [1], "d": {"k": 1}})
    with pytest.raises(ResolveError, match="it is a list"):
        resolve_str("${l}", ctx, "cmd")
    with pytest.raises(ResolveError, match="it is a dict"):
        resolve_str("${d}", ctx, "deps")
    # foreach and matrix data (no field) may be anything
    assert resolve_str("${l}", ctx, None) == [1]


def test_escapes() -> None:
    ctx = context({"a": 1})
    assert resolve_str("\\${a} ${a} \\\\${a}", ctx, "cmd") == "${a} 1 \\${a}"
    assert resolve_str("only \\${a}", ctx, "cmd") == "only ${a}"


def test_resolve_walks_keys_lists_and_dicts_and_reports_the_path() -> None:
    ctx = context({"k": "key", "v": 2})
    assert resolve({"${k}": ["${v}", 3, None]}, ctx, "outs") == {"key": [2, 3, None]}
    with pytest.raises(ResolveError) as caught:
        resolve({"a": [1, "${nope}"]}, ctx, "outs", at=("stages", "s", "outs"))
    assert caught.value.path == ("stages", "s", "outs", "a", 1)


def test_cli_args_options() -> None:
    d = {"t": True, "f": False, "l": [1, "a b", True], "e": [], "n": None, "nest": {"x": {}}}
    assert to_str(d) == "--t --l 1 'a b' True --n None"
    both = ParsingOptions(bool_style="boolean_optional", list_style="append")
    assert to_str(d, both) == "--t --no-f --l 1 --l 'a b' --l True --n None"


def test_merge_nested_and_conflicts_name_both_sources() -> None:
    ctx = Context()
    ctx.merge({"a": {"x": 1}}, "'one.yaml'")
    ctx.merge({"a": {"y": 2}, "b": 3}, "'two.yaml'")
    assert ctx.data == {"a": {"x": 1, "y": 2}, "b": 3}
    with pytest.raises(
        ResolveError, match=r"'a\.x' from vars\[0\]: it is already set by 'one\.yaml'"
    ):
        ctx.merge({"a": {"x": 5}}, "vars[0]")


def test_copies_do_not_share_merges() -> None:
    base = context({"a": {"x": 1}})
    child = base.copy()
    child.merge({"a": {"y": 2}}, "child")
    assert base.data == {"a": {"x": 1}}
    assert child.data == {"a": {"x": 1, "y": 2}}


def test_loop_variables_are_reserved() -> None:
    ctx = context({"a": 1}).with_loop({"item": 1, "key": "k"})
    with pytest.raises(ResolveError, match="may not set 'item', 'key'"):
        ctx.merge({"key": 1, "item": 2}, "vars[0]")


def test_clean_drops_non_string_keys_and_refuses_dates() -> None:
    assert clean({"a": {1: "x", "b": [None]}, 2: 3}, "f") == {"a": {"b": [None]}}
    with pytest.raises(ResolveError, match=r"f: 'a\.0' holds a date"):
        clean({"a": [datetime.date(2020, 1, 1)]}, "f")


# -- properties -----------------------------------------------------------------------------

key_text = st.text(alphabet=string.ascii_letters + string.digits + "_-", min_size=1, max_size=8)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=10).filter(lambda s: "${" not in s),
)
nested = st.recursive(
    scalars, lambda inner: st.dictionaries(key_text, inner, min_size=1, max_size=4), max_leaves=12
)


def paths_to_leaves(d: Any, at: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    if isinstance(d, dict):
        return [leaf for k, v in d.items() for leaf in paths_to_leaves(v, (*at, k))]
    return [(at, d)]


@given(st.text().filter(lambda s: "${" not in s))
def test_text_without_interpolation_is_unchanged(text: str) -> None:
    assert resolve_str(text, Context(), "cmd") == text


@given(st.dictionaries(key_text, nested, min_size=1, max_size=4), st.data())
def test_dotted_key_selects_the_nested_value(data: dict[str, Any], draw: st.DataObject) -> None:
    path, value = draw.draw(st.sampled_from(paths_to_leaves(data)))
    ctx = context(data)
    expr = ".".join(path)
    assert resolve_str("${" + expr + "}", ctx, "cmd") == value
    assert resolve_str("<${" + expr + "}>", ctx, "cmd") == f"<{to_str(value)}>"


@given(st.lists(scalars, min_size=1, max_size=5), st.data())
def test_index_and_dotted_index_agree(items: list[Any], draw: st.DataObject) -> None:
    i = draw.draw(st.integers(0, len(items) - 1))
    ctx = context({"l": items})
    assert resolve_str(f"${{l[{i}]}}", ctx, "cmd") == resolve_str(f"${{l.{i}}}", ctx, "cmd")


@given(st.dictionaries(key_text, st.text(max_size=10), max_size=5))
def test_cli_args_of_strings_split_back_into_pairs(d: dict[str, str]) -> None:
    expected = [part for k, v in d.items() for part in (f"--{k}", v)]
    assert shlex.split(to_str(d)) == expected
