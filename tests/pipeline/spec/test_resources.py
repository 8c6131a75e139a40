"""``resources:`` of a stage: what one run needs of a worker, checked when the spec loads."""

from __future__ import annotations

from pathlib import Path

import pytest

from solvent.pipeline.spec.model import Resources
from tests.pipeline.spec.test_errors import fails
from tests.pipeline.spec.test_helpers import load


def stage(resources: str) -> str:
    return f"stages:\n  train:\n    cmd: python train.py\n    resources: {resources}\n"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("{cpus: 4, memory: 8GB, gpus: 1}", Resources(4, 8 * 10**9, 1)),
        ("{memory: 512MiB}", Resources(None, 512 * 2**20, None)),
        ("{memory: 1.5 GB, gpus: 0}", Resources(None, 1_500_000_000, 0)),
        ("{memory: 1000}", Resources(None, 1000, None)),
    ],
)
def test_resources_are_parsed(tmp_path: Path, written: str, expected: Resources) -> None:
    assert load(tmp_path, stage(written)).stages[0].resources == expected


def test_no_resources_is_none_and_asks_nothing(tmp_path: Path) -> None:
    spec = "stages:\n  train:\n    cmd: python train.py\n"
    assert load(tmp_path, spec).stages[0].resources is None
    assert Resources(None, None, 0).as_dict() == {}
    assert Resources(2, 10, None).as_dict() == {"cpus": 2.0, "memory": 10.0}


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("{cpus: 0}", r"resources: cpus must be a whole number >= 1, got 0"),
        ("{cpus: 1.5}", r"cpus must be a whole number >= 1, got 1.5"),
        ("{cpus: true}", r"cpus must be a whole number >= 1, got True"),
        ("{gpus: -1}", r"gpus must be a whole number >= 0, got -1"),
        ("{memory: 8XB}", r"memory must be a size like 8GB or 512MiB, got '8XB'"),
        ("{memory: 0GB}", r"memory must be a size like 8GB"),
        ("4", r"resources must be a mapping, got a number"),
    ],
)
def test_bad_resources_name_the_line(tmp_path: Path, written: str, message: str) -> None:
    fails(tmp_path, stage(written), "dvc.yaml:4", message)


def test_unknown_resource_suggests_the_closest(tmp_path: Path) -> None:
    fails(tmp_path, stage("{cpu: 2}"), "dvc.yaml:4", "unknown key 'cpu'", "did you mean 'cpus'")
