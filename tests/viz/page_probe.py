"""A report page as headless Chromium lays it out and paints it.

The page itself holds no script. A copy of it gets a small probe appended that measures, after
layout, what a reader would see (each chart's box, its axis titles and tick labels, its legend,
the page's width against the window's) and writes that as JSON into the DOM, which
``--dump-dom`` hands back. The page (without the probe) is then screenshot at its full height.

Set ``SOLVENT_SCREENS`` to a folder to also keep one screenshot per page there, for a person to
look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

from tests.viz.test_browser import _browser, _decode_png, _run

WINDOW_WIDTH = 1280
PROBE = """<script>(() => {
  const doc = document.documentElement, vw = doc.clientWidth;
  const shown = e => {
    const s = getComputedStyle(e), r = e.getBoundingClientRect();
    return s.visibility !== "hidden" && s.display !== "none" && r.width > 0 && r.height > 0;
  };
  const texts = (root, sel) => [...root.querySelectorAll(sel)].filter(shown)
    .map(t => t.textContent.trim()).filter(t => t);
  const charts = [...document.querySelectorAll("figure.chart")].map(f => {
    const svg = f.querySelector("svg"), r = svg.getBoundingClientRect();
    const axes = [...f.querySelectorAll("g.role-axis")].map(a => ({
      title: texts(a, ".role-axis-title text").join(" "),
      ticks: texts(a, ".role-axis-label text"),
    })).filter(a => a.title || a.ticks.length);
    return {
      chart: f.dataset.chart, shown: shown(svg), left: r.left, right: r.right,
      width: r.width, height: r.height, axes,
      legend: texts(f, ".role-legend-label text"),
      legend_titles: texts(f, ".role-legend-title text"),
      marks: [...f.querySelectorAll(".role-mark > *")].filter(shown).length,
      caption: texts(f, "figcaption").join(" "),
      section: (f.closest("section") || {dataset: {}}).dataset,
    };
  });
  // Marks inside a chart may reach past its clip region; the chart's own box is what shows.
  const wide = [...document.body.querySelectorAll("*")]
    .filter(e => !e.parentElement.closest("svg"))
    .filter(e => e.getBoundingClientRect().right > vw + 1).map(e => e.tagName).slice(0, 10);
  const out = {scroll_width: doc.scrollWidth, client_width: vw, height: doc.scrollHeight,
               charts, wide};
  const pre = document.createElement("pre");
  pre.id = "probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();</script>"""


@dataclass(frozen=True)
class Seen:
    """What the browser laid out: the probe's JSON, and the screenshot's path and size."""

    facts: dict[str, Any]
    shot: Path
    size: tuple[int, int]
    colours: int  # distinct colours painted

    @property
    def charts(self) -> list[dict[str, Any]]:
        return list(self.facts["charts"])


def look(html: str, tmp_path: Path, name: str) -> Seen:
    """Lay ``html`` out at a desktop width, measure it, and screenshot it whole."""
    browser = _browser()
    for external in ("<script", "<link", "<img", "src=", "@import", "url(http", "url(//"):
        assert external not in html, f"the page loads or runs something: {external}"
    page = tmp_path / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    probed = tmp_path / f"{name}-probed.html"
    probed.write_text(html.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    size = f"--window-size={WINDOW_WIDTH},900"
    proc = _run(browser, tmp_path, "--dump-dom", size, probed.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "Uncaught" in line]
    assert console == [], console
    found = re.search(r'<pre id="probe">(.*?)</pre>', proc.stdout, re.S)
    assert found, "the probe did not run"
    facts = json.loads(unescape(found.group(1)))
    shot = tmp_path / f"{name}.png"
    height = min(int(facts["height"]) + 20, 14000)
    proc = _run(
        browser, tmp_path, "--hide-scrollbars", f"--screenshot={shot}",
        f"--window-size={WINDOW_WIDTH},{height}", page.as_uri(),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    width, tall, pixels = _decode_png(shot.read_bytes())
    keep = os.environ.get("SOLVENT_SCREENS")
    if keep:
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, Path(keep) / shot.name)
    return Seen(facts, shot, (width, tall), len(set(pixels[:: max(1, len(pixels) // 200_000)])))


def assert_readable(seen: Seen, charts: int) -> None:
    """Every chart is painted inside the window with titled axes that carry tick labels, and a
    legend; the page does not scroll sideways; the screenshot is not blank."""
    facts = seen.facts
    assert facts["scroll_width"] <= facts["client_width"], f"overflows: {facts['wide']}"
    assert facts["wide"] == [], facts["wide"]
    assert len(seen.charts) == charts, [c["chart"] for c in seen.charts]
    for c in seen.charts:
        where = c["chart"]
        assert c["shown"] and c["width"] > 200 and c["height"] > 80, (where, c)
        assert c["left"] >= 0 and c["right"] <= facts["client_width"], (where, c)
        assert c["marks"] > 0, where
        titled = [a for a in c["axes"] if a["title"]]
        assert titled, f"{where}: no axis title"
        assert any(len(a["ticks"]) >= 2 for a in c["axes"]), f"{where}: no tick labels"
        assert c["legend"], f"{where}: no legend"
    assert seen.size[0] == WINDOW_WIDTH and seen.colours > 20, "a blank page"
