"""Draw the pipeline DAG: stage states, and renderers to text, Mermaid, Graphviz DOT and HTML.

Pure functions from values to strings; reading the repo and writing files is the CLI's job::

    view = build_view(graph, plan, read_last_outcomes(layout), outs=False)
    print(to_text(view))
"""

from __future__ import annotations

import re
from typing import Any

from solvent.viz.html import to_html
from solvent.viz.model import PALETTE, DagView, Link, Node, State, build_view, stage_states
from solvent.viz.text import text_rows, to_text

__all__ = [
    "DagView",
    "Link",
    "Node",
    "State",
    "build_view",
    "stage_states",
    "text_rows",
    "to_doc",
    "to_dot",
    "to_html",
    "to_mermaid",
    "to_text",
]


# -- Mermaid ------------------------------------------------------------------------------


def mermaid_ids(view: DagView) -> dict[str, str]:
    """A Mermaid-safe id per node: readable, unique, and never a keyword such as ``end``."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    prefix = "s_" if view.kind == "stages" else "f_"
    for n in view.nodes:
        base = prefix + (re.sub(r"[^A-Za-z0-9]+", "_", n.id).strip("_") or "x")
        candidate, k = base, 2
        while candidate in taken:
            candidate, k = f"{base}_{k}", k + 1
        taken.add(candidate)
        ids[n.id] = candidate
    return ids


def _mermaid_text(text: str) -> str:
    """A quoted Mermaid label: quotes and HTML specials become entity codes (``#quot;``)."""
    out = text.replace("#", "#35;")
    for ch, code in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        out = out.replace(ch, code)
    return out.replace("\n", " ")


def to_mermaid(view: DagView) -> str:
    ids = mermaid_ids(view)
    lines = ["flowchart TD", f"  %% {view.kind} of {_mermaid_text(view.file)}"]
    for n in view.nodes:
        open_, close = ("[", "]") if n.kind == "stage" else ("[(", ")]") if n.source else ("(", ")")
        lines.append(f'  {ids[n.id]}{open_}"{_mermaid_text(n.id)}"{close}')
    for link in view.links:
        label = f'|"{_mermaid_text(link.label)}"|' if link.label else ""
        lines.append(f"  {ids[link.source]} -->{label} {ids[link.target]}")
    for state in (*State, None):
        members = [ids[n.id] for n in view.nodes if n.state is state and (state or n.source)]
        if not members:
            continue
        c = PALETTE[state]
        name = state.slug if state else "source"
        lines.append(f"  classDef {name} fill:{c.fill},stroke:{c.line},color:#1d2433")
        lines.append(f"  class {','.join(members)} {name}")
    return "\n".join(lines) + "\n"


# -- Graphviz DOT ------------------------------------------------------------------------


def _dot_text(text: str) -> str:
    """A DOT quoted string; backslashes too, or ``\\N`` and ``\\l`` would mean something."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def to_dot(view: DagView) -> str:
    lines = [
        "digraph pipeline {",
        f"  graph [rankdir=TB, label={_dot_text(view.file)}, labelloc=t, fontname=Helvetica];",
        '  node [shape=box, style="rounded,filled", fontname=Helvetica, fontsize=11];',
        '  edge [color="#9aa3b2", fontname=Helvetica, fontsize=9];',
    ]
    for n in view.nodes:
        c = PALETTE[n.state]
        label = n.id if n.state is None else f"{n.id}\n{n.state.value}"
        style = '"rounded,filled,dashed"' if n.state is State.STALE or n.source else None
        attrs = [
            f"label={_dot_text(label)}",
            f'fillcolor="{c.fill}"',
            f'color="{c.line}"',
            f"tooltip={_dot_text(n.tooltip)}",
            f'class="{n.state.slug if n.state else "source" if n.source else "unknown"}"',
        ]
        if style:
            attrs.append(f"style={style}")
        if n.state is State.FAILED:
            attrs.append("penwidth=2")
        lines.append(f"  {_dot_text(n.id)} [{', '.join(attrs)}];")
    for link in view.links:
        label = f" [label={_dot_text(link.label)}]" if link.label else ""
        lines.append(f"  {_dot_text(link.source)} -> {_dot_text(link.target)}{label};")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- JSON ---------------------------------------------------------------------------------


def to_doc(view: DagView) -> dict[str, Any]:
    """Plain values for ``--json``: nodes with their state and details, and the links."""
    return {
        "kind": view.kind,
        "file": view.file,
        "nodes": [
            {
                "id": n.id,
                "kind": n.kind,
                "state": n.state.value if n.state else None,
                "source": n.source,
                "reasons": list(n.reasons),
                "details": {heading: list(items) for heading, items in n.details},
            }
            for n in view.nodes
        ],
        "links": [
            {"source": link.source, "target": link.target, "label": link.label}
            for link in view.links
        ],
    }
