"""Plain one-line answers skip Rich; they must print what Rich would have printed."""

from __future__ import annotations

import io

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.markup import escape as rich_escape

from solvent.cli.render import _plain_text, escape

TEXT = st.text(st.sampled_from("ab :[]/\\_-.→smile+"), max_size=30)


def rich_print(text: str) -> str:
    out = io.StringIO()
    Console(file=out, highlight=False, width=1000, color_system=None).print(text)
    return out.getvalue()


@given(TEXT)
def test_text_judged_plain_prints_the_same_without_rich(text: str) -> None:
    if _plain_text((text,)):
        assert rich_print(text) == text.rstrip(" ") + "\n" or rich_print(text) == text + "\n"


@given(TEXT)
def test_escape_matches_rich(text: str) -> None:
    assert escape(text) == rich_escape(text)


def test_markup_and_emoji_codes_are_not_plain() -> None:
    assert _plain_text(("Tracked data is up to date.", "To save: git add x"))
    assert not _plain_text(("[bold]x[/]",))
    assert not _plain_text(("see :smile: here",))
    assert not _plain_text((3,))


@given(st.lists(st.tuples(TEXT, st.sampled_from(["", "bold cyan", "dim", "yellow"])), max_size=4))
def test_styled_parts_print_literally_as_rich_does_into_a_pipe(
    parts: list[tuple[str, str]],
) -> None:
    from rich.text import Text

    out = io.StringIO()
    Console(file=out, width=40, color_system=None).print(Text.assemble(*parts), soft_wrap=True)
    assert out.getvalue() == "".join(text for text, _ in parts) + "\n"
