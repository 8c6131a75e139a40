from __future__ import annotations

from pathlib import Path

from solvent.storage.objects import ObjectStore
from solvent.storage.verify import verify_store


def test_verify_store_lists_exactly_the_corrupt_objects(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "cache")
    store.init()
    ids = [store.put_bytes(f"object {i}".encode()) for i in range(200)]
    store.flush()
    assert verify_store(store, jobs=4).corrupt == ()
    broken = sorted([ids[3], ids[150]])
    for oid in broken:
        store.path(oid).chmod(0o644)
        store.path(oid).write_bytes(b"flipped")
    result = verify_store(store, jobs=4)
    assert result.checked == 200
    assert list(result.corrupt) == broken


def test_verify_empty_store(tmp_path: Path) -> None:
    store = ObjectStore(tmp_path / "cache")
    result = verify_store(store, jobs=1)
    assert (result.checked, result.corrupt) == (0, ())
