"""The repo layer under the health commands, from Python: versions by object id, as a
pipeline check will hold them (a lock entry's id), compared without the CLI."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from solvent import health_data
from solvent.errors import CacheMissingError
from solvent.repo import RepoLayout
from solvent.storage.ids import ObjectId
from solvent.tracking.pointer import read_pointer
from tests.helpers import solvent_ok


def test_versions_by_object_id(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    (repo / "d.csv").write_text("x,k\n" + "".join(f"{i},{i % 3}\n" for i in range(50)))
    solvent_ok(repo, "add", "d.csv")
    layout = RepoLayout(repo)
    oid = read_pointer(repo, PurePosixPath("d.csv.solvent")).id
    old = health_data.Data.of_object(layout, oid, "d.csv", "d.csv (locked)")
    (repo / "d.csv").write_text("x,k\n" + "".join(f"{i + 40},{i % 3}\n" for i in range(50)))
    report = health_data.drift(old, "d.csv")
    assert report.reference.label == "d.csv (locked)"
    assert [c.drifted for c in report.columns] == [True, False]
    assert health_data.profile_data(old).rows == 50
    assert health_data.leakage(old, "d.csv", ["x"]).shared == 10
    with pytest.raises(CacheMissingError):
        health_data.Data.of_object(layout, ObjectId.from_digest("0" * 64), "d.csv", "gone")
