"""A small HTML tree for the tests: the standard library's parser, checking that every element
it opens is closed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text: str = ""
    children: list[Element] = field(default_factory=list)

    def cls(self) -> list[str]:
        return self.attrs.get("class", "").split()

    def find(self, pred: Callable[[Element], bool]) -> list[Element]:
        found = [self] if pred(self) else []
        for c in self.children:
            found += c.find(pred)
        return found


class Tree(HTMLParser):
    VOID = frozenset({"meta", "br", "img", "input", "link", "hr"})

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Element("#root", {})
        self.stack = [self.root]
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        el = Element(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(el)
        if tag not in self.VOID:
            self.stack.append(el)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Element(tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].text += data


def all_text(e: Element) -> str:
    return e.text + "".join(all_text(c) for c in e.children)


def parse(text: str) -> Element:
    tree = Tree(text)
    assert [e.tag for e in tree.stack] == ["#root"], "unclosed elements"
    return tree.root
