"""The DAG in a terminal, drawn like ``git log --graph``: one node a row, every upstream above.

Each node that still has a downstream node to come keeps a vertical lane open below it; a node
joins the lanes of its upstream nodes on its own row::

    ● prepare         ✓ up to date
    │
    ● featurize       ! stale: dep data/raw.csv changed
    │
    ├─● train@a       ! stale: upstream stage featurize is stale
    │ │
    ● │ train@b       ! stale: upstream stage featurize is stale
    │ │
    ●─╯ evaluate      ! stale: upstream stage train@a is stale

A junction (``├ ┤ ┼ ┴ ╰ ╯``) is a connection; a plain ``│`` crossed by ``─`` is not. Labels
line up in one column whatever the width of the drawing, and the width grows only with the
number of branches open at once, so 30 stages stay one screen tall and narrow.
"""

from __future__ import annotations

from dataclasses import dataclass

from solvent.viz.model import DagView, Node, State

MARK = {State.UP_TO_DATE: "✓", State.STALE: "!", State.FAILED: "✗", State.FROZEN: "❄"}
_BOX = {  # (up, down, left, right) → the junction of a lane with the row's horizontal line
    (True, True, False, True): "├",
    (True, True, True, False): "┤",
    (True, True, True, True): "┼",
    (True, False, False, True): "╰",
    (True, False, True, False): "╯",
    (True, False, True, True): "┴",
}
MAX_NAME = 40  # longer names push their own label right instead of every label


@dataclass(frozen=True, slots=True)
class TextRow:
    """One line of the drawing: the lanes, and the node drawn on it (None between nodes)."""

    lanes: str
    node: Node | None = None

    @property
    def marker(self) -> str:
        """The state marker and summary written after the node's name."""
        if self.node is None:
            return ""
        state = self.node.state
        return f"{MARK[state]} {self.node.summary}" if state else self.node.summary


def text_rows(view: DagView) -> list[TextRow]:
    """The rows of the drawing; the CLI colours them, ``to_text`` joins them."""
    pending = {n.id: len(set(view.children(n.id))) for n in view.nodes}
    lanes: list[str | None] = []  # lanes[i]: the node whose downstream lane is column i
    rows: list[TextRow] = []
    for node in view.nodes:
        if rows:
            rows.append(TextRow(_cells(lanes, {})))
        ups = {lanes.index(p) for p in set(view.parents(node.id))}
        ending = {c for c in ups if pending[lanes[c] or ""] == 1}
        col = min(ending) if ending else _first_free(lanes)
        span = sorted(ups | {col})
        drawn: dict[int, str] = {col: "○" if node.source else "●"}
        for c in range(span[0], span[-1] + 1):
            if c in ups and c != col:
                key = (True, c not in ending, c > span[0], c < span[-1])
                drawn[c] = _BOX[key]
            elif c != col:
                drawn[c] = "─" if c >= len(lanes) or lanes[c] is None else "│"
        rows.append(TextRow(_cells(lanes, drawn, (span[0], span[-1])), node))
        for c in ups:
            owner = lanes[c] or ""
            pending[owner] -= 1
            if pending[owner] == 0:
                lanes[c] = None
        if pending[node.id]:
            lanes.extend([None] * (col + 1 - len(lanes)))
            lanes[col] = node.id
        while lanes and lanes[-1] is None:
            lanes.pop()
    return rows


def _first_free(lanes: list[str | None]) -> int:
    return next((i for i, owner in enumerate(lanes) if owner is None), len(lanes))


def _cells(
    lanes: list[str | None], drawn: dict[int, str], span: tuple[int, int] | None = None
) -> str:
    width = max([len(lanes), *(c + 1 for c in drawn)])
    chars = [" "] * (2 * width - 1)
    for c, owner in enumerate(lanes):
        if owner is not None:
            chars[2 * c] = "│"
    for c, glyph in drawn.items():
        chars[2 * c] = glyph
    if span is not None:
        for i in range(2 * span[0] + 1, 2 * span[1], 2):
            chars[i] = "─"
    return "".join(chars)


def to_text(view: DagView) -> str:
    """The whole drawing as plain text, one line per row, labels in one column."""
    if not view.nodes:
        return f"no stages in {view.file}\n" if view.kind == "stages" else "no files\n"
    return "".join(f"{''.join(parts)}".rstrip() + "\n" for parts in text_lines(text_rows(view)))


def text_lines(rows: list[TextRow]) -> list[tuple[str, str, str]]:
    """Each row as (lanes, name, marker), padded so that names and markers line up."""
    width = max(len(r.lanes) for r in rows)
    name_width = min(MAX_NAME, max(len(r.node.id) for r in rows if r.node))
    lines = []
    for r in rows:
        if r.node is None:
            lines.append((r.lanes, "", ""))
        else:
            name = f"{r.node.id.ljust(name_width)}  "
            lines.append((f"{r.lanes.ljust(width)}  ", name, r.marker))
    return lines
