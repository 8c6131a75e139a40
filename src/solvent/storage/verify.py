"""Rehash every object in the store and report the ones whose bytes no longer match."""

from __future__ import annotations

from dataclasses import dataclass

from solvent.progress import NoProgress, Progress
from solvent.storage.ids import ObjectId
from solvent.storage.objects import ObjectStore


@dataclass(frozen=True, slots=True)
class VerifyResult:
    checked: int
    corrupt: tuple[ObjectId, ...]


def verify_store(store: ObjectStore, jobs: int, progress: Progress | None = None) -> VerifyResult:
    progress = progress or NoProgress()
    ids = list(store.iter_ids())
    progress.start("verifying cache", len(ids))

    def check(oid: ObjectId) -> bool:
        ok = store.verify(oid)
        progress.advance()
        return ok

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max(1, jobs)) as pool:
        results = list(pool.map(check, ids, chunksize=64))
    progress.stop()
    corrupt = tuple(oid for oid, ok in zip(ids, results, strict=True) if not ok)
    return VerifyResult(len(ids), corrupt)
