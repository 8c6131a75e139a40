"""The ``checks:`` block: what it resolves to, and one clear error per mistake."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

import pytest

from solvent.pipeline.spec.model import Check
from tests.pipeline.spec.test_errors import fails
from tests.pipeline.spec.test_helpers import load

P = PurePosixPath
STAGE = """\
stages:
  split:
    cmd: python split.py
    wdir: work
    deps: [raw.csv, more.csv]
    outs: [train.csv, test.csv]
    checks:
{checks}
"""


def spec(checks: str) -> str:
    return STAGE.format(checks="\n".join("      " + line for line in checks.splitlines()))


def test_every_kind_resolves_relative_to_wdir(tmp_path: Path) -> None:
    text = spec(
        "schema: raw.csv\n"
        "drift: {raw.csv: 0.25, more.csv: }\n"
        "rows: {train.csv: {min: 10, max: 1000}}\n"
        "no_duplicates: [train.csv]\n"
        "disjoint: [{paths: [train.csv, test.csv], key: [id]}]\n"
    )
    (stage,) = load(tmp_path, text).stages
    assert stage.checks == (
        Check("schema", (P("work/raw.csv"),)),
        Check("drift", (P("work/raw.csv"),), limit=0.25),
        Check("drift", (P("work/more.csv"),), limit=0.5),
        Check("rows", (P("work/train.csv"),), min_rows=10, max_rows=1000),
        Check("no_duplicates", (P("work/train.csv"),)),
        Check("disjoint", (P("work/train.csv"), P("work/test.csv")), key=("id",)),
    )


def test_a_plain_pair_is_one_disjoint_group(tmp_path: Path) -> None:
    (stage,) = load(tmp_path, spec("disjoint: [train.csv, test.csv]")).stages
    assert stage.checks == (Check("disjoint", (P("work/train.csv"), P("work/test.csv"))),)


@pytest.mark.parametrize(
    ("checks", "message"),
    [
        ("shema: raw.csv", "unknown check 'shema'"),
        ("schema: train.csv", "check schema names work/train.csv, which is not a dep"),
        ("no_duplicates: other.csv", "not a dep or an out of the stage"),
        ("drift: {raw.csv: 2}", "the limit is a share of columns"),
        ("rows: {train.csv: {min: 5, max: 1}}", "min 5 is above max 1"),
        ("rows: {train.csv: {least: 5}}", "give whole-number min and/or max"),
        ("disjoint: [train.csv]", "needs two or more paths"),
        ("schema: ../../etc/passwd", "leaves the repo"),
    ],
)
def test_mistakes(tmp_path: Path, checks: str, message: str) -> None:
    fails(tmp_path, spec(checks), "dvc.yaml:8", re.escape(message))
