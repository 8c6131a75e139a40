"""Report charts as Vega-Lite specs (built with Altair), rendered to inline SVG by vl-convert.

The builders take plain values and return a Vega-Lite spec (a dict): the HTML reports render
them to SVG here, with no browser and no network; a web page can hand the same spec to
vega-embed. Axes with ticks and titles, and legends, come from the grammar, not from us.

Altair and vl-convert are imported inside the functions, so importing this module (and
``solvent --version``) stays cheap.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from html import escape
from itertools import count
from typing import Any

Spec = dict[str, Any]
Row = dict[str, Any]

WIDTH, HEIGHT = 640, 200
REF_COLOUR = "#4c78a8"
CUR_COLOUR = "#f58518"
CUT_COLOUR = "#b00020"
BAND_COLOUR = "#bbbbbb"
OK_COLOUR = "#1b7f3b"
# Colours for named series beyond the first two (Tableau 10, as Vega's default scheme).
SCHEME = ("#4c78a8", "#f58518", "#54a24b", "#b279a2", "#ff9da6", "#9d755d", "#bab0ac",
          "#eeca3b", "#72b7b2", "#e45756")  # fmt: skip
_SERIAL = count()
_ID = re.compile(r'\bid="([^"]+)"')


def _alt() -> Any:
    import altair as alt

    return alt


def _colour(domain: Sequence[str], colours: Sequence[str], title: str | None = None) -> Any:
    alt = _alt()
    return alt.Color(
        "series:N",
        scale=alt.Scale(domain=list(domain), range=list(colours)),
        legend=alt.Legend(title=title, orient="right", labelLimit=260),
    )


def _finish(chart: Any, name: str, width: int = WIDTH, height: int = HEIGHT) -> Spec:
    spec: Spec = chart.properties(width=width, height=height).to_dict()
    spec["description"] = name
    return spec


def binned_shares(
    edges: Sequence[float],
    series: Mapping[str, Sequence[float]],
    *,
    x_title: str,
    y_title: str = "share of rows",
    colours: Sequence[str] = (REF_COLOUR, CUR_COLOUR),
    cut: tuple[str, float] | None = None,
    name: str = "shares",
) -> Spec:
    """Side-by-side bars per bin on a quantitative x axis (bins from ``edges``), one colour per
    series; ``cut`` draws a labelled vertical rule (a threshold) that the legend lists too."""
    alt = _alt()
    k = len(series)
    rows: list[Row] = []
    for i in range(len(edges) - 1):
        left, width = edges[i], (edges[i + 1] - edges[i]) / max(k, 1)
        for j, (label, shares) in enumerate(series.items()):
            rows.append({
                "series": label, "x": left + j * width, "x2": left + (j + 1) * width,
                "share": shares[i], "bin": f"{edges[i]:.4g} to {edges[i + 1]:.4g}",
            })  # fmt: skip
    domain, palette = list(series), list(colours[:k])
    layers = []
    if cut is not None:
        domain.append(cut[0])
        palette.append(CUT_COLOUR)
    colour = _colour(domain, palette)
    layers.append(
        alt.Chart(alt.Data(values=rows))
        .mark_rect()
        .encode(
            x=alt.X(
                "x:Q",
                title=x_title,
                scale=alt.Scale(zero=False, nice=False),
                axis=alt.Axis(tickCount=10, labelFlush=False, labelOverlap=True),
            ),
            x2="x2:Q",
            y=alt.Y("share:Q", title=y_title, axis=alt.Axis(format="~%")),
            color=colour,
        )
    )
    if cut is not None:
        layers.append(_rule(cut[0], cut[1], colour))
    return _finish(alt.layer(*layers), name)


def _rule(label: str, at: float, colour: Any) -> Any:
    alt = _alt()
    data = alt.Data(values=[{"series": label, "x": at, "text": f" {label}"}])
    rule = alt.Chart(data).mark_rule(strokeWidth=2).encode(x="x:Q", color=colour)
    text = (
        alt.Chart(data)
        .mark_text(align="left", baseline="top", dy=2, fontSize=11)
        .encode(x="x:Q", y=alt.value(0), text="text:N", color=colour)
    )
    return rule + text


def category_shares(
    labels: Sequence[str],
    series: Mapping[str, Sequence[float]],
    *,
    x_title: str,
    y_title: str = "share of rows",
    colours: Sequence[str] = (REF_COLOUR, CUR_COLOUR),
    name: str = "shares",
) -> Spec:
    """Grouped bars per category (or per ordered bin), in the order given."""
    alt = _alt()
    rows = [
        {"series": s, "category": label, "share": shares[i], "order": i}
        for i, label in enumerate(labels)
        for s, shares in series.items()
    ]
    chart = (
        alt.Chart(alt.Data(values=rows))
        .mark_bar()
        .encode(
            x=alt.X(
                "category:N",
                title=x_title,
                sort=list(dict.fromkeys(labels)),
                axis=alt.Axis(labelAngle=-40, labelLimit=110, labelOverlap=True),
            ),
            xOffset=alt.XOffset("series:N", sort=list(series)),
            y=alt.Y("share:Q", title=y_title, axis=alt.Axis(format="~%")),
            color=_colour(list(series), list(colours[: len(series)])),
        )
    )
    return _finish(chart, name)


def metric_curve(
    thresholds: Sequence[float],
    values: Sequence[float],
    *,
    metric: str,
    cut: float,
    value: float,
    interval: tuple[float, float],
    points: Sequence[tuple[str, float, float, str]] = (),
    name: str = "metric",
) -> Spec:
    """The metric at every threshold (a line), the chosen cut (a rule) with its interval (an
    error bar on the cut), and further labelled points ``(series, x, y, colour)``. When the
    interval is too narrow to see beside the whole curve, a second panel zooms in on it."""
    alt = _alt()
    fit_label, cut_label = f"{metric} on the fit data", f"chosen cut {cut:.3g}"
    interval_label = f"95% interval {interval[0]:.3f}..{interval[1]:.3f}"
    domain = [fit_label, cut_label, interval_label, *(p[0] for p in points)]
    palette = [REF_COLOUR, CUT_COLOUR, "#555555", *(p[3] for p in points)]
    colour = _colour(domain, palette)
    line: list[Row] = [
        {"series": fit_label, "x": t, "y": v}
        for t, v in zip(thresholds, values, strict=True)
        if v == v  # NaN where the metric is undefined
    ]
    bar = {"series": interval_label, "x": cut, "y": interval[0], "y2": interval[1]}
    extra = [{"series": cut_label, "x": cut, "y": value}]  # drawn first: the others on top
    extra += [{"series": s, "x": px, "y": py} for s, px, py, _ in points]

    def panel(xs: list[float] | None, ys: list[float] | None, height: int, title: str) -> Any:
        x = alt.X(
            "x:Q",
            title="threshold (predict positive when score ≥ threshold)",
            scale=alt.Scale(domain=xs) if xs else alt.Undefined,
            axis=alt.Axis(tickCount=10, labelOverlap=True),
        )
        y = alt.Y("y:Q", title=metric, scale=alt.Scale(zero=False, domain=ys or alt.Undefined))
        # between two scores the metric is that of the higher one: the step comes first
        layers = [
            alt.Chart(alt.Data(values=line))
            .mark_line(interpolate="step-before", clip=True)
            .encode(x=x, y=y, color=colour),
            alt.Chart(alt.Data(values=[{"series": cut_label, "x": cut}]))
            .mark_rule(strokeWidth=1.5, opacity=0.7)
            .encode(x=x, color=colour),
            alt.Chart(alt.Data(values=[bar]))
            .mark_errorbar(ticks={"size": 14}, thickness=3, clip=True)
            .encode(x=x, y=y, y2="y2:Q", color=colour),
            alt.Chart(alt.Data(values=extra))
            .mark_point(filled=True, size=70, opacity=1, clip=True)
            .encode(x=x, y=y, color=colour),
        ]
        return alt.layer(*layers, title=title).properties(width=WIDTH, height=height)

    ys_all = [float(r["y"]) for r in line] + [value, interval[0], interval[1]]
    finite = [v for v in ys_all if not math.isnan(v)]
    spread = (max(finite) - min(finite)) if finite else 0.0
    width = interval[1] - interval[0]
    whole = panel(None, None, HEIGHT, "at every threshold")
    if math.isnan(width) or not spread or width > spread / 8:
        spec: Spec = whole.to_dict()
    else:
        pad = max(width, 1e-6)
        ys = [interval[0] - pad, max(interval[1], value, *(p[2] for p in points)) + pad]
        near = [float(r["x"]) for r in line if ys[0] <= r["y"] <= ys[1]] + [cut]
        near += [p[1] for p in points]
        xs = [min(near), max(near)]
        if xs[1] - xs[0] < 1e-9:
            xs = [xs[0] - 0.01, xs[1] + 0.01]
        zoom = panel(xs, ys, 150, "near the cut: the interval to scale")
        spec = alt.vconcat(whole, zoom, spacing=16).resolve_scale(color="shared").to_dict()
    spec["description"] = name
    return spec


def pr_curve(
    recall: Sequence[float],
    precision: Sequence[float],
    *,
    chosen: tuple[float, float],
    prevalence: float,
    floor: tuple[str, float] | None = None,
    name: str = "pr",
) -> Spec:
    """Precision against recall over every threshold, the chosen cut's point, and the
    precision of a random guess (the prevalence); ``floor`` draws a precision or recall floor."""
    alt = _alt()
    curve_label, cut_label = "precision-recall curve", "chosen cut"
    guess_label = f"random guess (prevalence {prevalence:.1%})"
    domain, palette = [curve_label, cut_label, guess_label], [REF_COLOUR, CUT_COLOUR, "#888888"]
    if floor is not None:
        domain.append(f"{floor[0]} ≥ {floor[1]:g}")
        palette.append(OK_COLOUR)
    colour = _colour(domain, palette)
    rows = [
        {"series": curve_label, "recall": r, "precision": p}
        for r, p in zip(recall, precision, strict=True)
        if p == p
    ]
    x = alt.X("recall:Q", title="recall", scale=alt.Scale(domain=[0, 1]))
    y = alt.Y("precision:Q", title="precision", scale=alt.Scale(domain=[0, 1]))
    layers = [
        alt.Chart(alt.Data(values=rows))
        .mark_line()
        .encode(x=x, y=y, color=colour, order="recall:Q"),
        alt.Chart(alt.Data(values=[{"series": guess_label, "precision": prevalence}]))
        .mark_rule(strokeDash=[4, 3])
        .encode(y="precision:Q", color=colour),
        alt.Chart(
            alt.Data(values=[{"series": cut_label, "recall": chosen[0], "precision": chosen[1]}])
        )
        .mark_point(filled=True, size=80, opacity=1)
        .encode(x="recall:Q", y="precision:Q", color=colour),
    ]
    if floor is not None:
        field = floor[0]
        data = alt.Data(values=[{"series": domain[-1], field: floor[1]}])
        enc = {"x" if field == "recall" else "y": f"{field}:Q"}
        layers.append(alt.Chart(data).mark_rule(strokeDash=[2, 2]).encode(color=colour, **enc))
    return _finish(alt.layer(*layers), name, width=360, height=280)


def shares_over_time(
    rows: Sequence[Row],
    *,
    labels: Sequence[str],
    baseline: Mapping[str, float],
    name: str = "monitor",
) -> Spec:
    """A panel per label: its share over the windows (line and points), its action limits (a
    shaded band), its training share (a dashed rule), and windows outside the limits ringed.

    ``rows``: ``{"window", "label", "share", "low", "high", "alert"}`` per window and label."""
    alt = _alt()
    roles = ["share in the window", "action limits", "training share", "outside the limits"]
    colour = _colour(roles, [CUR_COLOUR, BAND_COLOUR, REF_COLOUR, CUT_COLOUR])
    order = list(dict.fromkeys(r["window"] for r in rows))
    x = alt.X(
        "window:N",
        title="window start",
        sort=order,
        axis=alt.Axis(labelAngle=-30, labelOverlap=True),
    )
    panels = []
    for label in labels:
        mine = [r for r in rows if r["label"] == label]
        y_title = f"share of {label}"
        y = alt.Y("share:Q", title=y_title, axis=alt.Axis(format="~%"))
        band = alt.Chart(alt.Data(values=[{**r, "series": roles[1]} for r in mine]))
        band = (
            band.mark_errorbar(ticks=True, thickness=8)
            if len(order) == 1
            else band.mark_area(opacity=0.45)
        )
        layers = [
            band.encode(x=x, y=alt.Y("low:Q", title=y_title), y2="high:Q", color=colour),
            alt.Chart(alt.Data(values=[{"series": roles[2], "share": baseline.get(label, 0.0)}]))
            .mark_rule(strokeDash=[5, 4], strokeWidth=1.5)
            .encode(y="share:Q", color=colour),
            alt.Chart(alt.Data(values=[{**r, "series": roles[0]} for r in mine]))
            .mark_line(point=True)
            .encode(x=x, y=y, color=colour),
            alt.Chart(alt.Data(values=[{**r, "series": roles[3]} for r in mine if r["alert"]]))
            .mark_point(size=170, strokeWidth=2.5, filled=False, opacity=1)
            .encode(x=x, y="share:Q", color=colour),
        ]
        panels.append(
            alt.layer(*layers, title=f"predicted {label}").properties(width=WIDTH, height=110)
        )
    spec: Spec = alt.vconcat(*panels, spacing=18).resolve_scale(color="shared").to_dict()
    spec["description"] = name
    return spec


def intervals(
    rows: Sequence[tuple[str, float, float, float, str]],
    *,
    band: float,
    x_title: str,
    groups: Sequence[str],
    name: str = "intervals",
) -> Spec:
    """One row per item: its mean (a point) and interval (a bar), coloured by group, over the
    band of practical equivalence (shaded) and a zero line. ``rows``: name, mean, low, high,
    group."""
    alt = _alt()
    palette = {
        "keep": REF_COLOUR, "undecided": "#eeca3b", "harmful": CUT_COLOUR,
        "duplicate": "#b279a2",
    }  # fmt: skip
    others = iter(("#f58518", "#e45756", "#9d755d", "#72b7b2", "#54a24b", "#ff9da6"))
    colours = [palette.get(g) or next(others, "#888888") for g in groups]
    values = [{"item": n, "mean": m, "low": lo, "high": hi, "group": g} for n, m, lo, hi, g in rows]
    order = [r[0] for r in rows]
    y = alt.Y("item:N", title=None, sort=order, axis=alt.Axis(labelLimit=200))
    colour = alt.Color(
        "group:N",
        title="verdict",
        scale=alt.Scale(domain=list(groups), range=colours),
        legend=alt.Legend(orient="right"),
    )
    band_label = f"band of equivalence ±{band:.3g}"
    marks = alt.Scale(domain=[band_label, "zero"], range=["#e6e6e6", "#444444"])
    shade = alt.Color("what:N", scale=marks, legend=alt.Legend(title=None, orient="right"))
    x = alt.X("mean:Q", title=x_title)
    layers = [
        alt.Chart(alt.Data(values=[{"what": band_label, "a": -band, "b": band}]))
        .mark_rect()
        .encode(x="a:Q", x2="b:Q", fill=shade),
        alt.Chart(alt.Data(values=[{"what": "zero", "a": 0.0}]))
        .mark_rule(strokeWidth=1.5)
        .encode(x="a:Q", stroke=alt.Stroke("what:N", scale=marks, legend=None)),
        alt.Chart(alt.Data(values=values))
        .mark_rule(strokeWidth=2.5)
        .encode(x=alt.X("low:Q", title=x_title), x2="high:Q", y=y, color=colour),
        alt.Chart(alt.Data(values=values))
        .mark_point(filled=True, size=60, opacity=1)
        .encode(x=x, y=y, color=colour),
    ]
    height = max(60, 22 * len(rows))
    return _finish(alt.layer(*layers), name, height=height)


def rates_against_limits(
    rows: Sequence[Row],
    *,
    name: str = "rates",
) -> Spec:
    """Per class, the batch's positive rate (a point) inside its action limits (a bar) beside
    the fit data's rate (a tick). ``rows``: ``{"label", "rate", "low", "high", "reference",
    "alert"}``."""
    alt = _alt()
    domain = ["action limits", "rate on the fit data", "rate on this data", "outside the limits"]
    colour = _colour(domain, [BAND_COLOUR, REF_COLOUR, OK_COLOUR, CUT_COLOUR])
    y = alt.Y("label:N", title="class")
    limits = [{**r, "series": "action limits"} for r in rows]
    ref = [{**r, "series": "rate on the fit data"} for r in rows]
    now = [
        {**r, "series": "outside the limits" if r["alert"] else "rate on this data"} for r in rows
    ]
    x_title = "share of rows predicted positive"
    layers = [
        alt.Chart(alt.Data(values=limits))
        .mark_bar(height=14)
        .encode(
            x=alt.X("low:Q", title=x_title, axis=alt.Axis(format="~%")),
            x2="high:Q",
            y=y,
            color=colour,
        ),
        alt.Chart(alt.Data(values=ref))
        .mark_tick(thickness=3, size=22)
        .encode(x="reference:Q", y=y, color=colour),
        alt.Chart(alt.Data(values=now))
        .mark_point(filled=True, size=90, opacity=1)
        .encode(x="rate:Q", y=y, color=colour),
    ]
    return _finish(alt.layer(*layers), name, height=max(50, 34 * len(rows)))


def to_svg(spec: Spec) -> str:
    """``spec`` as one SVG element, its ids made unique so many charts share one page."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg(spec)
    prefix = f"c{next(_SERIAL)}-"
    for found in set(_ID.findall(svg)):
        svg = svg.replace(f'id="{found}"', f'id="{prefix}{found}"')
        svg = svg.replace(f"url(#{found})", f"url(#{prefix}{found})")
    return svg.replace('<svg xmlns="http', '<svg class="chart" xmlns="http', 1)


def figure(spec: Spec, chart: str, caption: str = "") -> str:
    """The chart as a ``<figure>`` holding its SVG (and a caption), named for tests and CSS."""
    cap = f"<figcaption>{escape(caption)}</figcaption>" if caption else ""
    return f'<figure class="chart" data-chart="{escape(chart)}">{to_svg(spec)}{cap}</figure>'


CSS = """
figure.chart { margin: 0.5em 0 1.5em; }
figure.chart svg { max-width: 100%; height: auto; }
figure.chart figcaption { color: #555; font-size: 13px; }
"""
