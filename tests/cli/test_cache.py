from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import blake3_id, make_folder, object_path, solvent, solvent_ok


def test_verify_passes_then_finds_a_corrupt_object(repo: Path) -> None:
    make_folder(repo / "data", {"a.csv": "aaa", "b.csv": "bbb"})
    solvent_ok(repo, "add", "data")
    assert solvent_ok(repo, "cache", "verify") == "3 objects checked, 0 corrupt\n"

    oid = blake3_id(b"bbb")
    path = object_path(repo, oid)
    path.chmod(0o644)
    path.write_bytes(b"bit rot")
    proc = solvent(repo, "cache", "verify")
    assert proc.returncode == 1
    assert proc.stdout.splitlines() == [f"corrupt {oid}", "3 objects checked, 1 corrupt"]

    proc = solvent(repo, "cache", "verify", "--json")
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {"checked": 3, "corrupt": [oid]}


def test_verify_empty_cache(repo: Path) -> None:
    assert solvent_ok(repo, "cache", "verify") == "0 objects checked, 0 corrupt\n"
