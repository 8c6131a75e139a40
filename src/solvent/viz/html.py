"""The DAG as one self-contained HTML page: an inline SVG, a legend, and a table of details.

Nothing is fetched: no fonts, scripts or styles from the network, so the page opens offline, as
a CI artifact, or attached to a mail. A short inline script highlights a node's lineage on
hover; without it the page still shows everything (tooltips are SVG ``<title>`` elements).
"""

from __future__ import annotations

from collections.abc import Iterable
from html import escape

from solvent.viz.layout import Layout, layered
from solvent.viz.model import PALETTE, DagView, Node, State

NODE_H = 50
LAYER_GAP = 58
PAD = 24
MONO_CHAR = 7.8  # width of one character of the 13px monospace font used for names
SANS_CHAR = 6.4  # mean width of one character of the 11.5px sans-serif state line
MIN_W, MAX_W = 128.0, 280.0
COLUMNS = ("why stale", "written by", "about", "cmd", "wdir", "deps", "outs", "read by", "kind")
WRAPPING = ("about", "cmd", "why stale")  # table columns of prose; paths stay on one line


def to_html(view: DagView, title: str | None = None) -> str:
    title = title or ("Pipeline" if view.kind == "stages" else "Pipeline files")
    widths = {n.id: _width(n) for n in view.nodes}
    layout = layered(view, widths)
    ids = {n.id: f"n{i}" for i, n in enumerate(view.nodes)}
    svg = _svg(view, layout, widths, ids) if view.nodes else '<p class="empty">No stages.</p>'
    what = "stage" if view.kind == "stages" else "file"
    facts = [f"{len(view.nodes)} {what}{'' if len(view.nodes) == 1 else 's'}"]
    if layout.layers:
        facts.append(f"{layout.layers} layer{'' if layout.layers == 1 else 's'}")
    return _PAGE.format(
        title=escape(title),
        file=escape(view.file),
        facts=escape(" · ".join(facts)),
        legend=_legend(view),
        svg=svg,
        table=_table(view, ids),
        css=_css(),
        script=_SCRIPT,
    )


def _state_class(node: Node) -> str:
    if node.state is not None:
        return f"state-{node.state.slug}"
    return "state-source" if node.source else "state-unknown"


def _width(node: Node) -> float:
    wanted = max(len(node.id) * MONO_CHAR, len(node.summary) * SANS_CHAR) + 34
    return min(MAX_W, max(MIN_W, wanted))


def _fit(text: str, width: float, char: float) -> str:
    room = int((width - 34) / char + 0.01)
    return text if len(text) <= room else text[: max(1, room - 1)] + "…"


def _top(layer: int) -> float:
    return PAD + layer * (NODE_H + LAYER_GAP)


def _svg(view: DagView, layout: Layout, widths: dict[str, float], ids: dict[str, str]) -> str:
    width = layout.width + 2 * PAD
    height = 2 * PAD + layout.layers * (NODE_H + LAYER_GAP) - LAYER_GAP
    parts = [
        f'<svg class="dag" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" '
        f'height="{height:.0f}" viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f'aria-label="{escape(view.kind)} graph">',
        "<defs>",
        _marker("arrow", "#9aa3b2"),
        _marker("arrow-hl", "#3a4457"),
        "</defs>",
        '<g class="edges">',
        *_edges(view, layout, widths, ids),
        "</g>",
        '<g class="nodes">',
        *(_node(n, layout, widths[n.id], ids[n.id]) for n in view.nodes),
        "</g>",
        "</svg>",
    ]
    return "\n".join(parts)


def _marker(name: str, colour: str) -> str:
    return (
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
        f'markerHeight="7" orient="auto-start-reverse"><path d="M0,1 L10,5 L0,9 z" '
        f'fill="{colour}"/></marker>'
    )


def _ports(count: int, width: float) -> list[float]:
    """Where ``count`` arrows leave (or enter) a node, spread along its middle."""
    if count <= 1:
        return [0.0] * count
    step = min(18.0, (width - 48) / (count - 1))
    return [(k - (count - 1) / 2) * step for k in range(count)]


