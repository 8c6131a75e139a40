"""Mermaid and Graphviz DOT: every node and edge, safe ids, escaped labels, colours by state."""

from __future__ import annotations

import re

from solvent.pipeline.planning.graph import Graph
from solvent.viz.dag import DagView, mermaid_ids, to_doc, to_dot, to_mermaid
from solvent.viz.model import PALETTE, State, build_view
from tests.viz.pipelines import EXPECTED_STATES, graph, six_stage_plan, six_stages, stage

ODD = ["train@lr-0.1", 'say "hi"', "a<b>&c", "end", "x#1", "back\\slash", "two\nlines"]


def odd_names_graph() -> Graph:
    """A chain through stages whose names need escaping in every format."""
    stages = [stage(ODD[0], (), ("o0",))]
    stages += [stage(name, (f"o{i}",), (f"o{i + 1}",)) for i, name in enumerate(ODD[1:])]
    return graph(*stages)


def colored_view() -> DagView:
    g = six_stages()
    plan, outcomes = six_stage_plan(g)
    return build_view(g, plan, outcomes)


# -- Mermaid ------------------------------------------------------------------------------


def _mermaid_nodes(text: str) -> dict[str, str]:
    return dict(re.findall(r'^  (\w+)[\[\(]+"(.*)"[\]\)]+$', text, re.M))


def test_mermaid_has_every_stage_and_edge() -> None:
    view = colored_view()
    text = to_mermaid(view)
    assert text.startswith("flowchart TD\n")
    ids = mermaid_ids(view)
    assert _mermaid_nodes(text) == {ids[n.id]: n.id for n in view.nodes}
    edges = set(re.findall(r"^  (\w+) --> (\w+)$", text, re.M))
    assert edges == {(ids[k.source], ids[k.target]) for k in view.links}


def test_mermaid_ids_are_safe_and_unique_and_labels_escaped() -> None:
    view = build_view(odd_names_graph())
    ids = mermaid_ids(view)
    assert len(set(ids.values())) == len(ODD)
    assert all(re.fullmatch(r"s_\w+", i) for i in ids.values())
    assert ids["end"] != "end"  # a Mermaid keyword
    labels = _mermaid_nodes(to_mermaid(view))
    assert labels[ids["train@lr-0.1"]] == "train@lr-0.1"
    assert labels[ids['say "hi"']] == "say #quot;hi#quot;"
    assert labels[ids["a<b>&c"]] == "a#lt;b#gt;#amp;c"
    assert labels[ids["x#1"]] == "x#35;1"
    assert "\n" not in labels[ids["two\nlines"]]


def test_mermaid_colours_by_state() -> None:
    view = colored_view()
    text = to_mermaid(view)
    ids = mermaid_ids(view)
    members: dict[str, set[str]] = {}
    for names, cls in re.findall(r"^  class (\S+) (\w+)$", text, re.M):
        members[cls] = set(names.split(","))
    for name, value in EXPECTED_STATES.items():
        assert ids[name] in members[value.replace(" ", "_")]
    for state in State:
        c = PALETTE[state]
        assert f"classDef {state.slug} fill:{c.fill},stroke:{c.line}" in text


def test_mermaid_outs_view_labels_edges_with_the_stage() -> None:
    view = build_view(six_stages(), outs=True)
    text = to_mermaid(view)
    ids = mermaid_ids(view)
    assert f'{ids["data/features.csv"]} -->|"train@lr-0.1"| {ids["models/lr-0.1.pkl"]}' in text
    assert f'{ids["data/raw.csv"]}[("data/raw.csv")]' in text  # source data as a cylinder
    assert "classDef source" in text


# -- DOT ----------------------------------------------------------------------------------

DOT_STRING = r'"((?:[^"\\]|\\.)*)"'


def _dot_unquote(s: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), s)


def test_dot_has_every_stage_and_edge() -> None:
    view = colored_view()
    text = to_dot(view)
    assert text.startswith("digraph pipeline {") and text.rstrip().endswith("}")
    nodes = re.findall(rf"^  {DOT_STRING} \[label=", text, re.M)
    assert [_dot_unquote(n) for n in nodes] == [n.id for n in view.nodes]
    edges = re.findall(rf"^  {DOT_STRING} -> {DOT_STRING};$", text, re.M)
    assert {(_dot_unquote(a), _dot_unquote(b)) for a, b in edges} == {
        (k.source, k.target) for k in view.links
    }


def test_dot_escapes_quotes_backslashes_and_newlines() -> None:
    view = build_view(odd_names_graph())
    text = to_dot(view)
    nodes = re.findall(rf"^  {DOT_STRING} \[label=", text, re.M)
    assert [_dot_unquote(n) for n in nodes] == ODD
    assert r'"say \"hi\""' in text
    assert r'"back\\slash"' in text
    assert r'"two\nlines"' in text
    for line in text.splitlines()[1:-1]:  # every quote in a line is escaped or paired
        assert re.sub(DOT_STRING, "", line).count('"') == 0, line


def test_dot_colours_by_state_and_tooltips_list_details() -> None:
    text = to_dot(colored_view())
    for name, state in EXPECTED_STATES.items():
        c = PALETTE[State(state)]
        line = next(x for x in text.splitlines() if x.startswith(f'  "{name}" ['))
        assert f'fillcolor="{c.fill}"' in line and f'color="{c.line}"' in line
        assert f'class="{state.replace(" ", "_")}"' in line
    featurize = next(x for x in text.splitlines() if x.startswith('  "featurize" ['))
    for text_ in ("cmd:", "python src/featurize.py", "params.yaml:features.n", "10 → 20"):
        assert text_ in featurize


def test_dot_outs_view() -> None:
    text = to_dot(build_view(six_stages(), outs=True))
    assert '"data/raw.csv" -> "data/prepared" [label="prepare"];' in text


def test_json_doc_lists_nodes_and_links() -> None:
    doc = to_doc(colored_view())
    assert {n["id"]: n["state"] for n in doc["nodes"]} == EXPECTED_STATES
    assert {"source": "prepare", "target": "featurize", "label": None} in doc["links"]
