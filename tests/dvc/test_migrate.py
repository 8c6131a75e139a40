"""``solvent migrate`` (and ``init`` in a DVC repo): one screen of what a DVC project holds and
what Solvent takes over; ``--dry`` changes nothing; nothing is rerun."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from tests.dvc.dvcrun import dvc, needs_dvc
from tests.dvc.test_adopt import PIPELINE, runs
from tests.helpers import assert_user_error, commit_all, disk_state, solvent, solvent_ok

pytestmark = needs_dvc


def dvc_project(root: Path) -> Path:
    dvc(root, "init", "-q")
    (root / "data" / "imgs").mkdir(parents=True)
    (root / "data" / "raw.csv").write_bytes(b"a,b\r\n1,2\r\n")
    (root / "data" / "imgs" / "a.txt").write_text("alpha\n")
    (root / "params.yaml").write_text("train:\n  lr: 1e-05\n  epochs: 3\nseed: 7\n")
    (root / "dvc.yaml").write_text(PIPELINE)
    dvc(root, "add", "-q", "data/raw.csv", "data/imgs")
    dvc(root, "remote", "add", "-d", "store", "../dvcstore")
    dvc(root, "remote", "add", "gcs", "gs://bucket/path")
    dvc(root, "repro", "-q")
    dvc(root, "push", "-q")
    commit_all(root, "DVC project")
    return root


def test_init_in_a_dvc_repo_points_to_migrate(git_repo: Path) -> None:
    root = dvc_project(git_repo)
    assert "solvent migrate" in solvent_ok(root, "init")


def test_migrate_dry_reports_and_changes_nothing(git_repo: Path) -> None:
    root = dvc_project(git_repo)
    solvent_ok(root, "init")
    (root / "params.yaml").write_text("train:\n  lr: 1e-05\n  epochs: 4\nseed: 7\n")
    solvent_ok(root, "status")  # its memo of parsed files is a cache, like the state cache
    before = disk_state(root, with_state=False)
    out = solvent_ok(root, "migrate", "--dry")
    assert disk_state(root, with_state=False) == before
    assert "2 .dvc pointer(s)" in out and "1 of 2" in out
    assert "data/raw.csv" in out and "data/imgs" in out and "from the workspace" in out
    assert "prepare  adopt" in out
    assert "train    not adopted: param params.yaml:train.epochs is 4, dvc.lock has 3" in out
    assert "store (default)" in out and "add as ../dvcstore" in out
    assert "gs:// remotes are not supported" in out
    assert "Dry run" in out
    assert len(out.splitlines()) <= 24  # one screen
    doc = json.loads(solvent_ok(root, "migrate", "--dry", "--json"))
    assert [(s["stage"], s["action"]) for s in doc["stages"]] == [
        ("prepare", "adopt"),
        ("train", "not adopted"),
    ]
    assert {p["path"]: p["source"] for p in doc["pointers"]} == {
        "data/imgs": "workspace",
        "data/raw.csv": "workspace",
    }
    assert disk_state(root, with_state=False) == before


def test_migrate_adopts_caches_and_converts_remotes(git_repo: Path) -> None:
    root = dvc_project(git_repo)
    dvc(root, "remote", "add", "s3", "s3://bucket/prefix")
    dvc(root, "remote", "modify", "s3", "endpointurl", "http://127.0.0.1:9000")
    dvc(root, "remote", "modify", "s3", "region", "eu-west-1")
    dvc(root, "remote", "modify", "s3", "use_ssl", "false")
    solvent_ok(root, "init")
    out = solvent_ok(root, "migrate")
    assert "Done" in out
    assert "add as s3://bucket/prefix (not taken over: use_ssl)" in out
    lock = (root / "solvent.lock").read_text()
    assert "prepare:" in lock and "train:" in lock
    config = tomllib.loads((root / ".solvent" / "config.toml").read_text())
    assert config["remote"] == {
        "store": {"url": "../dvcstore"},
        "s3": {
            "url": "s3://bucket/prefix",
            "endpoint_url": "http://127.0.0.1:9000",
            "region": "eu-west-1",
        },
    }
    assert config["core"]["remote"] == "store"
    solvent_ok(root, "repro")
    assert (runs(root, "prepare"), runs(root, "train")) == (1, 1)  # nothing reran
    # The pointers' data is in Solvent's cache: checkout needs neither DVC's cache nor remote.
    import shutil

    shutil.rmtree(root / ".dvc" / "cache")
    shutil.rmtree(root.parent / "dvcstore")
    shutil.rmtree(root / "data" / "imgs")
    solvent_ok(root, "checkout", "data/imgs")
    assert (root / "data" / "imgs" / "a.txt").read_text() == "alpha\n"
    # Solvent pushes to the converted remote.
    solvent_ok(root, "push")
    assert (root.parent / "dvcstore" / "blake3").is_dir()
    again = json.loads(solvent_ok(root, "migrate", "--json"))
    assert {s["action"] for s in again["stages"]} == {"recorded"}
    assert {r["action"] for r in again["remotes"]} == {"exists", "skip"}


def test_migrate_outside_a_dvc_repo_is_a_user_error(repo: Path) -> None:
    assert_user_error(solvent(repo, "migrate"), "not a DVC project")