def _edges(
    view: DagView, layout: Layout, widths: dict[str, float], ids: dict[str, str]
) -> Iterable[str]:
    x, layer = layout.x, layout.layer
    arrows = list(dict.fromkeys((link.source, link.target) for link in view.links))
    labels: dict[tuple[str, str], list[str]] = {}
    for link in view.links:
        if link.label:
            labels.setdefault((link.source, link.target), []).append(link.label)

    def first_x(a: str, b: str) -> float:
        route = layout.routes[(a, b)]
        return route[0] if route else x[b]

    def last_x(a: str, b: str) -> float:
        route = layout.routes[(a, b)]
        return route[-1] if route else x[a]

    out_port: dict[tuple[str, str], float] = {}
    in_port: dict[tuple[str, str], float] = {}
    for n in view.nodes:
        leaving = sorted((a, b) for a, b in arrows if a == n.id)
        leaving.sort(key=lambda ab: first_x(*ab))
        out_port.update(zip(leaving, _ports(len(leaving), widths[n.id]), strict=True))
        entering = sorted((a, b) for a, b in arrows if b == n.id)
        entering.sort(key=lambda ab: last_x(*ab))
        in_port.update(zip(entering, _ports(len(entering), widths[n.id]), strict=True))
    for a, b in arrows:
        points = [(x[a] + out_port[(a, b)], _top(layer[a]) + NODE_H)]
        for k, dx in enumerate(layout.routes[(a, b)], start=layer[a] + 1):
            points += [(dx, _top(k)), (dx, _top(k) + NODE_H)]
        points.append((x[b] + in_port[(a, b)], _top(layer[b]) - 2))
        points = [(px + PAD, py) for px, py in points]
        d = [f"M{points[0][0]:.1f},{points[0][1]:.1f}"]
        for i in range(1, len(points)):
            (x0, y0), (x1, y1) = points[i - 1], points[i]
            if i % 2:  # from the bottom of one layer to the top of the next: a smooth S
                mid = (y0 + y1) / 2
                d.append(f"C{x0:.1f},{mid:.1f} {x1:.1f},{mid:.1f} {x1:.1f},{y1:.1f}")
            else:  # straight down through a layer the arrow skips
                d.append(f"L{x1:.1f},{y1:.1f}")
        tip = f"{a} → {b}"
        if (a, b) in labels:
            tip += f" (by {', '.join(labels[(a, b)])})"
        yield (
            f'<path class="edge" data-from="{ids[a]}" data-to="{ids[b]}" d="{" ".join(d)}">'
            f"<title>{escape(tip)}</title></path>"
        )


def _node(node: Node, layout: Layout, width: float, nid: str) -> str:
    left = PAD + layout.x[node.id] - width / 2
    top = _top(layout.layer[node.id])
    colours = PALETTE[node.state]
    name = _fit(node.id, width, MONO_CHAR)
    sub = _fit(node.summary, width, SANS_CHAR)
    sub_line = (
        f'<text class="sub" x="{left + 22:.1f}" y="{top + 36:.1f}">{escape(sub)}</text>'
        if sub
        else ""
    )
    name_y = top + (21 if sub else 30)
    state = node.state.value if node.state else ""
    return (
        f'<a href="#row-{nid}" class="node {_state_class(node)}" id="{nid}" '
        f'data-node="{escape(node.id)}" data-state="{escape(state)}">'
        f"<title>{escape(node.tooltip)}</title>"
        f'<rect class="box" x="{left:.1f}" y="{top:.1f}" width="{width:.1f}" height="{NODE_H}" '
        f'rx="9" fill="{colours.fill}" stroke="{colours.line}"/>'
        f'<circle class="dot" cx="{left + 12:.1f}" cy="{name_y - 4.5:.1f}" r="4" '
        f'fill="{colours.line}"/>'
        f'<text class="name" x="{left + 22:.1f}" y="{name_y:.1f}">{escape(name)}</text>'
        f"{sub_line}</a>"
    )


def _legend(view: DagView) -> str:
    counts: dict[State | None, int] = {}
    for n in view.nodes:
        counts[n.state] = counts.get(n.state, 0) + 1
    items = []
    for state in (*State, None):
        if state is None and not counts.get(None):
            continue
        label = state.value if state else ("source" if view.kind == "outs" else "unknown")
        items.append(
            f'<li><span class="swatch" style="background:{PALETTE[state].fill};'
            f'border-color:{PALETTE[state].line}"></span>{escape(label)}'
            f' <span class="count">{counts.get(state, 0)}</span></li>'
        )
    return f'<ul class="legend">{"".join(items)}</ul>'


