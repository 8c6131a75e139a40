"""``doctor --html``: the debt project's report as headless Chromium builds and paints it:
every finding a card in its category, the ML Test Score with its bars, nothing loaded from
anywhere else, and every text from the project escaped.

CI installs Debian's ``chromium``; without a browser binary the test is skipped, saying so.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from solvent.doctor.findings import Finding
from solvent.doctor.mltestscore import MLTestScore, RubricTest, SectionScore
from solvent.doctor.report import DoctorReport
from solvent.doctor.report_html import SEVERITY_COLOUR, STATUS_COLOUR, render
from tests.doctor.debt_project import EXPECTED
from tests.doctor.test_mltestscore import reproduced_debt_project
from tests.helpers import solvent_ok
from tests.viz.htmltree import Element, all_text, parse
from tests.viz.test_browser import _browser, _decode_png, _run


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = reproduced_debt_project(tmp_path_factory.mktemp("html") / "project")
    html = root.parent / "report.html"
    out = solvent_ok(root, "doctor", "--html", str(html))
    assert f"Report: {html}" in out
    return html


def _dom(page: Path) -> Element:
    html = page.read_text(encoding="utf-8")
    for external in ("<script", "<link", "<img", "src=", "@import", "url("):
        assert external not in html
    parse(html)  # every element closed
    proc = _run(_browser(), page.parent, "--dump-dom", page.as_uri())
    assert proc.returncode == 0, proc.stderr[-2000:]
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == [], console
    return parse(proc.stdout)


def test_every_finding_is_a_card_in_its_category(page: Path) -> None:
    root = _dom(page)
    cards = root.find(lambda e: "card" in e.cls())
    want = sorted(code for code, *_ in EXPECTED)
    assert sorted(c.attrs["data-code"] for c in cards) == want
    (threshold,) = [c for c in cards if c.attrs["data-code"] == "fixed-threshold"]
    text = all_text(threshold)
    assert "src/evaluate.py:12" in text and "stage evaluate" in text
    (fix,) = threshold.find(lambda e: "fix" in e.cls())
    assert "solvent threshold fit" in fix.text
    (cascades,) = root.find(lambda e: e.attrs.get("data-category") == "cascade")
    assert "§2.2" in all_text(cascades) and "improving the first" in all_text(cascades)
    assert [c.attrs["data-code"] for c in cascades.find(lambda e: "card" in e.cls())] == [
        "correction-cascade"
    ]
    counts = {e.attrs["data-severity"]: all_text(e) for e in root.find(
        lambda e: "data-severity" in e.attrs)}  # fmt: skip
    assert counts["warning"].startswith(str(len(want) - 1))  # all but the undeclared read
    assert counts["error"].startswith("1")


def test_the_score_shows_each_section_with_its_bar_and_tests(page: Path) -> None:
    root = _dom(page)
    (panel,) = root.find(lambda e: "score" in e.cls() and e.tag == "div")
    assert panel.attrs["data-final"] == "0"
    rows = {r.attrs["data-section"]: r for r in panel.find(lambda e: "bar-row" in e.cls())}
    assert list(rows) == ["data", "model", "infra", "monitor"]
    infra = [c.cls()[1] for c in rows["infra"].find(lambda e: "cell" in e.cls())]
    assert infra == ["missing"] * 4 + ["not-visible"] * 2 + ["in-place"]
    assert "1 / 7" in all_text(rows["infra"])
    (rollback,) = root.find(lambda e: e.attrs.get("data-test") == "infra-7")
    assert "Infra 7" in all_text(rollback) and "models/a.pkl" in all_text(rollback)


def test_the_page_paints_its_severities_and_score_bars(page: Path) -> None:
    shot = page.parent / "report.png"
    proc = _run(_browser(), page.parent, f"--screenshot={shot}", "--window-size=1200,900",
                page.as_uri())  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    width, height, pixels = _decode_png(shot.read_bytes())
    assert (width, height) == (1200, 900)
    counts: dict[tuple[int, int, int], int] = {}
    for p in pixels:
        counts[p] = counts.get(p, 0) + 1
    for colour, least in ((SEVERITY_COLOUR["warning"], 500), (STATUS_COLOUR["in place"], 500)):
        rgb = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
        near = [n for c, n in counts.items()
                if max(abs(a - b) for a, b in zip(c, rgb, strict=True)) <= 3]  # fmt: skip
        painted = sum(near)
        assert painted > least, f"{colour}: {painted} pixels"


def test_every_text_from_the_project_is_escaped() -> None:
    evil = "<script>alert(1)</script>"
    finding = Finding("jungle", "dead-out", "error", f"writes {evil}", f"delete {evil}",
                      file=f"{evil}.csv", line=3, stage=evil, ids={evil: evil})  # fmt: skip
    test = RubricTest("data", 1, "Feature expectations are captured in a schema", "missing", evil)
    score = MLTestScore(tuple(SectionScore(k, k.title(), (test,)) for k in
                              ("data", "model", "infra", "monitor")))  # fmt: skip
    html = render(DoctorReport(evil, (finding,), 1, score=score))
    assert "<script" not in html and html.count("&lt;script&gt;") >= 7
    root = parse(html)
    (card,) = root.find(lambda e: "card" in e.cls())
    assert all_text(card).count(evil) == 6  # where, stage, message, fix, the id's path and id
