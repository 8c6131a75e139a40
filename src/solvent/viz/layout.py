"""A small layered (Sugiyama-style) layout, so the HTML page needs no graph library.

1. Layers: a node sits one layer below its lowest upstream node; a node with no upstream sits
   just above its first downstream node, so a raw-data file is drawn next to what reads it.
2. An arrow that skips layers gets one invisible point per skipped layer, so it bends around
   the nodes in between instead of crossing them.
3. Order within a layer: barycentre sweeps, down then up, keeping the order with the fewest
   crossings.
4. Positions: each node moves towards the mean of its neighbours; a left-to-right and a
   right-to-left pass keep the gaps, and their mean is both centred and free of overlaps.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass

from solvent.viz.model import DagView

SWEEPS = 8
ROUNDS = 12


@dataclass(frozen=True, slots=True)
class Layout:
    layer: dict[str, int]  # node → layer, 0 at the top
    x: dict[str, float]  # node → centre, 0 at the left edge of the drawing
    routes: dict[tuple[str, str], list[float]]  # arrow → its x in each layer it passes through
    layers: int
    width: float


def layered(view: DagView, widths: Mapping[str, float], gap: float = 32.0) -> Layout:
    if not view.nodes:
        return Layout({}, {}, {}, 0, 0.0)
    layer = _layers(view)
    arrows = list(dict.fromkeys((link.source, link.target) for link in view.links))
    up: dict[str, list[str]] = {n.id: [] for n in view.nodes}
    down: dict[str, list[str]] = {n.id: [] for n in view.nodes}
    chains: dict[tuple[str, str], list[str]] = {}
    rows: list[list[str]] = [[] for _ in range(max(layer.values()) + 1)]
    for n in view.nodes:
        rows[layer[n.id]].append(n.id)
    size = dict(widths)
    for a, b in arrows:
        path = [a]
        for k in range(layer[a] + 1, layer[b]):
            dummy = f"{a}\0{b}\0{k}"  # NUL never occurs in a stage name or a path
            rows[k].append(dummy)
            up[dummy], down[dummy], size[dummy] = [], [], 0.0
            path.append(dummy)
        path.append(b)
        for s, t in itertools.pairwise(path):
            down[s].append(t)
            up[t].append(s)
        chains[(a, b)] = path[1:-1]
    rows = _order(rows, up, down)
    x = _positions(rows, up, down, size, gap)
    left = min(x[n] - size[n] / 2 for row in rows for n in row)
    x = {n: v - left for n, v in x.items()}
    width = max(x[n] + size[n] / 2 for row in rows for n in row)
    routes = {arrow: [x[d] for d in chain] for arrow, chain in chains.items()}
    return Layout(layer, {n.id: x[n.id] for n in view.nodes}, routes, len(rows), width)


def _layers(view: DagView) -> dict[str, int]:
    layer: dict[str, int] = {}
    for n in view.nodes:  # upstream first
        ups = view.parents(n.id)
        layer[n.id] = 1 + max(layer[p] for p in ups) if ups else 0
    for n in reversed(view.nodes):
        kids = view.children(n.id)
        if kids and not view.parents(n.id):
            layer[n.id] = min(layer[k] for k in kids) - 1
    return layer


def _order(
    rows: list[list[str]], up: dict[str, list[str]], down: dict[str, list[str]]
) -> list[list[str]]:
    best, best_cost = [list(r) for r in rows], _crossings(rows, down)
    current = [list(r) for r in rows]
    for sweep in range(SWEEPS):
        downward = sweep % 2 == 0
        near = up if downward else down
        indices = range(1, len(current)) if downward else range(len(current) - 2, -1, -1)
        for i in indices:
            where = {n: j for j, n in enumerate(current[i - 1 if downward else i + 1])}
            keyed = []
            for j, n in enumerate(current[i]):
                spots = [where[m] for m in near[n] if m in where]
                keyed.append((sum(spots) / len(spots) if spots else float(j), j, n))
            current[i] = [n for *_, n in sorted(keyed)]
        cost = _crossings(current, down)
        if cost < best_cost:
            best, best_cost = [list(r) for r in current], cost
    return best


def _crossings(rows: list[list[str]], down: dict[str, list[str]]) -> int:
    total = 0
    for upper, lower in itertools.pairwise(rows):
        where = {n: j for j, n in enumerate(lower)}
        pairs = [(i, where[t]) for i, s in enumerate(upper) for t in down[s] if t in where]
        total += sum(
            1 for a, (s1, t1) in enumerate(pairs) for s2, t2 in pairs[a + 1 :]
            if (s1 - s2) * (t1 - t2) < 0
        )  # fmt: skip
    return total


def _positions(
    rows: list[list[str]],
    up: dict[str, list[str]],
    down: dict[str, list[str]],
    size: Mapping[str, float],
    gap: float,
) -> dict[str, float]:
    x: dict[str, float] = {}
    for row in rows:
        x.update(zip(row, _place(row, [0.0] * len(row), size, gap), strict=True))
    for r in range(ROUNDS):
        downward = r % 2 == 0
        order = rows if downward else rows[::-1]
        for row in order:
            desired = []
            for n in row:
                near = up[n] if downward else down[n]
                if r == ROUNDS - 1:
                    near = up[n] + down[n]
                desired.append(sum(x[m] for m in near) / len(near) if near else x[n])
            x.update(zip(row, _place(row, desired, size, gap), strict=True))
    return x


def _place(
    row: list[str], desired: list[float], size: Mapping[str, float], gap: float
) -> list[float]:
    """Centres as close to ``desired`` as the gaps allow, keeping the order of ``row``."""

    def sep(a: str, b: str) -> float:
        g = gap if size[a] and size[b] else gap / 2
        return (size[a] + size[b]) / 2 + g

    n = len(row)
    lo, hi = list(desired), list(desired)
    for i in range(1, n):
        lo[i] = max(desired[i], lo[i - 1] + sep(row[i - 1], row[i]))
    for i in range(n - 2, -1, -1):
        hi[i] = min(desired[i], hi[i + 1] - sep(row[i], row[i + 1]))
    return [(a + b) / 2 for a, b in zip(lo, hi, strict=True)]