def _table(view: DagView, ids: dict[str, str]) -> str:
    found = dict.fromkeys(h for n in view.nodes for h, _ in n.details if h != "state")
    headings = sorted(found, key=lambda h: COLUMNS.index(h) if h in COLUMNS else len(COLUMNS))
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    rows = []
    for n in view.nodes:
        cells = dict(n.details)
        tds = "".join(
            f'<td class="{"wrap" if h in WRAPPING else "path"}">'
            + "".join(f"<div><code>{escape(v)}</code></div>" for v in cells.get(h, ()))
            + "</td>"
            for h in headings
        )
        state = n.state.value if n.state else ("source" if n.source else "")
        rows.append(
            f'<tr id="row-{ids[n.id]}" class="{_state_class(n)}"><th scope="row">'
            f'<span class="swatch"></span><code>{escape(n.id)}</code></th>'
            f'<td><span class="pill">{escape(state)}</span></td>{tds}</tr>'
        )
    what = "Stage" if view.kind == "stages" else "File"
    return (
        f'<div class="table"><table><thead><tr><th>{what}</th><th>state</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _css() -> str:
    rules = []
    for state in (*State, None):
        c = PALETTE[state]
        names = [f".state-{state.slug}"] if state else [".state-source", ".state-unknown"]
        for name in names:
            rules.append(f"{name} .sub{{fill:{c.text}}}")
            rules.append(f"tr{name} .swatch{{background:{c.fill};border-color:{c.line}}}")
            rules.append(f"tr{name} .pill{{background:{c.fill};color:{c.text}}}")
    return _CSS + "\n".join(rules)


_CSS = """
:root{--ink:#1d2433;--muted:#5b6578;--line:#e3e7ee;--bg:#f5f7fa}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);
  font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
header{padding:22px 32px 8px;display:flex;flex-wrap:wrap;align-items:baseline;gap:6px 20px}
h1{font-size:22px;margin:0;font-weight:650;letter-spacing:-.01em}
.facts{color:var(--muted)}
.facts code{font-size:13px}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:8px 18px;margin:0 0 0 auto;padding:0}
.legend li{display:flex;align-items:center;gap:7px;color:var(--ink)}
.count{color:var(--muted);font-variant-numeric:tabular-nums}
.swatch{display:inline-block;width:14px;height:14px;border-radius:4px;border:2px solid;
  vertical-align:-2px}
main{padding:8px 32px 40px}
.card{background:#fff;border:1px solid var(--line);border-radius:12px;
  box-shadow:0 1px 2px rgba(16,24,40,.05);padding:12px;overflow:auto;margin-bottom:24px}
svg.dag{display:block;margin:0 auto;max-width:100%;height:auto}
.edge{fill:none;stroke:#9aa3b2;stroke-width:1.6;marker-end:url(#arrow);transition:opacity .15s}
.node{cursor:pointer;transition:opacity .15s}
.node .box{stroke-width:1.6}
.node.state-stale .box{stroke-dasharray:6 3}
.node.state-failed .box{stroke-width:2.6}
.node.state-source .box{stroke-dasharray:2 3}
.node:hover .box,.node:focus .box{filter:drop-shadow(0 2px 4px rgba(16,24,40,.18))}
.name{font:600 13px ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;
  fill:var(--ink)}
.sub{font-size:11.5px;fill:var(--muted)}
svg.focus .node,svg.focus .edge{opacity:.22}
svg.focus .node.lit,svg.focus .edge.lit{opacity:1}
svg.focus .edge.lit{stroke:#3a4457;stroke-width:2.2;marker-end:url(#arrow-hl)}
.table{background:#fff;border:1px solid var(--line);border-radius:12px;overflow-x:auto}
table{width:100%;border-collapse:collapse;font-size:13px}
td.path code,.pill{white-space:nowrap}
.pill{display:inline-block;padding:1px 9px;border-radius:999px;font-size:12px;font-weight:600}
tbody tr:last-child>*{border-bottom:0}
th,td{text-align:left;vertical-align:top;padding:7px 12px;border-bottom:1px solid var(--line)}
thead th{background:#fafbfc;color:var(--muted);font-weight:600;font-size:12px;
  text-transform:uppercase;letter-spacing:.04em}
tbody th{white-space:nowrap;font-weight:600}
tbody th .swatch{margin-right:8px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace;
  font-size:12.5px}
td.wrap code{overflow-wrap:anywhere}
td.wrap{min-width:14em}
tr:target{background:#fffbea;outline:2px solid #f0c36d}
.empty{color:var(--muted);padding:24px;text-align:center}
footer{color:var(--muted);font-size:12px;padding:0 32px 24px}
"""

_SCRIPT = """
(function(){
  var svg=document.querySelector('svg.dag'); if(!svg) return;
  var edges=[].slice.call(svg.querySelectorAll('.edge')), up={}, down={};
  edges.forEach(function(e){
    (down[e.dataset.from]=down[e.dataset.from]||[]).push(e);
    (up[e.dataset.to]=up[e.dataset.to]||[]).push(e);
  });
  function walk(id, links, end, seen){
    (links[id]||[]).forEach(function(e){
      e.classList.add('lit'); var next=e.dataset[end];
      if(!seen[next]){seen[next]=1; document.getElementById(next).classList.add('lit');
        walk(next, links, end, seen);}
    });
  }
  function clear(){svg.classList.remove('focus');
    [].forEach.call(svg.querySelectorAll('.lit'),function(el){el.classList.remove('lit');});}
  [].forEach.call(svg.querySelectorAll('.node'),function(n){
    function show(){clear(); svg.classList.add('focus'); n.classList.add('lit');
      walk(n.id, up, 'from', {}); walk(n.id, down, 'to', {});}
    n.addEventListener('mouseenter',show); n.addEventListener('focus',show);
    n.addEventListener('mouseleave',clear); n.addEventListener('blur',clear);
  });
})();
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {file}</title>
<style>{css}</style>
</head>
<body>
<header>
<h1>{title}</h1>
<span class="facts"><code>{file}</code> · {facts}</span>
{legend}
</header>
<main>
<div class="card">
{svg}
</div>
{table}
</main>
<footer>Drawn by <code>solvent dag --html</code>. Hover a node for its command, deps, outs and
why it is stale; its upstream and downstream light up.</footer>
<script>{script}</script>
</body>
</html>
"""
