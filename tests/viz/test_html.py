"""The HTML page as the browser will parse it: one self-contained document with an SVG node per
stage, coloured by state, tooltips, a legend, and nodes that never overlap."""

from __future__ import annotations

import re

from solvent.viz.html import to_html
from solvent.viz.model import PALETTE, DagView, State, build_view
from tests.viz.htmltree import Element, all_text, parse
from tests.viz.pipelines import EXPECTED_STATES, graph, six_stage_plan, six_stages, stage


def page(view: DagView) -> Element:
    return parse(to_html(view))


def nodes(root: Element) -> list[Element]:
    return root.find(lambda e: e.tag == "a" and "node" in e.cls())


def colored() -> DagView:
    g = six_stages()
    plan, outcomes = six_stage_plan(g)
    return build_view(g, plan, outcomes)


def test_one_svg_node_per_stage_with_its_state_class_and_colours() -> None:
    root = page(colored())
    (svg,) = root.find(lambda e: e.tag == "svg")
    found = {n.attrs["data-node"]: n for n in nodes(svg)}
    assert set(found) == set(EXPECTED_STATES)
    for name, value in EXPECTED_STATES.items():
        state = State(value)
        assert f"state-{state.slug}" in found[name].cls()
        (rect,) = found[name].find(lambda e: e.tag == "rect")
        assert rect.attrs["fill"] == PALETTE[state].fill
        assert rect.attrs["stroke"] == PALETTE[state].line


def test_one_arrow_per_edge() -> None:
    view = colored()
    root = page(view)
    ids = {n.attrs["data-node"]: n.attrs["id"] for n in nodes(root)}
    arrows = {(e.attrs["data-from"], e.attrs["data-to"]) for e in root.find(_is_edge)}
    assert arrows == {(ids[k.source], ids[k.target]) for k in view.links}
    assert len(root.find(_is_edge)) == len(view.links)


def _is_edge(e: Element) -> bool:
    return e.tag == "path" and "edge" in e.cls()


def test_tooltips_list_cmd_deps_outs_and_reasons() -> None:
    root = page(colored())
    (node,) = [n for n in nodes(root) if n.attrs["data-node"] == "featurize"]
    (title,) = [c for c in node.children if c.tag == "title"]
    for text in ("cmd:", "python src/featurize.py", "deps:", "data/prepared",
                 "params.yaml:features.n", "outs:", "data/features.csv", "why stale:",
                 "param features.n 10 → 20"):  # fmt: skip
        assert text in title.text


def test_title_legend_and_table() -> None:
    root = page(colored())
    (h1,) = root.find(lambda e: e.tag == "h1")
    assert h1.text == "Pipeline"
    (legend,) = root.find(lambda e: e.tag == "ul" and "legend" in e.cls())
    items = [re.sub(r"\s+", " ", all_text(li)).strip() for li in legend.children]
    assert items == ["up to date 1", "stale 3", "failed 1", "frozen 1"]
    rows = root.find(lambda e: e.tag == "tr" and e.attrs.get("id", "").startswith("row-"))
    assert len(rows) == 6


def test_nothing_is_fetched_from_the_network() -> None:
    text = to_html(colored())
    assert "<link" not in text and "@import" not in text and " src=" not in text
    assert re.findall(r"https?://[^\"' )]+", text) == ["http://www.w3.org/2000/svg"]


def test_odd_names_are_escaped() -> None:
    names = ["train@lr-0.1", 'say "hi"', "<script>alert(1)</script>", "a&b"]
    stages = [stage(names[0], (), ("o0",))]
    stages += [stage(n, (f"o{i}",), (f"o{i + 1}",)) for i, n in enumerate(names[1:])]
    view = build_view(graph(*stages))
    text = to_html(view)
    assert text.count("<script>") == 1  # only the page's own
    root = page(view)
    assert sorted(n.attrs["data-node"] for n in nodes(root)) == sorted(names)
    shown = {all_text(n).strip() for n in root.find(lambda e: e.tag == "text")}
    assert set(names) <= shown


def test_nodes_never_overlap_and_sit_below_their_upstream() -> None:
    g = graph(
        *(stage(f"ingest@{i}", (), (f"raw{i}",)) for i in range(5)),
        stage("join", tuple(f"raw{i}" for i in range(5)), ("joined",)),
        *(stage(f"model@{i}", ("joined",), (f"m{i}",)) for i in range(6)),
        stage("report", ("raw0", *(f"m{i}" for i in range(6))), ("report.md",)),
    )
    view = build_view(g)
    root = page(view)
    boxes = {}
    for n in nodes(root):
        (rect,) = n.find(lambda e: e.tag == "rect")
        a = {k: float(rect.attrs[k]) for k in ("x", "y", "width", "height")}
        boxes[n.attrs["data-node"]] = a
    (svg,) = root.find(lambda e: e.tag == "svg")
    for name, a in boxes.items():
        assert a["x"] >= 0 and a["x"] + a["width"] <= float(svg.attrs["width"]), name
        assert a["y"] + a["height"] <= float(svg.attrs["height"]), name
        for other, b in boxes.items():
            if other != name and a["y"] == b["y"]:
                assert a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
    for k in view.links:
        assert boxes[k.source]["y"] < boxes[k.target]["y"]


def test_outs_page_shows_files_and_source_data() -> None:
    root = page(build_view(six_stages(), outs=True))
    (h1,) = root.find(lambda e: e.tag == "h1")
    assert h1.text == "Pipeline files"
    found = {n.attrs["data-node"]: n.cls() for n in nodes(root)}
    assert "state-source" in found["data/raw.csv"]
    assert "metrics.json" in found


def test_empty_view_still_makes_a_page() -> None:
    root = page(DagView("stages", (), ()))
    assert not root.find(lambda e: e.tag == "svg")
