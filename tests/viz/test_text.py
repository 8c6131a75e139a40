"""The terminal drawing: every node once, labels in one column, and lanes that read back as
exactly the edges of the graph."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from solvent.viz.model import DagView, Link, Node, build_view
from solvent.viz.text import MARK, TextRow, text_rows, to_text
from tests.viz.pipelines import graph, six_stage_plan, six_stages, stage

JUNCTIONS = "├┤┼┴╰╯"
ENDING = "┴╰╯"


def test_six_stages_drawing() -> None:
    g = six_stages()
    plan, outcomes = six_stage_plan(g)
    assert to_text(build_view(g, plan, outcomes)) == (
        "●      prepare        ✓ up to date\n"
        "│\n"
        "├─●    featurize      ! stale: param features.n 10 → 20\n"
        "│ │\n"
        "│ ├─●  train@lr-0.1   ! stale: upstream stage featurize is stale\n"
        "│ │ │\n"
        "│ ● │  train@lr-0.01  ✗ failed: never run (+1 more)\n"
        "│ │ │\n"
        "●─┴─╯  evaluate       ! stale: upstream stage train@lr-0.1 is stale\n"
        "\n"
        "●      export         ❄ frozen\n"
    )


def test_a_chain_is_one_straight_lane() -> None:
    g = graph(stage("a", (), ("x",)), stage("b", ("x",), ("y",)), stage("c", ("y",), ()))
    assert to_text(build_view(g)) == "●  a\n│\n●  b\n│\n●  c\n"


def test_every_state_has_a_marker_and_no_plan_means_no_marker() -> None:
    assert set(MARK.values()) == {"✓", "!", "✗", "❄"}
    text = to_text(build_view(six_stages()))
    assert not any(m in text for m in MARK.values())


def test_crossing_a_lane_is_not_a_junction() -> None:
    # a feeds c and d; b feeds d only. Drawing d joins a's and b's lanes; c's lane is crossed.
    g = graph(
        stage("a", (), ("a.txt",)),
        stage("b", (), ("b.txt",)),
        stage("c", ("a.txt",), ("c.txt",)),
        stage("d", ("a.txt", "b.txt"), ()),
        stage("e", ("c.txt",), ()),
    )
    view = build_view(g)
    assert _edges_drawn(view, text_rows(view)) == {(k.source, k.target) for k in view.links}


def test_outs_view_marks_source_files() -> None:
    view = build_view(six_stages(), outs=True)
    first = to_text(view).splitlines()[0]
    assert first.startswith("○") and "data/raw.csv" in first and first.endswith("source")


def test_long_names_keep_the_label_column_for_the_others() -> None:
    long = "x" * 60
    g = graph(stage(long, (), ("o",)), stage("b", ("o",), ()))
    lines = to_text(build_view(g)).splitlines()
    assert lines[0] == f"●  {long}"
    assert lines[2] == "●  b"


def test_empty_pipeline() -> None:
    assert to_text(DagView("stages", (), ())) == "no stages in solvent.yaml\n"


def _edges_drawn(view: DagView, rows: list[TextRow]) -> set[tuple[str, str]]:
    """Read the drawing back: which lane joins which node."""
    owners: dict[int, str] = {}
    edges: set[tuple[str, str]] = set()
    node_rows = [(i, r) for i, r in enumerate(rows) if r.node is not None]
    for i, row in node_rows:
        assert row.node is not None
        lanes = row.lanes
        col = next(c for c, ch in enumerate(lanes) if ch in "●○")
        for c, ch in enumerate(lanes):
            if ch in JUNCTIONS or (c == col and c in owners):
                edges.add((owners[c], row.node.id))
            if ch in ENDING or c == col:
                owners.pop(c, None)
        below = rows[i + 1].lanes if i + 1 < len(rows) else ""
        if col < len(below) and below[col] == "│":
            owners[col] = row.node.id
        for c in list(owners):  # every open lane goes on down
            assert c < len(below) and below[c] == "│", (c, below)
    assert not owners, "a lane leads nowhere"
    return edges


@st.composite
def dags(draw: st.DrawFn) -> DagView:
    n = draw(st.integers(1, 14))
    names = [f"s{i}" for i in range(n)]
    pairs = [(a, b) for b in range(n) for a in range(b)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=30)) if pairs else []
    links = tuple(Link(names[a], names[b]) for a, b in sorted(chosen))
    return DagView("stages", tuple(Node(x, "stage", None) for x in names), links)


@settings(max_examples=300, deadline=None)
@given(dags())
def test_the_drawing_reads_back_as_exactly_the_edges(view: DagView) -> None:
    rows = text_rows(view)
    assert [r.node.id for r in rows if r.node] == [n.id for n in view.nodes]
    assert _edges_drawn(view, rows) == {(k.source, k.target) for k in view.links}
    node_lines = [line for line in to_text(view).splitlines() if "●" in line]
    assert len({line.index(" s") + 1 for line in node_lines}) == 1  # labels in one column
