"""``solvent push / fetch / pull``: moving the objects that pointers (and the lock) need."""

from __future__ import annotations

from dataclasses import dataclass, field

from solvent.errors import CacheMissingError
from solvent.progress import NoProgress, Progress
from solvent.repo import RepoLayout
from solvent.storage.ids import ObjectId
from solvent.storage.remote import RemoteStore, TransferResult
from solvent.storage.trees import TreeLoader, reachable
from solvent.tracking.pointer import Pointer


@dataclass
class SyncReport:
    remote: str
    objects: int = 0  # needed by the selected pointers
    moved: int = 0
    already: int = 0
    failed: dict[str, str] = field(default_factory=dict)  # object id → why
    corrupt: list[str] = field(default_factory=list)  # of failed: damaged on the remote itself
    runs: int = 0  # run records moved (the ledger travels with the data)
    runcache: int = 0  # run-cache entries moved (--run-cache)


def push(
    layout: RepoLayout, remote: RemoteStore, pointers: list[Pointer], jobs: int,
    progress: Progress | None = None,
) -> SyncReport:  # fmt: skip
    progress = progress or NoProgress()
    loader = TreeLoader(layout.store.read_bytes)
    roots = {p.id: p.kind == "dir" for p in pointers}
    try:
        needed = reachable(roots, loader)
    except FileNotFoundError:
        raise CacheMissingError(
            "some data to push is not in the local cache",
            "'solvent status' shows what is 'not in cache'; fetch or re-add it first",
        ) from None
    missing_locally = {o for o in needed if not layout.store.has(o)}
    if missing_locally:
        raise CacheMissingError(
            f"{len(missing_locally)} object(s) to push are not in the local cache",
            "'solvent status' shows what is 'not in cache'; fetch or re-add it first",
        )
    there = remote.existing(needed)
    todo = needed - there
    progress.start("push", len(todo))
    result = remote.send(layout.store, todo, jobs, progress.advance)
    remote.finish()
    remote.sweep_temps()  # what an earlier, killed push left where this one wrote
    progress.stop()
    return _report(remote, len(needed), len(there), result)


def fetch(
    layout: RepoLayout, remote: RemoteStore, pointers: list[Pointer], jobs: int,
    progress: Progress | None = None,
) -> SyncReport:  # fmt: skip
    """Download what the pointers need, trees first (level by level), then files."""
    progress = progress or NoProgress()
    store = layout.store
    loader = layout.trees
    report = SyncReport(remote.url)
    level = {p.id: p.kind == "dir" for p in pointers}
    sizes = {p.id: p.size for p in pointers if p.kind == "file"}
    seen: set[ObjectId] = set()
    progress.start("fetch", 0)
    while level:
        seen.update(level)
        missing = {o for o in level if not store.has(o)}
        report.already += len(level) - len(missing)
        result = remote.fetch_into(store, missing, sizes, jobs, progress.advance)
        store.flush()
        report.moved += len(result.sent)
        report.failed.update({str(o): why for o, why in result.failed.items()})
        report.corrupt.extend(sorted(str(o) for o in result.corrupt))
        following: dict[ObjectId, bool] = {}
        for oid, is_tree in level.items():
            if is_tree and store.has(oid):
                for e in loader(oid).entries:
                    if e.id not in seen:
                        following[e.id] = e.kind == "tree"
                        if e.kind == "file":
                            sizes[e.id] = e.size
        level = following
    progress.stop()
    report.objects = len(seen)
    return report


def _report(remote: RemoteStore, needed: int, already: int, result: TransferResult) -> SyncReport:
    return SyncReport(
        remote.url, needed, len(result.sent), already,
        {str(o): why for o, why in result.failed.items()}, sorted(str(o) for o in result.corrupt),
    )  # fmt: skip


@dataclass(frozen=True)
class RemoteState:
    path: str
    objects: int  # known: trees whose listing is not cached locally cannot be walked
    not_on_remote: int
    not_local: int


def remote_status(
    layout: RepoLayout, remote: RemoteStore, pointers: list[Pointer]
) -> list[RemoteState]:
    """Per tracked path: how many of its objects the remote lacks, and the cache lacks."""
    store = layout.store
    loader = TreeLoader(store.read_bytes)
    per_path = {
        str(p.path): reachable({p.id: p.kind == "dir"}, loader, descend=store.has) for p in pointers
    }
    everything = set().union(*per_path.values()) if per_path else set()
    there = remote.existing(everything)
    return [
        RemoteState(path, len(ids), len(ids - there), sum(1 for o in ids if not store.has(o)))
        for path, ids in per_path.items()
    ]
