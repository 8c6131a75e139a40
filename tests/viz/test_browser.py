"""The HTML page in a real headless Chromium: what the browser builds and what it paints.

CI installs Debian's ``chromium``; without a browser binary the test is skipped, saying so.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from solvent.viz.html import to_html
from solvent.viz.model import PALETTE, State, build_view
from tests.viz.htmltree import parse
from tests.viz.pipelines import EXPECTED_STATES, six_stage_plan, six_stages

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _browser() -> str:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    if Path("/usr/bin/chromium").exists():
        return "/usr/bin/chromium"
    pytest.skip("no chromium binary found (CI installs it: apt-get install -y chromium)")


def _run(browser: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / "profile"
    profile.mkdir(exist_ok=True)
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--enable-logging=stderr",
            "--v=0",
            *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path, Path]:
    browser = _browser()
    tmp = tmp_path_factory.mktemp("browser")
    g = six_stages()
    plan, outcomes = six_stage_plan(g)
    html = tmp / "dag.html"
    html.write_text(to_html(build_view(g, plan, outcomes)), encoding="utf-8")
    return browser, tmp, html


def test_browser_builds_one_svg_node_per_stage(page: tuple[str, Path, Path]) -> None:
    browser, tmp, html = page
    proc = _run(browser, tmp, "--dump-dom", html.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Uncaught" not in proc.stderr, "the page's script failed"
    root = parse(proc.stdout)
    (svg,) = root.find(lambda e: e.tag == "svg")
    found = {
        n.attrs["data-node"]: n.cls()
        for n in svg.find(lambda e: e.tag == "a" and "node" in e.cls())
    }
    assert set(found) == set(EXPECTED_STATES)
    for name, state in EXPECTED_STATES.items():
        assert f"state-{State(state).slug}" in found[name]


def test_browser_paints_every_state_colour(page: tuple[str, Path, Path]) -> None:
    browser, tmp, html = page
    shot = tmp / "dag.png"
    proc = _run(browser, tmp, f"--screenshot={shot}", "--window-size=1200,800", html.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert shot.stat().st_size > 5000
    width, height, pixels = _decode_png(shot.read_bytes())
    assert (width, height) == (1200, 800)
    counts: dict[tuple[int, int, int], int] = {}
    for p in pixels:
        counts[p] = counts.get(p, 0) + 1
    assert len(counts) > 50, "a blank page"
    for state in State:  # each state's box background, as painted
        fill = _rgb(PALETTE[state].fill)
        painted = sum(n for c, n in counts.items() if max(map(abs, _minus(c, fill))) <= 3)
        assert painted > 1500, f"{state.value}: {painted} pixels of {PALETTE[state].fill}"


def _rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def _minus(a: tuple[int, int, int], b: tuple[int, int, int]) -> tuple[int, int, int]:
    return a[0] - b[0], a[1] - b[1], a[2] - b[2]


def _decode_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    """RGB pixels of an 8-bit RGB/RGBA PNG (what Chromium writes), with the stdlib only."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour_type in (2, 6), (depth, colour_type)
    bpp = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    previous = bytearray(stride)
    pixels: list[tuple[int, int, int]] = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - bpp] if i >= bpp else 0
            up = previous[i]
            corner = previous[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 0xFF
        pixels.extend((line[i], line[i + 1], line[i + 2]) for i in range(0, stride, bpp))
        previous = line
    return width, height, pixels
